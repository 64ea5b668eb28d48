import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../functions/adapters/awsClients.ts';
import { S3ObjectStore } from '../functions/adapters/s3ObjectStore.ts';
import { processIngestEvent } from '../functions/aws/ingestEvent.ts';
import type { IngestInput } from '../functions/ingest/ingestFiles.ts';
import type { ObjectStore, StoredObject } from '../functions/ports/objectStore.ts';
import { ingestToLake } from '../functions/wiring/ingestToLake.ts';
import { BAD_DIR, prng, ROOT } from './helpers/badInputs.ts';
import { LakeComparer, type LakeDiff } from './helpers/killLoop.ts';
import { cleanup, ingestInto, inputOf, tempDir, within } from './helpers/lakeProbe.ts';
import { RestartableS3rver } from './helpers/restartableS3rver.ts';

/**
 * The S3 lake under outages: s3rver is crashed at a seeded write of an ingest and restarted after
 * a seeded delay. The ingest either completes (the SDK's retries bridge the outage) or fails
 * loudly; a rerun then completes the lake, which equals a clean local ingest of the same files
 * row for row (EXCEPT ALL both ways, orphans and duplicates counted).
 */

const SCENARIOS = 6;

let server: RestartableS3rver;
let serverDir: string;
let inputDir: string;
let inputs: IngestInput[];
let reference: string;
/** Objects a clean ingest writes (lake files, the quarantined file and its sidecar). */
let objectWrites: number;
let comparer: LakeComparer;
const scratch: string[] = [];

beforeAll(async () => {
  serverDir = tempDir('s3rver-data');
  server = new RestartableS3rver(serverDir, ['lake', 'landing']);
  await server.start();
  inputDir = tempDir('s3-in');
  const gen = spawnSync(
    process.execPath,
    [
      join(ROOT, 'bin', 'recoup.js'),
      'generate',
      '--out',
      inputDir,
      '--seed',
      '31',
      '--weeks',
      '3',
      '--payers',
      '3',
      '--providers',
      '5',
    ],
    { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
  );
  expect(gen.status, gen.stderr).toBe(0);
  copyFileSync(join(BAD_DIR, 'truncated-mid-claim.835'), join(inputDir, 'zz-truncated.835'));
  inputs = readdirSync(inputDir)
    .filter((n) => n.endsWith('.835'))
    .sort()
    .map((n) => inputOf(join(inputDir, n)));
  reference = tempDir('s3-ref');
  const summary = await ingestInto(reference, inputs);
  expect(summary.quarantined).toBe(1);
  expect(summary.remittances_written).toBeGreaterThan(5);
  objectWrites = summary.objects_written + 2;
  comparer = await LakeComparer.open(reference);
});

afterAll(async () => {
  comparer?.close();
  await server?.crash();
  cleanup(serverDir, inputDir, reference, ...scratch);
});

function s3Client(maxAttempts?: number): { client: S3Client; failedAttempts: () => number } {
  const env = { AWS_ENDPOINT_URL_S3: server.endpoint, AWS_REGION: 'us-east-1' };
  const client = createS3Client(env, {
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    ...(maxAttempts !== undefined ? { maxAttempts } : {}),
  });
  let failed = 0;
  // The deserialize step runs inside the retry loop: once per attempt.
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        failed++;
        throw error;
      }
    },
    { step: 'deserialize', name: 'recoupCountFailedAttempts' },
  );
  return { client, failedAttempts: () => failed };
}

/** Delegates to a store and crashes the server just before the n-th write; restarts it after a delay. */
class CrashingStore implements ObjectStore {
  writes = 0;
  restarted: Promise<void> = Promise.resolve();

  constructor(
    private readonly inner: ObjectStore,
    readonly crashAtWrite: number,
    private readonly outageMs: number,
  ) {}

  get location(): string {
    return this.inner.location;
  }
  get(key: string): Promise<Uint8Array> {
    return this.inner.get(key);
  }
  download(key: string, localPath: string): Promise<void> {
    return this.inner.download(key, localPath);
  }
  async put(key: string, body: Uint8Array | string): Promise<void> {
    await this.beforeWrite();
    return this.inner.put(key, body);
  }
  async putFile(key: string, localPath: string): Promise<void> {
    await this.beforeWrite();
    return this.inner.putFile(key, localPath);
  }
  exists(key: string): Promise<boolean> {
    return this.inner.exists(key);
  }
  list(prefix: string): AsyncIterable<StoredObject> {
    return this.inner.list(prefix);
  }
  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  private async beforeWrite(): Promise<void> {
    if (++this.writes !== this.crashAtWrite) return;
    await server.crash();
    this.restarted = new Promise((resolve, reject) => {
      setTimeout(() => server.start().then(resolve, reject), this.outageMs);
    });
  }
}

