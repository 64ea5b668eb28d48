import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildDuckDbModels } from '../functions/adapters/duckdb/buildDuckDbModels.ts';
import { compactLake } from '../functions/adapters/duckdb/compactLake.ts';
import { listMarts } from '../functions/adapters/duckdb/lakeViews.ts';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { S3ObjectStore } from '../functions/adapters/s3ObjectStore.ts';
import { planFanout, runFanoutMerge, runFanoutPartition } from '../functions/aws/modelsFanout.ts';
import { runModelsJob } from '../functions/aws/modelsJob.ts';
import { loadState } from '../functions/aws/syncLake.ts';
import { parseStagedKey } from '../functions/core/lake/compactedLayout.ts';
import type { Alert, AlertSink } from '../functions/ports/alertSink.ts';
import { filesUnder } from './helpers/filesUnder.ts';
import { ingestGeneratedLake } from './helpers/generatedLake.ts';
import { martRows, sortedRows } from './helpers/martRows.ts';
import { type RunningS3rver, seedS3rverObjects, startS3rver } from './helpers/s3rver.ts';
import { startSnsEndpoint } from './helpers/snsEndpoint.ts';

// The AWS models job over a two-layer lake in S3 (s3rver): the single job and the fan-out by payer
// (plan → one partition step per group → merge, the handlers the state machine invokes) read only
// the files readers see, and write the marts a local build in one process writes.

class RecordingSink implements AlertSink {
  readonly name = 'recording';
  sent: Alert[] = [];
  async send(alerts: Alert[]): Promise<void> {
    this.sent.push(...alerts);
  }
}

let s3: RunningS3rver;
let dir: string;
/** The local lake (every remittance) and its marts built in one process. */
let localLake: string;
let lake: S3ObjectStore;
const ORPHAN =
  'claims/payer_id=P/payment_month=2025-01/ffffffffffffffffffffffffffffffff-0000000000000000.parquet';
let staleCompacted: string;
/** Alerts the single job sent (the fan-out's merge finds the same ones already sent). */
let singleAlerts = 0;

async function expectMartsInBucket(prefix: string): Promise<void> {
  const got = join(dir, `got-${prefix}`);
  const store = new S3ObjectStore('lake', { client: s3.client, prefix });
  const expected = listMarts(localLake);
  for (const mart of expected)
    await store.download(`marts/${mart}/data.parquet`, join(got, mart, 'data.parquet'));
  for (const mart of expected) {
    const want = await martRows(join(localLake, 'marts'), mart);
    const have = await martRows(got, mart);
    expect(have.columns, mart).toEqual(want.columns);
    expect(have.rows.length, mart).toBe(want.rows.length);
    expect(sortedRows(have.rows), mart).toEqual(sortedRows(want.rows));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'recoup-fanout-'));
  s3 = await startS3rver(['lake']);
  localLake = join(dir, 'local-lake');
  await ingestGeneratedLake(localLake, {
    seed: 77,
    weeks: 30,
    payers: 4,
    providers: 8,
    scale: 1,
    spikes: [{ payer: 1, week: 28, factor: 30 }],
  });
  const files = filesUnder(localLake);
  // Half the remittances go in first and are compacted; the other half stay staged.
  const remitIds = [...new Set(files.map((f) => parseStagedKey(f)?.remitId ?? ''))].filter(Boolean).sort();
  const firstHalf = new Set(remitIds.filter((_, i) => i % 2 === 0));
  const objects = (first: boolean) =>
    files
      .filter((f) => firstHalf.has(parseStagedKey(f)?.remitId ?? '') === first)
      .map((f) => ({ key: `fan/${f}`, localPath: join(localLake, ...f.split('/')) }));
  await seedS3rverObjects(s3, 'lake', objects(true));
  lake = new S3ObjectStore('lake', { client: s3.client, prefix: 'fan' });
  const compacted = await compactLake({ lake, scratch: join(dir, 'compact') });
  expect(compacted.remittances_compacted).toBe(firstHalf.size);
  await seedS3rverObjects(s3, 'lake', objects(false));
  // What readers must not see: an uncommitted claims file (no remittance) and a compacted file no
  // manifest names (a killed compaction's leftover).
  const someClaims = files.find((f) => f.startsWith('claims/')) as string;
  await lake.putFile(ORPHAN, join(localLake, ...someClaims.split('/')));
  const current: string[] = [];
  for await (const o of lake.list('compacted/claims/')) current.push(o.key);
  staleCompacted = (current[0] as string).replace(/\/g\d{8}-[^/]+$/, '/g00000099-killed-0.parquet');
  await lake.putFile(staleCompacted, join(localLake, ...someClaims.split('/')));
  // The expected marts: one local build over every remittance.
  const db = await openDuckDb();
  try {
    await buildDuckDbModels({ db, lakeDir: localLake });
  } finally {
    db.closeSync();
  }
});

