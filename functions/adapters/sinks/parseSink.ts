import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { DeliverySink } from '../../alerts/deliverNewAlerts.ts';
import { JsonFileSink } from './jsonFileSink.ts';
import { StdoutSink } from './stdoutSink.ts';
import { WebhookSink } from './webhookSink.ts';

/**
 * Sink specs the CLI takes: `stdout`, `json:FILE`, `webhook:URL`, `sns:TOPIC_ARN`. Each sink has
 * its own delivery record (`stateKey`): a JSON file by its absolute path, a webhook by its origin
 * and a hash of its whole URL (two hooks on one host are two sinks; the secret path is not
 * written down), an SNS topic by its ARN.
 */
export async function parseSink(spec: string): Promise<DeliverySink> {
  if (spec === 'stdout') return new StdoutSink();
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const target = colon < 0 ? '' : spec.slice(colon + 1);
  if (!['json', 'webhook', 'sns'].includes(kind))
    throw new Error(`--sink ${spec}: unknown sink; use stdout, json:FILE, webhook:URL or sns:TOPIC_ARN`);
  if (target === '') throw new Error(`--sink ${spec}: missing target after "${kind}:"`);
  switch (kind) {
    case 'json':
      return withStateKey(new JsonFileSink(target), `json:${resolve(target)}`);
    case 'webhook': {
      let url: URL;
      try {
        url = new URL(target);
      } catch {
        throw new Error(`--sink ${spec}: not a URL`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        throw new Error(`--sink ${spec}: the webhook URL must be http or https`);
      const hash = createHash('sha256').update(url.href).digest('hex').slice(0, 16);
      return withStateKey(new WebhookSink(target), `webhook:${url.origin}#${hash}`);
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

/** The sink itself (so `instanceof` still holds), carrying the key of its delivery record. */
function withStateKey<S extends object>(sink: S, stateKey: string): S & { readonly stateKey: string } {
  return Object.defineProperty(sink, 'stateKey', { value: stateKey, enumerable: true }) as S & {
    readonly stateKey: string;
  };
}
