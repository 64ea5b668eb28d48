import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createS3Client } from '../functions/adapters/awsClients.ts';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import { S3ObjectStore } from '../functions/adapters/s3ObjectStore.ts';
import { processIngestEvent } from '../functions/aws/ingestEvent.ts';
import { runModelsJob } from '../functions/aws/modelsJob.ts';
import type { QuarantineNotice } from '../functions/aws/quarantineNotice.ts';
import { generateDataset } from '../functions/generate/generate.ts';
import type { Alert, AlertSink } from '../functions/ports/alertSink.ts';
import { startS3PermissionProxy } from './helpers/s3PermissionProxy.ts';
import { type RunningS3rver, startS3rver, toSqsS3Event } from './helpers/s3rver.ts';
import { startSnsEndpoint } from './helpers/snsEndpoint.ts';

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
      expect(key).toMatch(
        /^remittances\/payer_id=[^/]+\/payment_month=\d{4}-\d{2}\/[0-9a-f]{32}-[0-9a-f]{16}\.parquet$/,
      );
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

  it('counts a landed object deleted before ingest as gone: 404 with ListBucket, while a 403 without it retries', async () => {
    // Prepare: a landed file, deleted before its message is processed; clients reach s3rver
    // through a proxy that answers missing keys as S3 does for a caller without s3:ListBucket.
    const event = await land([
      { key: 'landing/deleted.835', body: readFileSync(join(FIXTURES, 'cases', 'full-claim-5010.835')) },
    ]);
    await s3.client.send(new DeleteObjectCommand({ Bucket: 'landing', Key: 'landing/deleted.835' }));
    const proxy = await startS3PermissionProxy(s3.endpoint);
    const client = createS3Client(
      { AWS_ENDPOINT_URL_S3: proxy.endpoint, AWS_REGION: 'us-east-1' },
      { credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, maxAttempts: 1 },
    );
    const metrics: [string, number][] = [];
    const viaProxy = {
      ...deps(),
      source: (bucket: string) => new S3ObjectStore(bucket, { client }),
      metric: (name: string, value: number) => metrics.push([name, value]),
    };
    try {
      // Act 1: as the stack deploys it, ingest may list the landing bucket.
      proxy.listable = new Set(['landing']);
      logs.length = 0;
      const granted = await processIngestEvent(event, viaProxy);

      // Assess 1: the message succeeds, nothing is ingested, the object is counted as gone.
      expect(granted.batchItemFailures).toEqual([]);
      expect(
        logs.some(
          (l) => l.message === 'landed object is gone' && l.file === 's3://landing/landing/deleted.835',
        ),
      ).toBe(true);
      expect(metrics).toContainEqual(['MissingObjects', 1]);
      expect(metrics).toContainEqual(['Files', 0]);

      // Act 2: without ListBucket, S3 answers 403 and ingest cannot tell gone from forbidden.
      proxy.listable = new Set();
      const denied = await processIngestEvent(event, viaProxy);

      // Assess 2: that is an error (retried, then the DLQ): the reason the stack grants ListBucket.
      expect(proxy.denied).toBe(1);
      expect(denied.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([event.Records[0]!.messageId]);
    } finally {
      client.destroy();
      await proxy.stop();
    }
  });

  it('makes a quarantined file loud: metrics and a notice naming no value from the file', async () => {
    // Prepare: an unreadable 835 (CLP04 is "1O0") next to a good one.
    const bad = readFileSync(join(FIXTURES, 'bad', 'bad-amount.835'), 'utf8');
    const event = await land([
      { key: 'landing/loud/bad-amount.835', body: bad },
      { key: 'landing/loud/good.835', body: readFileSync(join(FIXTURES, 'cases', 'unbalanced.835')) },
    ]);
    const metrics: [string, number][] = [];
    const notices: QuarantineNotice[] = [];

    // Act
    const response = await processIngestEvent(event, {
      ...deps(),
      metric: (name, value) => metrics.push([name, value]),
      notify: async (notice) => {
        notices.push(notice);
      },
    });

    // Assess: one notice, for the bad file, with code, segment and element and how to retry it.
    expect(response.batchItemFailures).toEqual([]);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({
      source: 'recoup',
      type: 'quarantined_file',
      file: 's3://landing/landing/loud/bad-amount.835',
      code: 'BAD_AMOUNT',
      segment_id: 'CLP',
      element: 'CLP04',
      retry: 'recoup quarantine retry --lake s3://lake',
    });
    expect(notices[0]!.quarantine_key).toMatch(/^quarantine\/[0-9a-f]{12}-bad-amount\.835$/);
    // Nothing from inside the file: not the patient control number, not the bad value.
    const text = JSON.stringify(notices);
    expect(text).not.toContain('B100');
    expect(text).not.toContain('1O0');
    // Metrics: per message, the quarantined file and the unbalanced transaction are counted.
    const sum = (name: string) => metrics.filter(([n]) => n === name).reduce((a, [, v]) => a + v, 0);
    expect(sum('QuarantinedFiles')).toBe(1);
    expect(sum('UnbalancedTransactions')).toBeGreaterThanOrEqual(1);
    expect(sum('Files')).toBe(2);
    expect(metrics.some(([n]) => n === 'KeyConflicts')).toBe(true);
  });

  it('Lambda handler: Powertools JSON logs with request id and cold start, EMF metrics, an SNS notice', async () => {
    // Prepare: the handler module loaded fresh with its environment pointing at s3rver and a
    // local SNS endpoint; stdout captured, where Lambda's log agent reads logs and EMF.
    const sns = await startSnsEndpoint();
    const event = await land([
      { key: 'landing/handler/bad-amount.835', body: readFileSync(join(FIXTURES, 'bad', 'bad-amount.835')) },
      {
        key: 'landing/handler/ok.835',
        body: readFileSync(join(FIXTURES, 'cases', 'full-claim-5010-rewrapped.835')),
      },
    ]);
    const env = {
      ...s3.env,
      AWS_ENDPOINT_URL_SNS: sns.endpoint,
      LAKE_BUCKET: 'lake',
      LAKE_PREFIX: 'handler-run',
      ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:recoup-alerts',
      RECOUP_SCRATCH: join(scratch, 'handler'),
      POWERTOOLS_LOG_LEVEL: 'INFO',
      // Set by Lambda; Powertools reports a cold start only for on-demand environments.
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    // Lambda's log agent reads both streams (Powertools logs WARN and ERROR to stderr).
    let printed = '';
    const capture = (chunk: string | Uint8Array) => {
      printed += chunk.toString();
      return true;
    };
    const spies = [
      vi.spyOn(process.stdout, 'write').mockImplementation(capture),
      vi.spyOn(process.stderr, 'write').mockImplementation(capture),
    ];
    const context = {
      functionName: 'recoup-ingest',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:recoup-ingest',
      memoryLimitInMB: '1769',
      awsRequestId: 'request-0001',
      logGroupName: '/aws/lambda/recoup-ingest',
      logStreamName: 'stream',
      getRemainingTimeInMillis: () => 300_000,
    } as unknown as Context;
    let response: Awaited<ReturnType<typeof import('../functions/aws/handlers/ingestHandler.ts').handler>>;
    try {
      vi.resetModules();
      const { handler } = await import('../functions/aws/handlers/ingestHandler.ts');

      // Act
      response = await handler(event, context);
    } finally {
      for (const spy of spies) spy.mockRestore();
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await sns.stop();
    }

    // Assess: the batch succeeded; every line is JSON (the SDK's Node-version notice aside).
    expect(response.batchItemFailures).toEqual([]);
    const lines = printed
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // Logs: structured, with level, service, request id and cold start.
    const ingested = lines.filter((l) => l.message === 'ingested');
    expect(ingested).toHaveLength(2); // one per SQS message
    for (const line of ingested) {
      expect(line).toMatchObject({
        service: 'recoup-ingest',
        function_request_id: 'request-0001',
        cold_start: true,
        files: 1,
      });
    }
    expect(ingested.map((l) => l.level).sort()).toEqual(['INFO', 'WARN']);
    // EMF: one document with the ingest counts in namespace recoup, dimension service.
    const emf = lines.filter((l) => l._aws !== undefined);
    const counts = emf.find((l) => 'Files' in l)!;
    const directive = (
      counts._aws as {
        CloudWatchMetrics: {
          Namespace: string;
          Dimensions: string[][];
          Metrics: { Name: string; Unit: string }[];
        }[];
      }
    ).CloudWatchMetrics[0]!;
    expect(directive.Namespace).toBe('recoup');
    expect(directive.Dimensions).toEqual([['service']]);
    expect(counts.service).toBe('recoup-ingest');
    const names = Object.fromEntries(directive.Metrics.map((m) => [m.Name, m.Unit]));
    expect(names).toMatchObject({
      Files: 'Count',
      Remittances: 'Count',
      Claims: 'Count',
      Adjustments: 'Count',
      Duplicates: 'Count',
      QuarantinedFiles: 'Count',
      UnbalancedTransactions: 'Count',
      IngestLag: 'Seconds',
    });
    // A metric added once per message is a list of values in the one document.
    const total = (name: string) => [counts[name]].flat().reduce((a: number, v) => a + Number(v), 0);
    expect([total('Files'), total('QuarantinedFiles'), total('Remittances')]).toEqual([2, 1, 1]);
    // Ingest lag: one value per landed object, from its S3 event to the end of its ingest.
    const lags = [counts.IngestLag].flat().map(Number);
    expect(lags).toHaveLength(2);
    for (const lag of lags) expect(lag).toBeGreaterThanOrEqual(0);
    expect(emf.some((l) => l.ColdStart === 1 && l.function_name === 'recoup-ingest')).toBe(true);
    // The quarantine notice went to the topic: JSON for machines, text for e-mail.
    expect(sns.published).toHaveLength(1);
    const message = JSON.parse(sns.published[0]!.Message!);
    expect(JSON.parse(message.default)).toMatchObject({ type: 'quarantined_file', code: 'BAD_AMOUNT' });
    expect(message.email).toContain('recoup quarantine retry --lake s3://lake/handler-run');
    expect(sns.published[0]!.TopicArn).toBe('arn:aws:sns:us-east-1:000000000000:recoup-alerts');
  });

  it('models job: syncs the lake by ETag, builds, uploads marts, publishes each new alert once', async () => {
    // Prepare: a fresh lake bucket prefix holding a generated data set with a recent spike.
    const modelsLake = new S3ObjectStore('lake', { client: s3.client, prefix: 'models-run' });
    const files: { key: string; body: string }[] = [];
    generateDataset(
      {
        seed: 21,
        weeks: 34,
        payers: 2,
        providers: 6,
        scale: 3,
        spikes: [{ payer: 0, week: 32, factor: 40 }],
      },
      (f) => files.push({ key: `landing/gen/${f.name}`, body: f.text }),
    );
    const event = await land(files);
    const ingest = await processIngestEvent(event, { ...deps(), lake: modelsLake });
    expect(ingest.batchItemFailures).toEqual([]);
    const localDir = join(scratch, 'models-lake');
    const sink = new RecordingSink();

    // Act
    const metrics: [string, number, string | undefined][] = [];
    const first = await runModelsJob({
      lake: modelsLake,
      localDir,
      sinks: [sink],
      log: () => {},
      metric: (name, value, unit) => metrics.push([name, value, unit]),
    });

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
    // The run's metrics (EMF in Lambda) say the same.
    expect(metrics).toContainEqual(['AlertsSent', first.alerts.sent, undefined]);
    expect(metrics).toContainEqual(['MartsUploaded', first.martsUploaded, undefined]);
    expect(metrics).toContainEqual(['LakeObjectsDownloaded', first.synced.downloaded, undefined]);
    expect(metrics.find(([name]) => name === 'BuildSeconds')?.[2]).toBe('Seconds');

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
