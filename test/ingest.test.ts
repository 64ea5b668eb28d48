import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLakeViews } from '../functions/adapters/duckdb/lakeViews.ts';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import { LocalFolderStore } from '../functions/adapters/localFolderStore.ts';
import { parse835 } from '../functions/core/era/parse835.ts';
import { formatCents } from '../functions/core/money.ts';
import type { NormalizedRemit } from '../functions/core/types.ts';
import type { IngestSummary } from '../functions/ingest/ingestFiles.ts';
import { ingestToLake } from '../functions/wiring/ingestToLake.ts';
import { fixtureInputs, fixturePath, ROOT, readFixture } from './helpers/fixtures.ts';

const run = promisify(execFile);
const RECOUP = fixturePath('recoup');

/*
 * Hand computation over test/fixtures/835/recoup (DESIGN.md metric definitions).
 *
 * ACME01
 *   paid               = Σ CLP04, CLP02 ≠ 22
 *                      = 100.00 (R100 correction, 03-01) + 240.00 (N101) + 400.00 (N201, 03-08)
 *                        + 90.00 (R200 correction, 03-15) + 800.00 (N301)               = 1630.00
 *   reversal takeback  = Σ −CLP04, CLP02 = 22 = −(−150.00 R100) − (−120.00 R200)       =  270.00
 *   PLB recovery       = WO:ICNN101 75.25 + WO:ICNN201 250.00 + 72:ICNN201 −250.00       =   75.25
 *   refunds            = −Σ 72 = 250.00;  interest 0;  outstanding FB 0
 * BETA02
 *   paid               = 50.00 (N501, 04-05) + 200.00 (N601, 04-12) + 1200.00 (N701, 04-19) = 1450.00
 *   reversal takeback  = 180.00 (R500) + 500.00 (R600)                                  =  680.00
 *   PLB recovery       = WO −180.00 (deferred, 04-05) + WO 180.00 (resumed, 04-19)
 *                        + OB 12.50 (FB ±300 and L6 −3.17 are not recoveries)            =   12.50
 *   refunds 0;  interest = −(−3.17) = 3.17;  outstanding FB = −(−300.00 + 300.00)        =    0.00
 */
const EXPECTED = [
  {
    payer_id: 'ACME01',
    paid: '1630.00',
    reversal_takeback: '270.00',
    plb_recovery: '75.25',
    refunds: '250.00',
    interest: '0.00',
    outstanding_fb: '0.00',
  },
  {
    payer_id: 'BETA02',
    paid: '1450.00',
    reversal_takeback: '680.00',
    plb_recovery: '12.50',
    refunds: '0.00',
    interest: '3.17',
    outstanding_fb: '0.00',
  },
];

const METRICS_SQL = `
  WITH c AS (
    SELECT payer_id,
           coalesce(sum(paid_amount) FILTER (WHERE status_code <> '22'), 0) AS paid,
           coalesce(-sum(paid_amount) FILTER (WHERE status_code = '22'), 0) AS reversal_takeback
    FROM claims GROUP BY payer_id
  ), p AS (
    SELECT payer_id,
           coalesce(sum(amount) FILTER (WHERE reason_code IN ('WO', 'WU', 'OB', '72')), 0) AS plb_recovery,
           coalesce(-sum(amount) FILTER (WHERE reason_code = '72'), 0) AS refunds,
           coalesce(-sum(amount) FILTER (WHERE reason_code = 'L6'), 0) AS interest,
           coalesce(-sum(amount) FILTER (WHERE reason_code = 'FB'), 0) AS outstanding_fb
    FROM adjustments WHERE level = 'provider' GROUP BY payer_id
  )
  SELECT c.payer_id,
         CAST(paid AS DECIMAL(18,2)) AS paid,
         CAST(reversal_takeback AS DECIMAL(18,2)) AS reversal_takeback,
         CAST(plb_recovery AS DECIMAL(18,2)) AS plb_recovery,
         CAST(refunds AS DECIMAL(18,2)) AS refunds,
         CAST(interest AS DECIMAL(18,2)) AS interest,
         CAST(outstanding_fb AS DECIMAL(18,2)) AS outstanding_fb
  FROM c JOIN p USING (payer_id) ORDER BY c.payer_id`;

const temps: string[] = [];
function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `recoup-${name}-`));
  temps.push(dir);
  return dir;
}

/** Every file under a folder, as sorted relative paths. */
function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

