import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDuckDbModels } from '../functions/adapters/duckdb/buildDuckDbModels.ts';
import { listCloses } from '../functions/adapters/duckdb/closedPeriods.ts';
import { closePeriod } from '../functions/adapters/duckdb/closePeriod.ts';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import { LocalFolderStore } from '../functions/adapters/localFolderStore.ts';
import { CloseError } from '../functions/close/periods.ts';
import { ingestToLake } from '../functions/wiring/ingestToLake.ts';

// The FINA fixtures (test/fixtures/finance/README.md): February is closed after the first two
// files; a late file dated in February and a March file with A1's correction arrive afterwards.
const FOLDER = join(import.meta.dirname, 'fixtures', 'finance');
const ROOT = join(import.meta.dirname, '..');
const FIRST = ['fina-2024-01-10-originals.835', 'fina-2024-02-14-takebacks.835'];
const LATE = ['fina-2024-02-21-late.835', 'fina-2024-03-20-later.835'];

let dir: string;
let lake: string;
let db: DuckDBConnection;

async function ingest(names: string[]): Promise<void> {
  const inputs = names.map((n) => ({ path: join(FOLDER, n), key: n, size: statSync(join(FOLDER, n)).size }));
  const summary = await ingestToLake(inputs, { lake: new LocalFolderStore(lake), scratch: dir });
  expect(summary.quarantined).toBe(0);
}

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await runQuery(db, sql)).rows;
}

