import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import type { PublishCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import { S3ObjectStore } from '../functions/adapters/s3ObjectStore.ts';
import { runModelsJob } from '../functions/aws/modelsJob.ts';
import { EXPORT_MARTS, LATEST_DIGEST_KEY } from '../functions/aws/publishReports.ts';
import { reportLink, runWeeklyDigest, type SnsPublish } from '../functions/aws/weeklyDigest.ts';
import { writeDataset } from '../functions/generate/index.ts';
import { ingestFolder } from './helpers/generatedLake.ts';
import { type RunningS3rver, startS3rver } from './helpers/s3rver.ts';

// Issue 25 on AWS: after a models run the report (the CLI's renderer), the finance exports (CSV)
// and the digest are in the lake bucket; each digest schedule tick publishes one PHI-free message
// whose presigned link fetches the report from the S3 server.

/** Records what is published, like the alert topic would. */
class RecordingTopic implements SnsPublish {
  readonly messages: PublishCommand['input'][] = [];
  async send(command: PublishCommand): Promise<unknown> {
    this.messages.push(command.input);
    return { MessageId: String(this.messages.length) };
  }
}

describe('reports, exports and the weekly digest on AWS (s3rver)', () => {
  let s3: RunningS3rver;
  let dir: string;
  let data: string;
  let lake: S3ObjectStore;

  beforeAll(async () => {
    s3 = await startS3rver(['lake']);
    dir = mkdtempSync(join(tmpdir(), 'recoup-aws-reports-'));
    data = join(dir, 'data');
    const local = join(dir, 'ingested');
    await writeDataset(data, {
      seed: 25,
      weeks: 34,
      payers: 3,
      providers: 6,
      scale: 2,
      spikes: [{ payer: 0, week: 31, factor: 60 }],
    });
    await ingestFolder(data, local);
    // The lake bucket holds what the ingest Lambda would have written.
    lake = new S3ObjectStore('lake', { client: s3.client, prefix: 'tenant' });
    const files = (await readdir(local, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    for (const f of files) {
      const path = join(f.parentPath, f.name);
      await lake.putFile(relative(local, path).split(sep).join('/'), path);
    }
  });

  afterAll(async () => {
    await s3?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a models run publishes the report, the CSV exports and the digest under reports/ and exports/', async () => {
    const logs: Record<string, unknown>[] = [];
    await runModelsJob({
      lake,
      localDir: join(dir, 'models', 'lake'),
      sinks: [],
      asOf: '2024-08-30',
      log: (e) => logs.push(e),
    });

    // The report: the CLI's self-contained HTML, the same bytes at latest.html and the dated key.
    const latest = Buffer.from(await lake.get('reports/latest.html')).toString('utf8');
    const dated = Buffer.from(await lake.get('reports/2024-08-30.html')).toString('utf8');
    expect(latest).toBe(dated);
    expect(latest).toMatch(/^<!doctype html>/i);
    expect(latest).toContain('payer_scorecard');

    // The exports: one CSV per finance mart, whose rows are the mart's rows (money exact).
    const exportKeys: string[] = [];
    for await (const o of lake.list('exports/')) exportKeys.push(o.key);
    expect(exportKeys.sort()).toEqual(EXPORT_MARTS.map((m) => `exports/2024-08-30/${m}.csv`).sort());
    const csv = Buffer.from(await lake.get('exports/2024-08-30/payer_scorecard.csv')).toString('utf8');
    const [header, ...rows] = csv.trimEnd().split('\n');
    expect(header?.split(',')).toContain('paid');
    const db = await openDuckDb();
    try {
      const mart = join(dir, 'models', 'lake', 'marts', 'payer_scorecard', 'data.parquet');
      const { rows: martRows } = await runQuery(
        db,
        `SELECT payer_id, CAST(paid AS VARCHAR) AS paid FROM read_parquet('${mart}') ORDER BY payer_id`,
      );
      expect(rows).toHaveLength(martRows.length);
      const columns = header!.split(',');
      const parsed = rows
        .map((r) => r.split(','))
        .map((cells) => ({
          payer_id: cells[columns.indexOf('payer_id')],
          paid: cells[columns.indexOf('paid')],
        }))
        .sort((a, b) => String(a.payer_id).localeCompare(String(b.payer_id)));
      expect(parsed).toEqual(martRows.map((r) => ({ payer_id: r.payer_id, paid: r.paid })));
    } finally {
      db.closeSync();
    }
    expect(logs).toContainEqual(
      expect.objectContaining({ message: 'reports published', as_of: '2024-08-30' }),
    );
    expect(await lake.exists(LATEST_DIGEST_KEY)).toBe(true);
  });

  it('each schedule tick sends one digest naming no claim, patient or member; its presigned link fetches the report', async () => {
    const topic = new RecordingTopic();
    const link = {
      kind: 'presigned' as const,
      s3: s3.client,
      bucket: 'lake',
      prefix: lake.prefix,
      lifetimeSeconds: 3600,
    };
    const first = await runWeeklyDigest({
      lake,
      sns: topic,
      topicArn: 'arn:aws:sns:us-east-1:0:alerts',
      link,
    });
    expect(first.published).toBe(true);
    expect(topic.messages).toHaveLength(1);
    const second = await runWeeklyDigest({
      lake,
      sns: topic,
      topicArn: 'arn:aws:sns:us-east-1:0:alerts',
      link,
    });
    expect(second.published).toBe(true);
    expect(topic.messages).toHaveLength(2);

    const message = topic.messages[0]!;
    expect(message.TopicArn).toBe('arn:aws:sns:us-east-1:0:alerts');
    expect(message.Subject).toBe('recoup weekly digest, as of 2024-08-30');
    const body = JSON.parse(message.Message!);
    const email: string = body.email;
    const json = JSON.parse(body.default);
    expect(json.type).toBe('weekly_digest');
    expect(json.digest.payers).toHaveLength(3);
    const lines = email.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^recoup digest, as of 2024-08-30 /);
    for (const line of lines.slice(0, -1)) expect([...line].length, line).toBeLessThanOrEqual(80);
    expect(lines.at(-2)).toBe('Full report:');
    expect(lines.at(-1)).toBe(first.link);
    expect(first.link).toContain('X-Amz-Signature=');
    expect(first.link).toContain('X-Amz-Expires=3600');

    // No CLP01, patient name or member id of the files in the message, in either form.
    const secrets = new Set<string>();
    for (const name of readdirSync(data).filter((n) => n.endsWith('.835'))) {
      for (const segment of readFileSync(join(data, name), 'utf8').split(/~\s*/)) {
        const el = segment.split(/[*|^]/);
        if (el[0] === 'CLP' && el[1]) secrets.add(el[1]);
        if (el[0] === 'NM1' && (el[1] === 'QC' || el[1] === 'IL'))
          for (const v of [el[3], el[4], el[9]]) if (v && v.length > 3) secrets.add(v);
      }
    }
    expect(secrets.size).toBeGreaterThan(100);
    const text = `${message.Subject}\n${message.Message}`;
    expect([...secrets].filter((s) => text.includes(s))).toEqual([]);

    // Within its lifetime the link fetches the report from the S3 server. (s3rver checks the key id
    // and the expiry of a presigned URL, not its SigV4 signature.)
    const response = await fetch(first.link!);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(Buffer.from(await lake.get('reports/latest.html')).toString('utf8'));
    // A link signed two hours ago with a one-hour lifetime is past it: refused.
    const old = await reportLink({ ...link, signingDate: new Date(Date.now() - 2 * 3600 * 1000) });
    const expired = await fetch(old);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('Request has expired');
  });

  it('links to the S3 console when presigning is off, and refuses a lifetime over seven days', async () => {
    const console = await reportLink({
      kind: 'console',
      bucket: 'lake',
      prefix: 'tenant/',
      region: 'eu-west-1',
    });
    expect(console).toBe(
      'https://eu-west-1.console.aws.amazon.com/s3/object/lake?region=eu-west-1&prefix=tenant%2Freports%2Flatest.html',
    );
    await expect(
      reportLink({
        kind: 'presigned',
        s3: s3.client,
        bucket: 'lake',
        prefix: '',
        lifetimeSeconds: 8 * 24 * 3600,
      }),
    ).rejects.toThrow(/seven days/);
  });

  it('sends nothing before a models run has published a digest', async () => {
    const empty = new S3ObjectStore('lake', { client: s3.client, prefix: 'empty' });
    const topic = new RecordingTopic();
    const result = await runWeeklyDigest({
      lake: empty,
      sns: topic,
      topicArn: 'arn:aws:sns:us-east-1:0:alerts',
      link: { kind: 'console', bucket: 'lake', prefix: 'empty/', region: 'us-east-1' },
    });
    expect(result).toMatchObject({ published: false });
    expect(topic.messages).toHaveLength(0);
  });
});
