import { PublishBatchCommand, type PublishBatchCommandInput } from '@aws-sdk/client-sns';
import { alertEmailText, alertJson, alertSubject } from '../../alerts/alertMessage.ts';
import type { Alert, AlertSink } from '../../ports/alertSink.ts';
import { sns } from '../awsClients.ts';

/** SNS takes at most 10 entries per PublishBatch. */
const BATCH_SIZE = 10;

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
  for (let i = 0; i < alerts.length; i += BATCH_SIZE) {
    batches.push({
      TopicArn: topicArn,
      PublishBatchRequestEntries: alerts.slice(i, i + BATCH_SIZE).map((alert, j) => ({
        Id: `alert-${i + j}`,
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
      })),
    });
  }
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
