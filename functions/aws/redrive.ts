import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

export interface RedriveOptions {
  sqs: Pick<SQSClient, 'send'>;
  dlqUrl: string;
  queueUrl: string;
  /** Stop after moving this many messages (default: until the DLQ is empty). */
  max?: number;
  /** Long-poll wait per receive; an empty receive ends the run (default 1 s). */
  waitTimeSeconds?: number;
  onProgress?: (counts: RedriveResult) => void;
}

export interface RedriveResult {
  /** Messages sent to the source queue and deleted from the DLQ. */
  moved: number;
  /** Messages left in the DLQ because the send failed (they reappear after the visibility timeout). */
  failed: number;
}

/**
 * Moves dead-lettered messages back to the source queue: receive, send, then delete only what was
 * sent, so a crash in between duplicates a message at worst and never loses one. Standard queues.
 */
export async function redrive(options: RedriveOptions): Promise<RedriveResult> {
  const { sqs, dlqUrl, queueUrl, onProgress } = options;
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const result: RedriveResult = { moved: 0, failed: 0 };

  while (result.moved + result.failed < max) {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: Math.min(10, max - result.moved - result.failed),
        WaitTimeSeconds: options.waitTimeSeconds ?? 1,
        // Long enough that this run never receives the same message twice.
        VisibilityTimeout: 300,
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) break;

    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((message, index) => ({
          Id: String(index),
          MessageBody: message.Body ?? '',
          ...(message.MessageAttributes && Object.keys(message.MessageAttributes).length > 0
            ? { MessageAttributes: message.MessageAttributes }
            : {}),
        })),
      }),
    );
    const sentIds = new Set((sent.Successful ?? []).map((entry) => entry.Id));
    const toDelete = messages
      .map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! }))
      .filter((entry) => sentIds.has(entry.Id));
    if (toDelete.length > 0) {
      const deleted = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: dlqUrl, Entries: toDelete }));
      if ((deleted.Failed ?? []).length > 0) {
        throw new Error(`redrive: ${deleted.Failed!.length} messages were sent but not deleted from the DLQ`);
      }
    }
    result.moved += toDelete.length;
    result.failed += messages.length - toDelete.length;
    onProgress?.({ ...result });
  }
  return result;
}