/** Copies every object of a store to a local folder (same keys), for DuckDB to read. */
async function downloadLake(store: ObjectStore, dir: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.list('')) {
    keys.push(o.key);
    await store.download(o.key, join(dir, ...o.key.split('/')));
  }
  return keys.sort();
}

describe('faults: S3 outage in the middle of an ingest', () => {
  it(`${SCENARIOS} seeded outages: completes on retry or fails loudly; a rerun completes the lake exactly`, async () => {
    const random = prng(3_141);
    const stats = {
      outages: 0,
      completedThroughRetries: 0,
      failedLoudly: 0,
      retriesObserved: 0,
      rowsLost: 0,
    };
    const zero = { remittances: 0, claims: 0, adjustments: 0 };
    for (let i = 0; i < SCENARIOS; i++) {
      // Half the runs use the default client (3 attempts); half one patient enough to outlast the outage.
      const { client, failedAttempts } = s3Client(i % 2 === 0 ? undefined : 12);
      const plain = new S3ObjectStore('lake', { prefix: `scenario-${i}`, client });
      const store = new CrashingStore(
        plain,
        1 + Math.floor(random() * objectWrites),
        [60, 300, 900][i % 3] as number,
      );
      let outcome: 'completed' | 'failed';
      try {
        // Small batches: the outage falls between commits, inside one, or in the quarantine write.
        await within(90_000, `ingest ${i}`, ingestToLake(inputs, { lake: store, batchBytes: 8 * 1024 }));
        outcome = 'completed';
      } catch (error) {
        outcome = 'failed';
        expect(error).toBeInstanceOf(Error);
        expect(String((error as Error).message).length).toBeGreaterThan(0);
      }
      await store.restarted;
      if (store.writes >= store.crashAtWrite) stats.outages++;
      if (outcome === 'completed') stats.completedThroughRetries++;
      else {
        stats.failedLoudly++;
        const rerun = await within(90_000, `rerun ${i}`, ingestToLake(inputs, { lake: plain }));
        expect(rerun.quarantined).toBe(1);
      }
      const copy = tempDir(`s3-copy-${i}`);
      scratch.push(copy);
      const keys = await downloadLake(plain, copy);
      expect(keys.some((k) => k.startsWith('quarantine/') && k.endsWith('-zz-truncated.835'))).toBe(true);
      const diff: LakeDiff = await comparer.diff(copy);
      expect(
        { extra: diff.extra, missing: diff.missing, extraRaw: diff.extraRaw, orphans: diff.orphans },
        `scenario ${i} (${outcome})`,
      ).toEqual({ extra: zero, missing: zero, extraRaw: zero, orphans: 0 });
      stats.rowsLost += Object.values(diff.missing).reduce((a, b) => a + b, 0);
      if (outcome === 'completed' && store.writes >= store.crashAtWrite) {
        // Completed although the server was down: some attempts failed and were retried.
        expect(failedAttempts()).toBeGreaterThan(0);
        stats.retriesObserved += failedAttempts();
      }
      client.destroy();
      cleanup(copy);
    }
    console.log(`[faults] S3 outages: ${JSON.stringify(stats)}`);
    expect(stats.outages).toBe(SCENARIOS);
    // Both paths must have been taken, or the test does not show what it claims.
    expect(stats.completedThroughRetries).toBeGreaterThan(0);
    expect(stats.failedLoudly).toBeGreaterThan(0);
  }, 300_000);
});

/**
 * `S3ObjectStore.putFile` sends a file as a stream, which the SDK refuses to retry ("An error was
 * encountered in a non-retryable streaming request"): one refused connection fails the upload,
 * where `put` of the same bytes is retried. The writer uses putFile for staged files past its
 * memory budget (large batches, large quarantined files), so exactly the big ingests lose the retries.
 */
