import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { s3CreatedEvent } from './s3EventMessage.ts';

export interface BackfillCounts {
  /** Objects found under the prefix. */
  listed: number;
  /** Messages SQS accepted. */
  enqueued: number;
  /** Objects whose message SQS still refused after every attempt. */
  failed: number;
}

export interface BackfillResult extends BackfillCounts {
  failedKeys: string[];
}

export interface BackfillOptions {
  s3: S3Client;
  sqs: Pick<SQSClient, 'send'>;
  bucket: string;
  prefix: string;
  queueUrl: string;
  onProgress?: (counts: BackfillCounts) => void;
  /** Attempts per batch entry before it counts as failed (default 3). */
  maxAttempts?: number;
  /** Pause before a retry, multiplied by the attempt number (default 200 ms). */
  retryDelayMs?: number;
}

const BATCH_SIZE = 10;

/**
 * Re-ingests landed files: lists the objects under a prefix and enqueues, ten per SendMessageBatch,
 * the same S3 ObjectCreated message a landing produces. Entries SQS refuses are retried.
 */
export async function backfill(options: BackfillOptions): Promise<BackfillResult> {
  const { s3, sqs, bucket, prefix, queueUrl, onProgress } = options;
  const region = await s3.config.region();
  const result: BackfillResult = { listed: 0, enqueued: 0, failed: 0, failedKeys: [] };
  let batch: { entry: SendMessageBatchRequestEntry; key: string }[] = [];

  const flush = async () => {
    if (batch.length === 0) return;
    const failedKeys = await sendWithRetry(
      sqs,
      queueUrl,
      batch,
      options.maxAttempts ?? 3,
      options.retryDelayMs ?? 200,
    );
    result.enqueued += batch.length - failedKeys.length;
    result.failed += failedKeys.length;
    result.failedKeys.push(...failedKeys);
    batch = [];
    onProgress?.({ listed: result.listed, enqueued: result.enqueued, failed: result.failed });
  };

  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const object of page.Contents ?? []) {
      // Folder placeholders are not files.
      if (object.Key === undefined || object.Key.endsWith('/')) continue;
      result.listed += 1;
      const body = s3CreatedEvent(
        { bucket, key: object.Key, size: object.Size ?? 0, etag: (object.ETag ?? '').replace(/"/g, '') },
        region,
      );
      batch.push({ entry: { Id: String(batch.length), MessageBody: JSON.stringify(body) }, key: object.Key });
      if (batch.length === BATCH_SIZE) await flush();
    }
  }
  await flush();
  return result;
}

/** Sends one batch, resending only the entries that failed; returns the keys that never went through. */
async function sendWithRetry(
  sqs: Pick<SQSClient, 'send'>,
  queueUrl: string,
  batch: { entry: SendMessageBatchRequestEntry; key: string }[],
  maxAttempts: number,
  retryDelayMs: number,
): Promise<string[]> {
  let pending = batch;
  for (let attempt = 1; attempt <= maxAttempts && pending.length > 0; attempt += 1) {
    if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, retryDelayMs * (attempt - 1)));
    let failedIds: Set<string>;
    try {
      const response = await sqs.send(
        new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending.map((item) => item.entry) }),
      );
      failedIds = new Set((response.Failed ?? []).map((failure) => failure.Id!));
    } catch (error) {
      if (attempt === maxAttempts) throw error;
      failedIds = new Set(pending.map((item) => item.entry.Id!));
    }
    pending = pending.filter((item) => failedIds.has(item.entry.Id!));
  }
  return pending.map((item) => item.key);
}