async function ingestInto(lakeDir: string, folder: string): Promise<IngestSummary> {
  return ingestToLake(fixtureInputs(folder), {
    lake: new LocalFolderStore(lakeDir),
    now: new Date('2025-01-02T03:04:05Z'),
    scratch: tempDir('scratch'),
  });
}

async function query(db: DuckDBConnection, lakeDir: string, sql: string): Promise<Record<string, unknown>[]> {
  await createLakeViews(db, lakeDir);
  return (await runQuery(db, sql)).rows;
}

let db: DuckDBConnection;
beforeAll(async () => {
  db = await openDuckDb({ threads: 2 });
});
afterAll(() => {
  db.closeSync();
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

describe('ingest of the recoupment fixtures into a real Parquet lake', () => {
  const lakeDir = tempDir('lake');
  let first: IngestSummary;

  beforeAll(async () => {
    first = await ingestInto(lakeDir, RECOUP);
  });

  it('lands every file, transaction, claim and adjustment', () => {
    expect(first).toMatchObject({
      files: 6,
      transactions: 6,
      remittances_written: 6,
      claims: 12,
      adjustments: 23,
      unbalanced: 0,
      duplicates: 0,
      quarantined: 0,
      quarantined_files: [],
    });
    const parquet = listTree(lakeDir).filter((f) => f.endsWith('.parquet'));
    expect(parquet.filter((f) => f.startsWith('remittances/'))).toHaveLength(6);
    // Hive layout: <table>/payer_id=<id>/payment_month=<YYYY-MM>/<remit_id>.parquet
    const beta = join('remittances', 'payer_id=BETA02', 'payment_month=2024-04');
    expect(parquet.filter((f) => f.startsWith(beta))).toHaveLength(3);
    const layout =
      /^(remittances|claims|adjustments)\/payer_id=(ACME01|BETA02)\/payment_month=2024-0[34]\/[0-9a-f]{32}-[0-9a-f]{16}\.parquet$/;
    expect(parquet.every((f) => layout.test(f))).toBe(true);
    expect(
      parquet.some((f) => f.startsWith(join('claims', 'payer_id=ACME01', 'payment_month=2024-03'))),
    ).toBe(true);
  });

  it('paid, reversal takeback and PLB recovery per payer equal the hand computation to the cent', async () => {
    expect(await query(db, lakeDir, METRICS_SQL)).toEqual(EXPECTED);
  });

  it('stores money as DECIMAL(18,2) and keeps every row of a transaction together', async () => {
    const types = await query(db, lakeDir, `SELECT typeof(paid_amount) AS t FROM claims LIMIT 1`);
    expect(types).toEqual([{ t: 'DECIMAL(18,2)' }]);
    const counts = await query(
      db,
      lakeDir,
      `SELECT r.source_key, r.claim_count, count(c.claim_id) AS claims, bool_and(r.balanced) AS balanced
       FROM remittances r LEFT JOIN claims c USING (remit_id)
       GROUP BY ALL ORDER BY r.source_key`,
    );
    expect(counts.map((r) => [r.claim_count, r.claims, r.balanced])).toEqual([
      [3, 3, true],
      [2, 2, true],
      [2, 2, true],
      [2, 2, true],
      [2, 2, true],
      [1, 1, true],
    ]);
  });

  it('re-ingesting the same folder reports duplicates and changes no number', async () => {
    const before = listTree(lakeDir);
    const again = await ingestInto(lakeDir, RECOUP);
    expect(again).toMatchObject({
      files: 6,
      transactions: 6,
      remittances_written: 0,
      duplicates: 6,
      claims: 0,
    });
    expect(again.objects_written).toBe(0);
    expect(listTree(lakeDir)).toEqual(before);
    expect(await query(db, lakeDir, METRICS_SQL)).toEqual(EXPECTED);
    expect(await query(db, lakeDir, 'SELECT count(*) AS n FROM adjustments')).toEqual([{ n: 23 }]);
  });

  it('a re-wrapped copy of a remittance (new ISA/GS) is a duplicate too', async () => {
    const lake = tempDir('rewrap');
    const folder = tempDir('rewrap-in');
    copyFileSync(fixturePath('cases', 'full-claim-5010.835'), join(folder, 'a.835'));
    copyFileSync(fixturePath('cases', 'full-claim-5010-rewrapped.835'), join(folder, 'b.835'));
    const summary = await ingestInto(lake, folder);
    expect(summary).toMatchObject({ transactions: 2, remittances_written: 1, duplicates: 1 });
    expect(await query(db, lake, 'SELECT count(*) AS n, sum(paid_amount) AS paid FROM claims')).toEqual([
      { n: 1, paid: '184.50' },
    ]);
  });
});

describe('the lake holds exactly what the reader produced', () => {
  it("every claim and adjustment column read back by DuckDB equals the reader's rows", async () => {
    const lakeDir = tempDir('lake-columns');
    const folders = ['recoup', 'cases', 'format'].map((f) => fixturePath(f));
    const inputs = folders.flatMap((folder) => fixtureInputs(folder));
    await ingestToLake(inputs, {
      lake: new LocalFolderStore(lakeDir),
      now: new Date('2025-01-02T03:04:05Z'),
      scratch: tempDir('scratch'),
    });
    // A re-delivered transaction (same remit_id) lands once: the first copy's rows are expected.
    const byRemit = new Map<string, NormalizedRemit>();
    for (const input of inputs) {
      const text = readFileSync(input.path, 'utf8');
      for (const remit of parse835(text, { key: input.key, sha256: '', ingestedAt: '' }))
        if (!byRemit.has(remit.remittance.remit_id)) byRemit.set(remit.remittance.remit_id, remit);
    }
    const money = (row: Record<string, unknown>, names: string[]) => {
      const out = { ...row };
      for (const name of names)
        out[name] = typeof row[name] === 'number' ? formatCents(row[name] as number) : row[name];
      return out;
    };
    const remits = [...byRemit.values()];
    const claims = remits
      .flatMap((r) => r.claims)
      .map((c) =>
        money(c as unknown as Record<string, unknown>, [
          'charge_amount',
          'paid_amount',
          'patient_responsibility',
        ]),
      );
    const adjustments = remits
      .flatMap((r) => r.adjustments)
      .map((a) => money(a as unknown as Record<string, unknown>, ['amount']));
    const order = (rows: Record<string, unknown>[], seq: string) =>
      rows.sort((x, y) =>
        x.remit_id === y.remit_id
          ? (x[seq] as number) - (y[seq] as number)
          : String(x.remit_id) < String(y.remit_id)
            ? -1
            : 1,
      );
    expect(adjustments.some((a) => a.level === 'provider' && a.claim_seq === null)).toBe(true);
    expect(await query(db, lakeDir, 'SELECT * FROM claims ORDER BY remit_id, claim_seq')).toEqual(
      order(claims, 'claim_seq'),
    );
    expect(await query(db, lakeDir, 'SELECT * FROM adjustments ORDER BY remit_id, adjustment_seq')).toEqual(
      order(adjustments, 'adjustment_seq'),
    );
  });
});

describe('commits overlapping the parsing of the next files', () => {
  it('a remittance repeated later in the same run, after its first copy was committed, lands once', async () => {
    const lake = tempDir('overlap');
    const inputs = fixtureInputs(RECOUP);
    const again = { ...(inputs[0] as (typeof inputs)[number]), key: 'again.835' };
    // batchBytes 1: a commit after every file, each still writing while the next file is parsed.
    const summary = await ingestToLake([...inputs, again], {
      lake: new LocalFolderStore(lake),
      now: new Date('2025-01-02T03:04:05Z'),
      scratch: tempDir('overlap-scratch'),
      batchBytes: 1,
    });
    expect(summary).toMatchObject({ files: 7, transactions: 7, remittances_written: 6, duplicates: 1 });
    expect(summary.objects_written).toBe(18);
    expect(await query(db, lake, METRICS_SQL)).toEqual(EXPECTED);
    expect(await query(db, lake, 'SELECT count(*) AS n FROM adjustments')).toEqual([{ n: 23 }]);
  });
});

describe('quarantine', () => {
  it('puts a bad file aside with a JSON reason while the good files beside it land', async () => {
    const lake = tempDir('quarantine');
    const folder = tempDir('mixed-in');
    for (const f of ['acme-2024-03-01-reversal-with-correction.835', 'beta-2024-04-05-deferred-wo.835'])
      copyFileSync(join(RECOUP, f), join(folder, f));
    copyFileSync(fixturePath('bad', 'bad-amount.835'), join(folder, 'bad-amount.835'));
    // A good interchange followed by a bad one in the same file: nothing of that file may land.
    const good = readFixture('format', 'canonical.835');
    const badTail = readFixture('bad', 'bad-amount.835');
    writeFileSync(join(folder, 'half-good.835'), `${good}${badTail}`);

    const summary = await ingestInto(lake, folder);
    expect(summary).toMatchObject({ files: 4, quarantined: 2, remittances_written: 2, transactions: 2 });
    expect(
      summary.quarantined_files.map((q) => [q.file, q.code, q.segment_index, q.segment_id, q.element]),
    ).toEqual([
      ['bad-amount.835', 'BAD_AMOUNT', 10, 'CLP', 'CLP04'],
      ['half-good.835', 'BAD_AMOUNT', 30, 'CLP', 'CLP04'],
    ]);

    const quarantined = listTree(join(lake, 'quarantine'));
    expect(quarantined).toHaveLength(4);
    const sidecar = quarantined.find((f) => f.endsWith('bad-amount.835.error.json')) as string;
    const copy = sidecar.replace(/\.error\.json$/, '');
    expect(readFileSync(join(lake, 'quarantine', copy))).toEqual(
      readFileSync(fixturePath('bad', 'bad-amount.835')),
    );
    expect(JSON.parse(readFileSync(join(lake, 'quarantine', sidecar), 'utf8'))).toMatchObject({
      file: 'bad-amount.835',
      code: 'BAD_AMOUNT',
      segment_index: 10,
      segment_id: 'CLP',
      element: 'CLP04',
    });

    const traces = await query(db, lake, 'SELECT trace_number FROM remittances ORDER BY 1');
    expect(traces).toEqual([{ trace_number: 'ACME-EFT-0301' }, { trace_number: 'BETA-EFT-0405' }]);
    expect(
      await query(db, lake, `SELECT count(*) AS n FROM claims WHERE claim_id IN ('B100', 'F100')`),
    ).toEqual([{ n: 0 }]);
    expect(listTree(lake).filter((f) => f.endsWith('.parquet'))).toHaveLength(2 + 2 + 2);
  });

  it('keeps an unbalanced transaction, flags it in the lake and lists it in the summary', async () => {
    const lake = tempDir('unbalanced');
    const folder = tempDir('unbalanced-in');
    copyFileSync(fixturePath('cases', 'unbalanced.835'), join(folder, 'unbalanced.835'));
    const summary = await ingestInto(lake, folder);
    expect(summary.unbalanced).toBe(1);
    expect(summary.unbalanced_transactions).toMatchObject([
      { file: 'unbalanced.835', balance_difference: '7.50', unbalanced_claims: 2, unbalanced_services: 1 },
    ]);
    expect(
      await query(db, lake, 'SELECT balanced, balance_difference, unbalanced_claims FROM remittances'),
    ).toEqual([{ balanced: false, balance_difference: '7.50', unbalanced_claims: 2 }]);
  });
});

describe('CLI end to end (node bin/recoup.js)', () => {
  it('ingest --json then query --format json', async () => {
    const lake = tempDir('cli');
    const cli = join(ROOT, 'bin', 'recoup.js');
    const ingest = await run(process.execPath, [cli, 'ingest', RECOUP, '--lake', lake, '--json'], {
      cwd: ROOT,
    });
    const summary = JSON.parse(ingest.stdout) as IngestSummary;
    expect(summary).toMatchObject({
      files: 6,
      transactions: 6,
      remittances_written: 6,
      claims: 12,
      adjustments: 23,
      quarantined: 0,
      duplicates: 0,
    });

    const result = await run(
      process.execPath,
      [cli, 'query', '--lake', lake, METRICS_SQL, '--format', 'json'],
      {
        cwd: ROOT,
      },
    );
    expect(JSON.parse(result.stdout)).toEqual(EXPECTED);

    const again = await run(process.execPath, [cli, 'ingest', RECOUP, '--lake', lake, '--json'], {
      cwd: ROOT,
    });
    expect(JSON.parse(again.stdout)).toMatchObject({ remittances_written: 0, duplicates: 6 });
  });

  it('query fails with a non-zero exit and a message for bad SQL', async () => {
    const lake = tempDir('cli-bad');
    mkdirSync(lake, { recursive: true });
    const cli = join(ROOT, 'bin', 'recoup.js');
    const failure = await run(process.execPath, [cli, 'query', '--lake', lake, 'SELECT nope FROM claims'], {
      cwd: ROOT,
    }).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toMatch(/nope/);
  });
});