it('S3ObjectStore.putFile is retried through a short outage, like put', async () => {
  const { client, failedAttempts } = s3Client(12);
  const store = new S3ObjectStore('lake', { prefix: 'putfile', client });
  const dir = tempDir('s3-putfile');
  scratch.push(dir);
  const local = join(dir, 'object.bin');
  writeFileSync(local, Buffer.alloc(256 * 1024, 7));
  const results: Record<string, string> = {};
  for (const method of ['put', 'putFile'] as const) {
    await server.crash();
    const restarted = new Promise<void>((resolve, reject) => {
      setTimeout(() => server.start().then(resolve, reject), 300);
    });
    try {
      if (method === 'put') await store.put(`${method}.bin`, readFileSync(local));
      else await store.putFile(`${method}.bin`, local);
      results[method] = 'stored';
    } catch (error) {
      results[method] = `failed: ${(error as Error).message}`;
    }
    await restarted;
  }
  expect(failedAttempts()).toBeGreaterThan(0);
  expect(results).toEqual({ put: 'stored', putFile: 'stored' });
  expect((await store.get('putFile.bin')).length).toBe(256 * 1024);
  client.destroy();
});

it('keeps s3rver objects byte-identical to the local lake for the same input', async () => {
  const { client } = s3Client();
  const store = new S3ObjectStore('lake', { prefix: 'identity', client });
  await ingestToLake(inputs.slice(0, 3), { lake: store });
  const copy = tempDir('s3-identity');
  scratch.push(copy);
  const keys = (await downloadLake(store, copy)).filter((k) => k.endsWith('.parquet'));
  expect(keys.length).toBeGreaterThan(0);
  for (const k of keys) {
    const local = readFileSync(join(reference, ...k.split('/')));
    const remote = readFileSync(join(copy, ...k.split('/')));
    // Remittance files carry ingested_at; claims and adjustments must be the same bytes.
    if (!k.startsWith('remittances/')) expect(remote.equals(local), k).toBe(true);
  }
  client.destroy();
});

/**
 * The Lambda path: SQS messages of S3 notifications, the lake crashing mid-batch. A message whose
 * ingest fails is reported in batchItemFailures (SQS redelivers it), never acknowledged; redelivering
 * the failed messages until none fail completes the lake exactly.
 */
it('the SQS ingest reports failed messages for redelivery, and redelivery completes the lake', async () => {
  const { client } = s3Client();
  const landing = new S3ObjectStore('landing', { client });
  const lake = new S3ObjectStore('lake', { prefix: 'lambda', client });
  for (const input of inputs) await landing.putFile(`in/${input.key.split('/').pop()}`, input.path);
  const messages = inputs.map((input, i) => ({
    messageId: `m${i}`,
    body: JSON.stringify({
      Records: [
        {
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: 'landing' }, object: { key: `in/${input.key.split('/').pop()}` } },
        },
      ],
    }),
  }));
  const crashing = new CrashingStore(lake, Math.ceil(objectWrites / 2), 300);
  const dir = tempDir('s3-lambda');
  scratch.push(dir);
  const logs: Record<string, unknown>[] = [];
  const deps = {
    lake: crashing,
    source: () => landing,
    scratch: dir,
    log: (e: Record<string, unknown>) => logs.push(e),
  };
  let pending = messages;
  const failedPerDelivery: number[] = [];
  for (let delivery = 0; delivery < 6 && pending.length > 0; delivery++) {
    const response = await within(60_000, 'SQS batch', processIngestEvent({ Records: pending }, deps));
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    failedPerDelivery.push(failed.size);
    pending = pending.filter((m) => failed.has(m.messageId));
    await crashing.restarted;
  }
  console.log(`[faults] SQS redelivery: failed messages per delivery ${JSON.stringify(failedPerDelivery)}`);
  expect(pending).toEqual([]);
  expect(failedPerDelivery[0]).toBeGreaterThan(0);
  // The unreadable file is quarantined and acknowledged, never retried for ever.
  const quarantinedMessage = `m${inputs.findIndex((f) => f.key.endsWith('zz-truncated.835'))}`;
  expect(logs.some((l) => l.messageId === quarantinedMessage && l.message === 'ingested')).toBe(true);
  const copy = tempDir('s3-lambda-copy');
  scratch.push(copy);
  await downloadLake(lake, copy);
  // Same bytes, other names: the Lambda keys sources as s3://landing/…, the reference by local path.
  const byContent = await LakeComparer.open(reference, ['source_key']);
  const diff = await byContent.diff(copy).finally(() => byContent.close());
  const zero = { remittances: 0, claims: 0, adjustments: 0 };
  expect({
    extra: diff.extra,
    missing: diff.missing,
    extraRaw: diff.extraRaw,
    orphans: diff.orphans,
  }).toEqual({
    extra: zero,
    missing: zero,
    extraRaw: zero,
    orphans: 0,
  });
  client.destroy();
});
