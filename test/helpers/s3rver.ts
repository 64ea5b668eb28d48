import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Event, S3EventRecord, SQSEvent, SQSRecord } from 'aws-lambda';
import { createS3Client } from '../../functions/adapters/awsClients.ts';

/** The record s3rver emits on its `event` emitter (S3 event version 2.0, key NOT URL-encoded). */
export interface S3rverRecord {
  eventVersion: string;
  eventName: string;
  eventTime: string;
  awsRegion: string;
  s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string; sequencer: string } };
}

export interface RunningS3rver {
  endpoint: string;
  /** An S3 client from the project's factory, pointed at this server. */
  client: S3Client;
  /** Environment that points `createS3Client()` at this server. */
  env: Record<string, string>;
  /** s3rver's data folder: `<directory>/<bucket>/<key>._S3rver_object` (see seedS3rverObjects). */
  directory: string;
  /** Every record s3rver emitted so far, in order (they arrive shortly after each write). */
  records: S3rverRecord[];
  /** Resolves once at least `count` records arrived. */
  waitForRecords(count: number, timeoutMs?: number): Promise<S3rverRecord[]>;
  stop(): Promise<void>;
}

// s3rver runs in a child process because its ListObjectsV2 continuation tokens use DES, which
// OpenSSL 3 (Node >= 17) only offers with --openssl-legacy-provider; without it every second page
// of a listing fails with InternalError.
const CHILD_SCRIPT = `
const S3rver = require(process.argv[1]);
const options = JSON.parse(process.argv[2]);
const server = new S3rver(options);
server.on('event', (event) => process.send({ type: 'event', records: event.Records }));
server.run().then((address) => process.send({ type: 'ready', port: address.port }));
process.on('message', async (message) => {
  if (message !== 'stop') return;
  server.httpServer.closeAllConnections();
  await server.close();
  process.disconnect();
});
process.on('disconnect', () => process.exit(0));
`;

/** Starts s3rver on 127.0.0.1 on a free port with the given buckets, data in a fresh temp dir. */
export async function startS3rver(buckets: string[]): Promise<RunningS3rver> {
  const directory = await mkdtemp(join(tmpdir(), 'recoup-s3rver-'));
  const options = {
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  };
  const child = spawn(
    process.execPath,
    [
      '--openssl-legacy-provider',
      '-e',
      CHILD_SCRIPT,
      createRequire(import.meta.url).resolve('s3rver'),
      JSON.stringify(options),
    ],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const records: S3rverRecord[] = [];
  const waiters = new Set<() => void>();
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code} before it was ready`)));
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') resolve(message.port);
      else {
        records.push(...message.records);
        for (const wake of waiters) wake();
      }
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const env = {
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
  };
  const client = createS3Client(env, { credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  return {
    endpoint,
    client,
    env,
    directory,
    records,
    waitForRecords(count, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (records.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(records.slice());
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${count} s3rver records, got ${records.length}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async stop() {
      client.destroy();
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.send('stop');
        const timer = setTimeout(() => child.kill(), 5000);
        await exited;
        clearTimeout(timer);
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * Puts objects straight into s3rver's folder, the way its file-system store keeps them (the data
 * file `<key>._S3rver_object` and its MD5, the ETag): thousands of objects in
 * a moment, without thousands of PUT requests. No events are emitted for them.
 */
export async function seedS3rverObjects(
  server: Pick<RunningS3rver, 'directory'>,
  bucket: string,
  objects: Iterable<{ key: string; localPath: string }>,
): Promise<number> {
  const all = [...objects];
  const folders = new Map<string, Promise<unknown>>();
  // Each object is read once (its bytes give both the data file and the ETag), and several are
  // written at a time: a 10,000-object lake was seeded one file system call after another.
  const seedOne = async ({ key, localPath }: { key: string; localPath: string }) => {
    const parts = key.split('/');
    const name = parts.pop() as string;
    const dir = join(server.directory, bucket, ...parts);
    if (!folders.has(dir)) folders.set(dir, mkdir(dir, { recursive: true }));
    await folders.get(dir);
    const target = join(dir, `${name}._S3rver_object`);
    const bytes = await readFile(localPath);
    await writeFile(target, bytes);
    // The ETag file s3rver would otherwise compute on the first listing.
    await writeFile(`${target}.md5`, createHash('md5').update(bytes).digest('hex'));
  };
  let next = 0;
  const worker = async () => {
    while (next < all.length) await seedOne(all[next++] as { key: string; localPath: string });
  };
  await Promise.all(Array.from({ length: Math.min(16, all.length) }, worker));
  return all.length;
}

type ChildMessage = { type: 'ready'; port: number } | { type: 'event'; records: S3rverRecord[] };

/** S3 URL-encodes keys in event notifications (space as '+'); s3rver does not. */
function encodeEventKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
}

/** Adapts an s3rver record into the S3 event record real S3 delivers (version 2.1, encoded key). */
export function toS3EventRecord(record: S3rverRecord): S3EventRecord {
  const { bucket, object } = record.s3;
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: record.awsRegion,
    eventTime: record.eventTime,
    eventName: record.eventName,
    userIdentity: { principalId: 'AWS:S3RVER' },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: { 'x-amz-request-id': 'S3RVER', 'x-amz-id-2': 'S3RVER' },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'landing',
      bucket: {
        name: bucket.name,
        ownerIdentity: { principalId: 'S3RVER' },
        arn: `arn:aws:s3:::${bucket.name}`,
      },
      object: {
        key: encodeEventKey(object.key),
        size: object.size ?? 0,
        eTag: object.eTag ?? '',
        sequencer: object.sequencer,
      },
    },
  };
}

/** Wraps s3rver records the way S3 → SQS → Lambda delivers them: one SQS message per S3 event. */
export function toSqsS3Event(
  records: S3rverRecord[],
  queueArn = 'arn:aws:sqs:us-east-1:000000000000:ingest',
): SQSEvent {
  return {
    Records: records.map((record, index): SQSRecord => {
      const body: S3Event = { Records: [toS3EventRecord(record)] };
      return {
        messageId: `s3rver-${index}-${record.s3.object.sequencer}`,
        receiptHandle: `s3rver-receipt-${index}`,
        body: JSON.stringify(body),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(Date.parse(record.eventTime)),
          SenderId: 'AIDAS3RVER',
          ApproximateFirstReceiveTimestamp: String(Date.parse(record.eventTime)),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: queueArn,
        awsRegion: record.awsRegion,
      };
    }),
  };
}
