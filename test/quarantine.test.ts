import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLakeViews } from '../functions/adapters/duckdb/lakeViews.ts';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import { LocalFolderStore } from '../functions/adapters/localFolderStore.ts';
import { S3ObjectStore } from '../functions/adapters/s3ObjectStore.ts';
import { quarantineCommand } from '../functions/cli/commands/quarantine.ts';
import { listQuarantined } from '../functions/ingest/quarantine.ts';
import type { ObjectStore } from '../functions/ports/objectStore.ts';
import { ingestToLake } from '../functions/wiring/ingestToLake.ts';
import { type RunningS3rver, startS3rver } from './helpers/s3rver.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', '835');
const BAD = join(FIXTURES, 'bad', 'bad-amount.835');
const GOOD = join(FIXTURES, 'cases', 'full-claim-5010.835');
/** bad-amount.835 with its CLP04 ("1O0", a letter O) corrected to 100: what the payer resends. */
const CORRECTED = readFileSync(BAD, 'utf8').replace('CLP*B100*1*100*1O0*', 'CLP*B100*1*100*100*');

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'recoup-quarantine-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

/** Runs the command with stdout and stderr captured. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += chunk.toString();
    return true;
  });
  try {
    return { code: await quarantineCommand(argv), out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

/** Ingests the bad and a good fixture; the bad one is quarantined under the name it landed with. */
async function lakeWithQuarantine(lake: ObjectStore): Promise<void> {
  const summary = await ingestToLake(
    [
      { path: BAD, key: 'landing/2024/bad-amount.835', size: statSync(BAD).size },
      { path: GOOD, key: 'landing/2024/good.835', size: statSync(GOOD).size },
    ],
    { lake, scratch: join(dir, 'stage') },
  );
  expect(summary.quarantined).toBe(1);
}

async function remittanceSources(lakeDir: string): Promise<string[]> {
  const db = await openDuckDb();
  try {
    await createLakeViews(db, lakeDir);
    const { rows } = await runQuery(db, 'SELECT source_key FROM remittances ORDER BY source_key');
    return rows.map((r) => String(r.source_key));
  } finally {
    db.closeSync();
  }
}

describe('recoup quarantine on a local lake', () => {
  it('lists a quarantined file with its source, code, segment and element', async () => {
    // Prepare
    const lake = join(dir, 'lake');
    await lakeWithQuarantine(new LocalFolderStore(lake));

    // Act
    const json = await run(['list', '--lake', lake, '--json']);
    const table = await run(['list', '--lake', lake]);

    // Assess
    expect(json.code).toBe(0);
    const entries = JSON.parse(json.out);
    expect(entries).toEqual([
      expect.objectContaining({
        file: 'landing/2024/bad-amount.835',
        code: 'BAD_AMOUNT',
        segment_id: 'CLP',
        element: 'CLP04',
        size: statSync(BAD).size,
      }),
    ]);
    expect(entries[0].quarantine_key).toMatch(/^quarantine\/[0-9a-f]{12}-bad-amount\.835$/);
    expect(table.out).toContain('BAD_AMOUNT');
    expect(table.out).toContain('1 quarantined file(s)');
  });

  it('retry keeps a file that still fails in quarantine (exit 1), and ingests it once corrected', async () => {
    // Prepare
    const lake = join(dir, 'lake');
    const store = new LocalFolderStore(lake);
    await lakeWithQuarantine(store);
    const [entry] = await listQuarantined(store);

    // Act 1: nothing changed, so the file still cannot be read.
    const failed = await run(['retry', '--lake', lake]);

    // Assess 1
    expect(failed.code).toBe(1);
    expect(failed.out).toContain('still quarantined 1');
    expect(failed.out).toContain('landing/2024/bad-amount.835: BAD_AMOUNT');
    expect((await listQuarantined(store)).map((e) => e.quarantine_key)).toEqual([entry!.quarantine_key]);
    expect(await remittanceSources(lake)).toEqual(['landing/2024/good.835']);

    // Act 2: the payer's corrected file replaces the quarantined copy, then retry.
    await store.put(entry!.quarantine_key, CORRECTED);
    const fixed = await run(['retry', '--lake', lake, entry!.quarantine_key, '--json']);

    // Assess 2: in the lake under its original name; quarantine is empty.
    expect(fixed.code).toBe(0);
    const result = JSON.parse(fixed.out);
    expect(result.ingested.map((e: { file: string }) => e.file)).toEqual(['landing/2024/bad-amount.835']);
    expect(result.summary.remittances_written).toBe(1);
    expect(await listQuarantined(store)).toEqual([]);
    expect(await remittanceSources(lake)).toEqual(['landing/2024/bad-amount.835', 'landing/2024/good.835']);
    expect((await run(['list', '--lake', lake])).out).toContain('No quarantined files');

    // A second retry has nothing to do.
    const again = await run(['retry', '--lake', lake, '--json']);
    expect(JSON.parse(again.out).ingested).toEqual([]);
  });

  it('refuses a bad action, an unknown key and a missing lake', async () => {
    const lake = join(dir, 'lake');
    await lakeWithQuarantine(new LocalFolderStore(lake));
    await expect(run(['purge', '--lake', lake])).rejects.toThrow(/unknown action "purge"/);
    await expect(run(['retry', '--lake', lake, 'quarantine/nope.835'])).rejects.toThrow(
      /not in .*quarantine\/: quarantine\/nope\.835/,
    );
    await expect(run(['list', '--lake', join(dir, 'absent')])).rejects.toThrow(/lake folder not found/);
  });
});

describe('recoup quarantine on an S3 lake (s3rver)', () => {
  let s3: RunningS3rver;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    s3 = await startS3rver(['lake']);
    for (const [key, value] of Object.entries(s3.env)) {
      saved[key] = process.env[key];
      process.env[key] = value;
    }
  });

  afterAll(async () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await s3?.stop();
  });

  it('lists and retries through s3://bucket/prefix with the environment credentials', async () => {
    // Prepare: a quarantine in the bucket under a prefix, as the ingest Lambda leaves it.
    const store = new S3ObjectStore('lake', { client: s3.client, prefix: 'prod' });
    await lakeWithQuarantine(store);
    const [entry] = await listQuarantined(store);
    // The command builds its own S3 client from the environment: load it after setting that.
    vi.resetModules();
    const { quarantineCommand: command } = await import('../functions/cli/commands/quarantine.ts');
    const runS3 = async (argv: string[]) => {
      let out = '';
      const spies = [
        vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
          out += chunk.toString();
          return true;
        }),
        vi.spyOn(process.stderr, 'write').mockImplementation(() => true),
      ];
      try {
        return { code: await command(argv), out };
      } finally {
        for (const spy of spies) spy.mockRestore();
      }
    };

    // Act
    const listed = await runS3(['list', '--lake', 's3://lake/prod', '--json']);
    await store.put(entry!.quarantine_key, CORRECTED);
    const retried = await runS3(['retry', '--lake', 's3://lake/prod', '--json']);

    // Assess
    expect(JSON.parse(listed.out)).toEqual([expect.objectContaining({ code: 'BAD_AMOUNT' })]);
    expect(retried.code).toBe(0);
    expect(JSON.parse(retried.out).ingested).toHaveLength(1);
    expect(await listQuarantined(store)).toEqual([]);
    const remittances: string[] = [];
    for await (const object of store.list('remittances/')) remittances.push(object.key);
    expect(remittances).toHaveLength(2);
  });
});
