import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Context, SQSEvent } from 'aws-lambda';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LAMBDA_BUNDLE, modelsBundleFiles } from '../cdk/recoupStack.ts';
import { loadModels } from '../functions/adapters/localModelFiles.ts';
import { S3ObjectStore } from '../functions/adapters/s3ObjectStore.ts';
import { type RunningS3rver, startS3rver, toSqsS3Event } from './helpers/s3rver.ts';
import { type SnsEndpoint, startSnsEndpoint } from './helpers/snsEndpoint.ts';

// Each Lambda entry file, bundled as the stack bundles it (esbuild, ESM, the same banner; DuckDB
// as an installed module; the models function's SQL, page assets and ECharts copied beside it by
// the stack's own commands), imported from its bundle and called against s3rver and a local SNS
// endpoint: 835 files land → the ingest function → the models function → the digest function.
// What only a bundle can get wrong (a file read beside the module, a module left out) fails here.

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const FIXTURES = join(ROOT, 'test/fixtures/835/cases');
const HANDLERS = ['ingest', 'models', 'digest'] as const;
type HandlerName = (typeof HANDLERS)[number];

let dir: string;
let s3: RunningS3rver;
let sns: SnsEndpoint;
let lake: S3ObjectStore;
const bundles = {} as Record<HandlerName, string>;
let savedEnv: Record<string, string | undefined>;

/** Bundles one handler the way the stack's NodejsFunction does; returns its index.mjs. */
async function bundle(name: HandlerName): Promise<string> {
  const out = join(dir, name);
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [join(ROOT, `functions/aws/handlers/${name}Handler.ts`)],
    outfile: join(out, 'index.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: LAMBDA_BUNDLE.target,
    mainFields: [...LAMBDA_BUNDLE.mainFields],
    banner: { js: LAMBDA_BUNDLE.banner },
    // nodeModules in the stack: installed beside the bundle, not bundled.
    external: ['@duckdb/node-api', '@duckdb/node-bindings'],
    logLevel: 'silent',
  });
  if (name === 'models') {
    for (const command of modelsBundleFiles(ROOT.replace(/\/$/, ''), out))
      execFileSync('sh', ['-c', command]);
    // The installed DuckDB packages (the stack runs npm install into the bundle's node_modules).
    symlinkSync(join(ROOT, 'node_modules/@duckdb'), join(out, 'node_modules/@duckdb'));
  }
  return join(out, 'index.mjs');
}

function context(name: string): Context {
  return {
    functionName: `recoup-${name}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:recoup-${name}`,
    memoryLimitInMB: '3008',
    awsRequestId: `request-${name}`,
    logGroupName: `/aws/lambda/recoup-${name}`,
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => 900_000,
  } as unknown as Context;
}

/** Imports a bundle and calls its handler, its log lines kept out of the test output. */
async function invoke<T>(name: HandlerName, event: unknown): Promise<T> {
  const quiet = [
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true),
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true),
  ];
  try {
    const module = (await import(pathToFileURL(bundles[name]).href)) as {
      handler: (event: unknown, context: Context) => Promise<T>;
    };
    return await module.handler(event, context(name));
  } finally {
    for (const spy of quiet) spy.mockRestore();
  }
}

describe('the Lambda entry files, bundled as deployed', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recoup-bundles-'));
    for (const name of HANDLERS) bundles[name] = await bundle(name);
    s3 = await startS3rver(['landing', 'lake']);
    sns = await startSnsEndpoint();
    lake = new S3ObjectStore('lake', { client: s3.client });
    const env: Record<string, string> = {
      ...s3.env,
      AWS_ENDPOINT_URL_SNS: sns.endpoint,
      LAKE_BUCKET: 'lake',
      ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:recoup-alerts',
      RECOUP_SCRATCH: join(dir, 'scratch'),
      DIGEST_LINK: 'console',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    };
    savedEnv = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
  }, 120_000);

  afterAll(async () => {
    for (const [k, v] of Object.entries(savedEnv ?? {})) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await sns?.stop();
    await s3?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the models bundle carries every SQL model and the page assets beside index.mjs', () => {
    const models = join(dir, 'models');
    const names = (layer: string) =>
      readdirSync(join(models, 'sql', layer)).filter((f) => f.endsWith('.sql'));
    const bundled = [...names('staging'), ...names('intermediate'), ...names('marts')].map((f) =>
      f.slice(0, -4),
    );
    expect(bundled.sort()).toEqual(
      loadModels()
        .map((m) => m.name)
        .sort(),
    );
    expect(readdirSync(join(models, 'assets'))).toEqual(expect.arrayContaining(['report.css', 'report.js']));
  });

  it('ingest: an S3 → SQS event of landed 835 files writes their remittances to the lake', async () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.835') && f !== 'unbalanced.835');
    const before = s3.records.length;
    for (const file of files)
      await s3.client.send(
        new PutObjectCommand({
          Bucket: 'landing',
          Key: `in/${file}`,
          Body: readFileSync(join(FIXTURES, file)),
        }),
      );
    const records = await s3.waitForRecords(before + files.length);
    const event: SQSEvent = toSqsS3Event(records.slice(before).filter((r) => r.s3.bucket.name === 'landing'));

    const response = await invoke<{ batchItemFailures: unknown[] }>('ingest', event);

    expect(response.batchItemFailures).toEqual([]);
    const remittances: string[] = [];
    for await (const o of lake.list('remittances/')) remittances.push(o.key);
    expect(remittances.length).toBeGreaterThanOrEqual(files.length);
  });

  it('models: the scheduled job builds every mart from the lake in S3 and publishes the report', async () => {
    const result = await invoke<{ complete: boolean; martsUploaded: number }>('models', {});

    expect(result.complete).toBe(true);
    const marts = loadModels().filter((m) => m.layer === 'marts');
    expect(result.martsUploaded).toBe(marts.length);
    for (const mart of marts)
      expect(await lake.exists(`marts/${mart.name}/data.parquet`), mart.name).toBe(true);
    const html = new TextDecoder().decode(await lake.get('reports/latest.html'));
    expect(html).toContain('<html');
    // The page's own script and ECharts went in (read beside the bundle at run time).
    expect(html.length).toBeGreaterThan(500_000);
  });

  it('digest: publishes one digest with a link to the report', async () => {
    const sent = sns.published.length;

    const result = await invoke<{ published: boolean; link?: string }>('digest', {});

    expect(result.published).toBe(true);
    expect(result.link).toContain('reports');
    expect(sns.published.length).toBe(sent + 1);
    expect(sns.published.at(-1)?.TopicArn).toBe('arn:aws:sns:us-east-1:000000000000:recoup-alerts');
  });
});
