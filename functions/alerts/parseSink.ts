import type { AlertSink } from '../ports/alertSink.ts';
import { JsonFileSink } from './jsonFileSink.ts';
import { StdoutSink } from './stdoutSink.ts';
import { WebhookSink } from './webhookSink.ts';

/** Sink specs the CLI takes: `stdout`, `json:FILE`, `webhook:URL`, `sns:TOPIC_ARN`. */
export async function parseSink(spec: string): Promise<AlertSink> {
  if (spec === 'stdout') return new StdoutSink();
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const target = colon < 0 ? '' : spec.slice(colon + 1);
  if (!['json', 'webhook', 'sns'].includes(kind))
    throw new Error(`--sink ${spec}: unknown sink; use stdout, json:FILE, webhook:URL or sns:TOPIC_ARN`);
  if (target === '') throw new Error(`--sink ${spec}: missing target after "${kind}:"`);
  switch (kind) {
    case 'json':
      return new JsonFileSink(target);
    case 'webhook': {
      let url: URL;
      try {
        url = new URL(target);
      } catch {
        throw new Error(`--sink ${spec}: not a URL`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        throw new Error(`--sink ${spec}: the webhook URL must be http or https`);
      return new WebhookSink(target);
    }
    case 'sns': {
      if (!target.startsWith('arn:')) throw new Error(`--sink ${spec}: expected an SNS topic ARN`);
      // Loaded on demand: only this sink needs the AWS SDK.
      const { SnsSink } = await import('./snsSink.ts');
      return new SnsSink(target);
    }
    default:
      throw new Error(`--sink ${spec}: unknown sink`);
  }
}
