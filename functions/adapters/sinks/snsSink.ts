import {
  PublishBatchCommand,
  type PublishBatchCommandInput,
  type PublishBatchRequestEntry,
} from '@aws-sdk/client-sns';
import { alertEmailText, alertJson, alertSubject } from '../../alerts/alertMessage.ts';
import type { Alert, AlertSink } from '../../ports/alertSink.ts';
import { sns } from '../awsClients.ts';

/** SNS takes at most 10 entries per PublishBatch… */
const BATCH_SIZE = 10;
/** …and at most 256 KiB per batch, every entry's message and attributes together. */
export const MAX_BATCH_BYTES = 256 * 1024;

/** The minimal client surface the sink needs (an SNSClient, or a fake in a test). */
export interface SnsPublisher {
  send(command: PublishBatchCommand): Promise<{ Failed?: { Id?: string; Message?: string }[] }>;
}

/** Where the e-mail tells a reader to find the claims, when the sink is not told. */
export const DEFAULT_REPORT_LOCATION =
  'the takeback_links mart of the lake (`recoup report --lake DIR`, or Athena on AWS)';

/**
 * The PublishBatch requests for some alerts: one message per alert, so subscribers can filter
 * by the payer_id / grain / cause attributes. MessageStructure json: e-mail subscribers read a
 * text that lists no claim and points to the report; every other protocol (SQS, Lambda, HTTPS)
 * gets the alert as JSON, claims named by their key (takeback_id) only.
 */
export function snsPublishBatches(
  topicArn: string,
  alerts: Alert[],
  reportLocation: string = DEFAULT_REPORT_LOCATION,
): PublishBatchCommandInput[] {
  const batches: PublishBatchCommandInput[] = [];
  let entries: PublishBatchRequestEntry[] = [];
  let bytes = 0;
  alerts.forEach((alert, i) => {
    const entry: PublishBatchRequestEntry = {
      Id: `alert-${i}`,
      Subject: alertSubject(alert),
      MessageStructure: 'json',
      Message: JSON.stringify({
        default: JSON.stringify({ source: 'recoup', type: 'takeback_alert', alert: alertJson(alert) }),
        email: alertEmailText(alert, reportLocation),
      }),
      MessageAttributes: {
        payer_id: { DataType: 'String', StringValue: alert.payer_id },
        grain: { DataType: 'String', StringValue: alert.grain },
        cause: { DataType: 'String', StringValue: alert.cause ?? '*' },
      },
    };
    const size = entryBytes(entry);
    if (size > MAX_BATCH_BYTES)
      throw new Error(
        `alert ${alert.alert_id} is ${size} bytes as an SNS message, over SNS's ${MAX_BATCH_BYTES}`,
      );
    if (entries.length === BATCH_SIZE || bytes + size > MAX_BATCH_BYTES) {
      batches.push({ TopicArn: topicArn, PublishBatchRequestEntries: entries });
      entries = [];
      bytes = 0;
    }
    entries.push(entry);
    bytes += size;
  });
  if (entries.length > 0) batches.push({ TopicArn: topicArn, PublishBatchRequestEntries: entries });
  return batches;
}

/** Publishes each alert as one SNS message. Throws when any entry failed. */
export class SnsSink implements AlertSink {
  readonly name: string;

  constructor(
    private readonly topicArn: string,
    private readonly client: SnsPublisher = sns,
    /** A URL or place where readers of the e-mail find the report (the stack passes REPORT_LOCATION). */
    private readonly reportLocation: string = DEFAULT_REPORT_LOCATION,
  ) {
    this.name = `sns:${topicArn}`;
  }

  async send(alerts: Alert[]): Promise<void> {
    for (const batch of snsPublishBatches(this.topicArn, alerts, this.reportLocation)) {
      const result = await this.client.send(new PublishBatchCommand(batch));
      const failed = result.Failed ?? [];
      if (failed.length > 0) {
        throw new Error(
          `${this.name}: ${failed.length} message(s) not published: ${failed.map((f) => `${f.Id} ${f.Message ?? ''}`.trim()).join('; ')}`,
        );
      }
    }
  }
}

/** What SNS counts of an entry against a batch's size: its message, subject and attributes, in UTF-8 bytes. */
function entryBytes(entry: PublishBatchRequestEntry): number {
  let n = Buffer.byteLength(entry.Message ?? '') + Buffer.byteLength(entry.Subject ?? '');
  for (const [name, value] of Object.entries(entry.MessageAttributes ?? {}))
    n +=
      Buffer.byteLength(name) +
      Buffer.byteLength(value.DataType ?? '') +
      Buffer.byteLength(value.StringValue ?? '');
  return n;
}