afterAll(async () => {
  await s3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('AWS models job over a compacted and staged lake', () => {
  it('single job: reads the current generation and committed staged files only, and builds the local marts', async () => {
    const localDir = join(dir, 'single');
    const result = await runModelsJob({ lake, localDir, sinks: [new RecordingSink()], log: () => {} });
    expect(result.complete).toBe(true);
    expect(result.alerts.sent).toBeGreaterThan(0);
    singleAlerts = result.alerts.sent;
    const copied = filesUnder(localDir).filter((f) => !f.startsWith('marts/'));
    expect(copied.some((f) => f.startsWith('compacted/claims/'))).toBe(true);
    expect(copied.some((f) => f.startsWith('claims/payer_id='))).toBe(true);
    expect(copied).not.toContain(ORPHAN);
    expect(copied).not.toContain(staleCompacted);
    expect(result.synced.objects).toBe(copied.length);
    // The state in the bucket names exactly what was copied.
    const state = await loadState(lake, 'state/models-sync.json');
    expect(Object.keys(state.objects).sort()).toEqual(copied);
    await expectMartsInBucket('fan');
  });

  it('fan-out: plan, one partition per payer group, merge: the merged marts equal a local build', async () => {
    const out = new S3ObjectStore('lake', { client: s3.client, prefix: 'fan' });
    // The single job's marts are removed first: what the bucket holds afterwards is the merge's.
    for await (const o of out.list('marts/')) await out.delete(o.key);
    const plan = await planFanout({ lake: out, scratch: join(dir, 'plan') }, { jobs: 3 });
    expect(plan.groups.length).toBe(3);
    expect(plan.groups.flatMap((g) => g.payers).sort()).toHaveLength(4);
    const partitions = [];
    for (const group of plan.groups) {
      // Each group in its own scratch, as separate functions would be.
      const scratch = join(dir, `group-${group.index}`);
      const result = await runFanoutPartition({ lake: out, scratch }, group);
      expect(result.complete).toBe(true);
      // A group copied its own payers' files and no other payer's.
      const payersCopied = new Set(
        filesUnder(join(scratch, 'group-lake')).map((f) => /payer_id=([^/]+)/.exec(f)?.[1]),
      );
      expect([...payersCopied].sort()).toEqual([...group.payers].sort());
      partitions.push(result);
    }
    const sink = new RecordingSink();
    const merged = await runFanoutMerge(
      { lake: out, scratch: join(dir, 'merge'), sinks: [sink] },
      { run: plan.run, asOf: plan.asOf, appealsAsOf: plan.appealsAsOf, partitions },
    );
    expect(merged.martsUploaded).toBe(listMarts(localLake).length);
    // The merged takeback_alerts hold the single job's alerts: all already sent, none new.
    expect(merged.alerts).toEqual({ sent: 0, skipped: singleAlerts });
    expect(sink.sent).toEqual([]);
    await expectMartsInBucket('fan');
    // The merge step publishes the report, the exports and the digest too (issue 25).
    for (const key of ['reports/latest.html', `reports/${plan.asOf}.html`, 'reports/digest-latest.json'])
      expect(await out.exists(key), key).toBe(true);
    const exported: string[] = [];
    for await (const o of out.list(`exports/${plan.asOf}/`)) exported.push(o.key);
    expect(exported).toHaveLength(4);
  });

  it('the Lambda handler runs the state machine steps; a group out of time fails with SyncIncompleteError', async () => {
    const sns = await startSnsEndpoint();
    const env = {
      ...s3.env,
      AWS_ENDPOINT_URL_SNS: sns.endpoint,
      LAKE_BUCKET: 'lake',
      LAKE_PREFIX: 'fan',
      ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:recoup-alerts',
      RECOUP_SCRATCH: join(dir, 'handler'),
      RECOUP_BUILD_RESERVE_SECONDS: '300',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    const quiet = [
      vi.spyOn(process.stdout, 'write').mockImplementation(() => true),
      vi.spyOn(process.stderr, 'write').mockImplementation(() => true),
    ];
    const context = (remainingMs: number) =>
      ({
        functionName: 'recoup-models',
        awsRequestId: 'request-0001',
        getRemainingTimeInMillis: () => remainingMs,
      }) as unknown as Context;
    try {
      vi.resetModules();
      const { handler } = await import('../functions/aws/handlers/modelsHandler.ts');
      const plan = (await handler({ step: 'plan', jobs: 2 }, context(900_000))) as Awaited<
        ReturnType<typeof planFanout>
      >;
      expect(plan.groups).toHaveLength(2);
      const first = plan.groups[0] as (typeof plan.groups)[number];
      // 300 s reserve out of 300.001 s left: the copy stops at once; Step Functions retries on the name.
      const outOfTime = await handler({ step: 'partition', ...first }, context(300_001)).catch(
        (e: Error) => e,
      );
      expect(outOfTime).toBeInstanceOf(Error);
      expect((outOfTime as Error).name).toBe('SyncIncompleteError');
      const partitions = [];
      for (const group of plan.groups)
        partitions.push(
          (await handler({ step: 'partition', ...group }, context(900_000))) as { prefix: string },
        );
      for await (const o of lake.list('marts/')) await lake.delete(o.key);
      const merged = (await handler(
        { step: 'merge', run: plan.run, asOf: plan.asOf, appealsAsOf: plan.appealsAsOf, partitions },
        context(900_000),
      )) as { martsUploaded: number; alerts: { sent: number } };
      expect(merged.martsUploaded).toBe(listMarts(localLake).length);
      await expectMartsInBucket('fan');
      // The SNS sink had sent nothing yet: the merged marts' alerts went to the topic, once each.
      expect(merged.alerts.sent).toBe(singleAlerts);
      expect(sns.published.length).toBeGreaterThan(0);
    } finally {
      await sns.stop();
      for (const spy of quiet) spy.mockRestore();
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
