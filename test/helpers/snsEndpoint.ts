import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One Publish the endpoint accepted: the form fields of the SNS query-protocol request. */
export type PublishedMessage = Record<string, string>;

export interface SnsEndpoint {
  endpoint: string;
  published: PublishedMessage[];
  stop(): Promise<void>;
}

/**
 * A local HTTP endpoint that answers SNS Publish the way SNS does (query protocol, XML answer),
 * so the real SDK client and handler code run unchanged; it records what was published. No SNS
 * emulator ships on npm, and only Publish is needed.
 */
export async function startSnsEndpoint(): Promise<SnsEndpoint> {
  const published: PublishedMessage[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(body));
      if (form.Action === 'PublishBatch') {
        // Each entry is recorded as its own message (TopicArn, Message, Subject, …).
        const ids: string[] = [];
        for (let n = 1; form[`PublishBatchRequestEntries.member.${n}.Id`] !== undefined; n++) {
          const prefix = `PublishBatchRequestEntries.member.${n}.`;
          const entry: PublishedMessage = { Action: 'Publish', TopicArn: form.TopicArn ?? '' };
          for (const [k, v] of Object.entries(form))
            if (k.startsWith(prefix)) entry[k.slice(prefix.length)] = v;
          published.push(entry);
          ids.push(entry.Id ?? '');
        }
        const members = ids
          .map((id) => `<member><Id>${id}</Id><MessageId>${randomUUID()}</MessageId></member>`)
          .join('');
        res
          .writeHead(200, { 'content-type': 'text/xml' })
          .end(
            `<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishBatchResult><Successful>${members}</Successful><Failed/></PublishBatchResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishBatchResponse>`,
          );
        return;
      }
      if (form.Action !== 'Publish') {
        res
          .writeHead(400, { 'content-type': 'text/xml' })
          .end(
            `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>${form.Action}</Message></Error><RequestId>x</RequestId></ErrorResponse>`,
          );
        return;
      }
      published.push(form);
      res
        .writeHead(200, { 'content-type': 'text/xml' })
        .end(
          `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${randomUUID()}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    published,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
