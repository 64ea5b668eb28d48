import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import { S3ObjectStore } from '../functions/adapters/s3ObjectStore.ts';
import { processIngestEvent } from '../functions/aws/ingestEvent.ts';
import { runModelsJob } from '../functions/aws/modelsJob.ts';
import { generateDataset } from '../functions/generate/generate.ts';
import type { Alert, AlertSink } from '../functions/ports/alertSink.ts';
import { type RunningS3rver, startS3rver, toSqsS3Event } from './helpers/s3rver.ts';

/** Collects what it is sent, like an SNS topic would. */
class RecordingSink implements AlertSink {
  readonly name = 'recording';
  readonly sent: Alert[] = [];
  async send(alerts: Alert[]): Promise<void> {
    this.sent.push(...alerts);
  }
}

const FIXTURES = join(import.meta.dirname, 'fixtures', '835');

describe('AWS handlers end to end against s3rver', () => {
  let s3: RunningS3rver;
  let scratch: string;
  let lake: S3ObjectStore;
  const logs: Record<string, unknown>[] = [];

  const deps = () => ({
    lake,
    source: (bucket: string) => new S3ObjectStore(bucket, { client: s3.client }),
    scratch,
    log: (entry: Record<string, unknown>) => logs.push(entry),
  });

  /** Puts objects in the landing bucket and returns the SQS event S3 would have sent for them. */
  async function land(files: { key: string; body: string | Uint8Array }[]) {
    const before = s3.records.length;
    for (const f of files) {
      await s3.client.send(new PutObjectCommand({ Bucket: 'landing', Key: f.key, Body: f.body }));
    }
    const records = await s3.waitForRecords(before + files.length);
    return toSqsS3Event(records.slice(before).filter((r) => r.s3.bucket.name === 'landing'));
  }

  async function lakeKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const o of lake.list(prefix)) keys.push(o.key);
    return keys.sort();
  }

  beforeAll(async () => {
    s3 = await startS3rver(['landing', 'lake']);
    scratch = mkdtempSync(join(tmpdir(), 'recoup-handlers-'));
    lake = new S3ObjectStore('lake', { client: s3.client });
  });

  afterAll(async () => {
    await s3?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('ingests landed files into the lake bucket, quarantines a bad one, and a re-delivery changes nothing', async () => {
    // Prepare: two good files (one key with a space, URL-encoded by S3 in the event) and a bad one.
    const good1 = readFileSync(
      join(FIXTURES, 'recoup', readdirSync(join(FIXTURES, 'recoup')).sort()[0] as string),
    );
    const good2 = readFileSync(join(FIXTURES, 'cases', 'full-claim-5010.835'));
    const event = await land([
      { key: 'landing/2024/week one.835', body: good1 },
      { key: 'landing/2024/known.835', body: good2 },
      { key: 'landing/2024/broken.835', body: 'ISA*00*this is not an interchange' },
    ]);

    // Act
    const response = await processIngestEvent(event, deps());

    // Assess: no retry asked for; the good remittances are in the lake; the bad file is quarantined.
    expect(response.batchItemFailures).toEqual([]);
    const remittances = await lakeKeys('remittances/');
    expect(remittances.length).toBeGreaterThanOrEqual(2);
    for (const key of remittances)
      expect(key).toMatch(/^remittances\/payer_id=[^/]+\/payment_month=\d{4}-\d{2}\/[0-9a-f]{32}\.parquet$/);
    const quarantine = await lakeKeys('quarantine/');
    expect(quarantine.some((k) => k.endsWith('broken.835'))).toBe(true);
    const sidecar = quarantine.find((k) => k.endsWith('broken.835.error.json')) as string;
    const reason = JSON.parse(Buffer.from(await lake.get(sidecar)).toString('utf8'));
    expect(reason).toMatchObject({ file: 's3://landing/landing/2024/broken.835', code: 'BAD_ISA' });

    // A second delivery of the same notification (SQS is at-least-once) writes nothing new.
    const objectsBefore = [
      ...(await lakeKeys('remittances/')),
      ...(await lakeKeys('claims/')),
      ...(await lakeKeys('adjustments/')),
    ];
    logs.length = 0;
    const again = await processIngestEvent(event, deps());
    expect(again.batchItemFailures).toEqual([]);
    const objectsAfter = [
      ...(await lakeKeys('remittances/')),
      ...(await lakeKeys('claims/')),
      ...(await lakeKeys('adjustments/')),
    ];
    expect(objectsAfter).toEqual(objectsBefore);
    const ingested = logs.filter((l) => l.message === 'ingested') as {
      remittances_written: number;
      duplicates: number;
    }[];
    expect(ingested.reduce((n, l) => n + l.remittances_written, 0)).toBe(0);
    expect(ingested.reduce((n, l) => n + l.duplicates, 0)).toBeGreaterThanOrEqual(2);
  });

  it('reports a transient failure as a partial batch failure and a bad message without failing the batch', async () => {
    const ok = await land([
      { key: 'landing/ok.835', body: readFileSync(join(FIXTURES, 'cases', 'full-claim-5010.835')) },
    ]);
    const okRecord = ok.Records[0]!;
    const missingBucket = {
      ...okRecord,
      messageId: 'missing-bucket',
      body: okRecord.body.replace('"name":"landing"', '"name":"no-such-bucket"'),
    };
    const garbage = { ...okRecord, messageId: 'garbage', body: 'not json' };
    const response = await processIngestEvent({ Records: [okRecord, missingBucket, garbage] }, deps());
    // The good message succeeds; the one S3 cannot serve and the malformed one go back to the queue (then the DLQ).
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([
      'garbage',
      'missing-bucket',
    ]);
    expect(logs.some((l) => l.level === 'error' && l.messageId === 'missing-bucket')).toBe(true);
  });

  it('ignores the s3:TestEvent S3 sends when notifications are configured', async () => {
    const response = await processIngestEvent(
      { Records: [{ messageId: 't', body: JSON.stringify({ Event: 's3:TestEvent', Bucket: 'landing' }) }] },
      deps(),
    );
    expect(response.batchItemFailures).toEqual([]);
  });

  it('models job: syncs the lake by ETag, builds, uploads marts, publishes each new alert once', async () => {
    // Prepare: a fresh lake bucket prefix holding a generated data set with a recent spike.
    const modelsLake = new S3ObjectStore('lake', { client: s3.client, prefix: 'models-run' });
    const files: { key: string; body: string }[] = [];
    generateDataset(
      {
        seed: 21,
        weeks: 20,
        payers: 2,
        providers: 6,
        scale: 3,
        spikes: [{ payer: 0, week: 18, factor: 40 }],
      },
      (f) => files.push({ key: `landing/gen/${f.name}`, body: f.text }),
    );
    const event = await land(files);
    const ingest = await processIngestEvent(event, { ...deps(), lake: modelsLake });
    expect(ingest.batchItemFailures).toEqual([]);
    const localDir = join(scratch, 'models-lake');
    const sink = new RecordingSink();

    // Act
    const first = await runModelsJob({ lake: modelsLake, localDir, sinks: [sink], log: () => {} });

    // Assess: every lake object was downloaded once; the marts are in the bucket; the spike alerted.
    expect(first.synced.downloaded).toBeGreaterThan(0);
    expect(first.synced.unchanged).toBe(0);
    const martKeys: string[] = [];
    for await (const o of modelsLake.list('marts/')) martKeys.push(o.key);
    for (const mart of [
      'recoupment_rates',
      'payer_scorecard',
      'takeback_trend',
      'liquidity_forecast',
      'takeback_alerts',
    ]) {
      expect(martKeys).toContain(`marts/${mart}/data.parquet`);
    }
    expect(first.alerts.sent).toBeGreaterThan(0);
    expect(sink.sent.length).toBe(first.alerts.sent);

    // The marts uploaded to S3 are the ones built: compare payer_scorecard with the local build.
    const downloaded = join(scratch, 'scorecard.parquet');
    await modelsLake.download('marts/payer_scorecard/data.parquet', downloaded);
    const db = await openDuckDb();
    const { rows } = await runQuery(db, `SELECT count(*) AS n FROM read_parquet('${downloaded}')`);
    db.closeSync();
    expect(rows[0]?.n).toBe(2);

    // A second run downloads nothing (ETags unchanged) and sends nothing again.
    const second = await runModelsJob({ lake: modelsLake, localDir, sinks: [sink], log: () => {} });
    expect(second.synced.downloaded).toBe(0);
    expect(second.synced.unchanged).toBe(first.synced.downloaded);
    expect(second.alerts).toEqual({ sent: 0, skipped: first.alerts.sent });
    expect(sink.sent.length).toBe(first.alerts.sent);
  });
});