function recoup(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin', 'recoup.js'), ...args],
      { encoding: 'utf8' },
      (error, stdout, stderr) => resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('period close and restatements', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recoup-close-'));
    lake = join(dir, 'lake');
    db = await openDuckDb({ threads: 2 });
    await ingest(FIRST);
    await buildDuckDbModels({ db, lakeDir: lake, asOf: '2024-03-31' });
  });
  afterAll(() => {
    db?.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  it('freezes the month of each mart beside the marts, with a manifest', async () => {
    const jan = await closePeriod({ db, lakeDir: lake, period: '2024-01' });
    const feb = await closePeriod({ db, lakeDir: lake, period: '2024-02' });
    expect(feb).toMatchObject({ format: 'recoup-close/1', period: '2024-02', remittances: 2 });
    // February: 7 takebacks; recoupment_rates has one row per grain slice of the month.
    expect(feb.marts.takeback_links).toBe(7);
    expect(feb.marts.takeback_trend).toBe(1);
    expect(jan.marts.takeback_links).toBe(0);
    expect(readdirSync(join(lake, 'closes', '2024-02')).sort()).toEqual([
      'close.json',
      'recoupment_cohorts.parquet',
      'recoupment_rates.parquet',
      'takeback_links.parquet',
      'takeback_trend.parquet',
    ]);
    expect(listCloses(lake).map((c) => c.period)).toEqual(['2024-01', '2024-02']);
    const [frozen] = await rows(`
      SELECT paid::VARCHAR AS paid, takeback::VARCHAR AS takeback, net_takeback::VARCHAR AS net
      FROM read_parquet('${join(lake, 'closes', '2024-02', 'recoupment_rates.parquet')}') WHERE grain = 'payer'`);
    expect(frozen).toEqual({ paid: '2400.00', takeback: '2150.00', net: '1750.00' });
  });

  it('refuses a month closed before, a month with nothing in it, a bad period, and stale marts', async () => {
    await expect(closePeriod({ db, lakeDir: lake, period: '2024-02' })).rejects.toThrow(
      /was closed on .*--force/,
    );
    await expect(closePeriod({ db, lakeDir: lake, period: '2023-12' })).rejects.toThrow(/nothing to close/);
    await expect(closePeriod({ db, lakeDir: lake, period: '2024-13' })).rejects.toBeInstanceOf(CloseError);
    await ingest(LATE);
    await expect(closePeriod({ db, lakeDir: lake, period: '2024-03', force: true })).rejects.toThrow(
      /older than the latest ingest/,
    );
    // The refusals changed nothing.
    expect(listCloses(lake).map((c) => c.period)).toEqual(['2024-01', '2024-02']);
  });

  it('shows the restatement of a closed month as explicit deltas: what, why, which late file', async () => {
    await buildDuckDbModels({ db, lakeDir: lake, asOf: '2024-03-31' });
    const got = await rows(`
      SELECT period::VARCHAR AS period, metric, cause, reason, source_key, delta::VARCHAR AS delta, items,
             reported_value::VARCHAR AS reported, current_value::VARCHAR AS current, restated
      FROM period_restatements ORDER BY metric, reason, cause`);
    const late = 'fina-2024-02-21-late.835';
    const march = 'fina-2024-03-20-later.835';
    expect(got).toEqual([
      // A1's correction (in the March file) repaid 700 of February's reversal, and named its cause.
      d('net_takeback', 'documentation', 'cause_changed', march, '1000.00', '1750.00', '1100.00'),
      d('net_takeback', 'pending', 'cause_changed', march, '-1000.00', '1750.00', '1100.00'),
      d('net_takeback', 'documentation', 'late_correction', march, '-700.00', '1750.00', '1100.00'),
      // The late February file: a WU of 50 and a claim paid 500.
      d('net_takeback', 'unspecified', 'late_takeback', late, '50.00', '1750.00', '1100.00'),
      d('paid', null, 'late_payment', late, '500.00', '2400.00', '2900.00'),
      d('takeback', 'documentation', 'cause_changed', march, '1000.00', '2150.00', '2200.00'),
      d('takeback', 'pending', 'cause_changed', march, '-1000.00', '2150.00', '2200.00'),
      d('takeback', 'unspecified', 'late_takeback', late, '50.00', '2150.00', '2200.00'),
    ]);
    // January did not change: no rows.
    expect(await rows(`SELECT * FROM period_restatements WHERE period = DATE '2024-01-01'`)).toEqual([]);
  });

  it('accounts for the whole change: the deltas of a metric sum to current − reported', async () => {
    const got = await rows(`
      SELECT metric, sum(delta)::VARCHAR AS delta, (any_value(current_value) - any_value(reported_value))::VARCHAR AS change,
             count(*) FILTER (WHERE reason = 'unexplained') AS unexplained
      FROM period_restatements GROUP BY metric ORDER BY metric`);
    expect(got).toEqual([
      { metric: 'net_takeback', delta: '-650.00', change: '-650.00', unexplained: 0 },
      { metric: 'paid', delta: '500.00', change: '500.00', unexplained: 0 },
      { metric: 'takeback', delta: '50.00', change: '50.00', unexplained: 0 },
    ]);
  });

  it('a new close of the month starts from what is reported now', async () => {
    await closePeriod({ db, lakeDir: lake, period: '2024-02', force: true });
    await buildDuckDbModels({ db, lakeDir: lake, asOf: '2024-03-31' });
    expect(await rows('SELECT * FROM period_restatements')).toEqual([]);
    expect(existsSync(join(lake, 'closes', '2024-02', 'close.json'))).toBe(true);
    expect(readdirSync(join(lake, 'closes')).sort()).toEqual(['2024-01', '2024-02']);
  });

  it('recoup close lists the closed months and refuses with a clear message', async () => {
    const list = await recoup(['close', '--lake', lake, '--list', '--json']);
    expect(list.status).toBe(0);
    expect((JSON.parse(list.stdout) as { period: string }[]).map((c) => c.period)).toEqual([
      '2024-01',
      '2024-02',
    ]);
    const again = await recoup(['close', '--lake', lake, '--period', '2024-02']);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^recoup close: 2024-02 was closed on /);
    const missing = await recoup(['close', '--lake', lake]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('missing --period');
  });
});

function d(
  metric: string,
  cause: string | null,
  reason: string,
  source_key: string,
  delta: string,
  reported: string,
  current: string,
) {
  return {
    period: '2024-02-01',
    metric,
    cause,
    reason,
    source_key,
    delta,
    items: 1,
    reported,
    current,
    restated: true,
  };
}
