import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDuckDbModels } from '../functions/adapters/duckdb/buildDuckDbModels.ts';
import { buildIncremental } from '../functions/adapters/duckdb/buildIncremental.ts';
import { compactLake } from '../functions/adapters/duckdb/compactLake.ts';
import { lakeFiles } from '../functions/adapters/duckdb/lakeViews.ts';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import { LocalFolderStore } from '../functions/adapters/localFolderStore.ts';
import { loadModels } from '../functions/adapters/localModelFiles.ts';
import { writeDataset } from '../functions/generate/index.ts';
import { sqlString } from '../functions/ports/warehouse.ts';
import { ingestFolder } from './helpers/generatedLake.ts';

// recoup build --incremental keeps a warehouse and recomputes only what new remittances touch; its
// marts must be exactly those of a full build of the same lake, also when a late file restates an
// earlier month and when files arrive out of date order.

const MARTS = loadModels()
  .filter((m) => m.layer === 'marts')
  .map((m) => m.name);

/** The week held back and delivered last, as a late file; it starts a month (June), so the
 * corrections in it repay reversals paid the week before, in May. */
const LATE_WEEK = '2024-06-03';
/** The last week of the data set: the new week of an ordinary incremental build. */
const LAST_WEEK = '2024-07-01';

let dir: string;
let data: string;
let lake: string;

/** The date in a generated file's name (its week or payment date). */
function fileDate(name: string): string {
  return /\d{4}-\d{2}-\d{2}/.exec(name)?.[0] ?? '';
}

function inWeek(name: string, monday: string): boolean {
  const d = fileDate(name);
  const end = new Date(Date.parse(`${monday}T00:00:00Z`) + 6 * 86_400_000).toISOString().slice(0, 10);
  return d >= monday && d <= end;
}

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const db = await openDuckDb({ threads: 1 });
  try {
    return (await runQuery(db, sql)).rows;
  } finally {
    db.closeSync();
  }
}

/** A mart's rows in file order, as JSON text (DECIMAL as exact strings). */
async function martRows(martsDir: string, mart: string): Promise<string[]> {
  const rows = await query(`SELECT * FROM read_parquet(${sqlString(join(martsDir, mart, 'data.parquet'))})`);
  return rows.map((r) => JSON.stringify(r));
}

/** Every mart of a full build (in one process, from the lake's files) of the lake as it is now. */
async function fullBuild(martsDir: string): Promise<void> {
  const db = await openDuckDb({ threads: 2 });
  try {
    await buildDuckDbModels({ db, lakeDir: lake, martsDir });
  } finally {
    db.closeSync();
  }
}

async function expectMartsOfFullBuild(tag: string): Promise<void> {
  const expected = join(dir, `full-${tag}`, 'marts');
  await fullBuild(expected);
  for (const mart of MARTS) {
    const want = await martRows(expected, mart);
    const got = await martRows(join(lake, 'marts'), mart);
    expect(got.length, mart).toBe(want.length);
    // Row by row: the same rows, and the same order where the mart's ORDER BY decides it.
    expect([...got].sort(), mart).toEqual([...want].sort());
  }
}

describe('recoup build --incremental', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recoup-incremental-'));
    data = join(dir, 'data');
    lake = join(dir, 'lake');
    await writeDataset(data, { seed: 41, weeks: 20, payers: 3, providers: 6, scale: 3, lastWeek: LAST_WEEK });
    // The lake as it was before the late file and the last week arrived.
    await ingestFolder(data, lake, (name) => !inWeek(name, LATE_WEEK) && !inWeek(name, LAST_WEEK));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds the warehouse in full the first time, with the marts of a full build', async () => {
    const result = await buildIncremental({ lakeDir: lake });
    expect(result.mode).toBe('full');
    expect(result.reason).toMatch(/no warehouse/);
    expect(readdirSync(join(lake, '.warehouse'))).toContain('models.duckdb');
    await expectMartsOfFullBuild('first');
  });

  it('adds a late file and a new week: recomputes only what they touch, and the marts are a full build’s', async () => {
    const before = await query(
      `SELECT payer_id, CAST(net_takeback AS VARCHAR) AS net FROM read_parquet(${sqlString(join(lake, 'marts', 'recoupment_rates', 'data.parquet'))})
       WHERE grain = 'payer' AND period = DATE '2024-05-01' ORDER BY payer_id`,
    );
    const remittances = lakeFiles(lake, 'remittances').length;
    await ingestFolder(data, lake, (name) => inWeek(name, LATE_WEEK) || inWeek(name, LAST_WEEK));
    const added = lakeFiles(lake, 'remittances').length - remittances;
    expect(added).toBeGreaterThan(0);

    const result = await buildIncremental({ lakeDir: lake });
    expect(result.mode).toBe('incremental');
    expect(result.newRemittances).toBe(added);
    const claims = Number(
      (
        await query(
          `SELECT count(*) AS n FROM read_parquet(${sqlString(join(lake, 'claims', '*', '*', '*.parquet'))})`,
        )
      )[0]?.n,
    );
    expect(result.closure?.claims).toBeGreaterThan(0);
    expect(result.closure?.claims).toBeLessThan(claims / 2);
    await expectMartsOfFullBuild('late');

    // The late file repaid reversals taken back in May: May's net takeback was restated.
    const after = await query(
      `SELECT payer_id, CAST(net_takeback AS VARCHAR) AS net FROM read_parquet(${sqlString(join(lake, 'marts', 'recoupment_rates', 'data.parquet'))})
       WHERE grain = 'payer' AND period = DATE '2024-05-01' ORDER BY payer_id`,
    );
    expect(after).not.toEqual(before);
    const restated = await query(
      `SELECT count(*) AS n FROM read_parquet(${sqlString(join(lake, 'marts', 'takeback_links', 'data.parquet'))})
       WHERE kind = 'reversal' AND period < DATE '2024-06-01' AND correction_payment_date >= DATE '${LATE_WEEK}'`,
    );
    expect(Number(restated[0]?.n)).toBeGreaterThan(0);
  });

  it('with nothing new, recomputes nothing and writes the same marts', async () => {
    const result = await buildIncremental({ lakeDir: lake });
    expect(result.mode).toBe('incremental');
    expect(result.newRemittances).toBe(0);
    expect(result.closure).toBeNull();
    await expectMartsOfFullBuild('unchanged');
  });

  it('rebuilds the warehouse in full when a remittance leaves the lake', async () => {
    const gone = lakeFiles(lake, 'remittances')[0] as string;
    for (const table of ['remittances', 'claims', 'adjustments'])
      rmSync(join(lake, table, gone), { force: true });
    const result = await buildIncremental({ lakeDir: lake });
    expect(result.mode).toBe('full');
    expect(result.reason).toMatch(/left the lake or changed/);
    await expectMartsOfFullBuild('removed');
  });

  it('builds an earlier as-of from the lake and leaves the warehouse alone', async () => {
    const result = await buildIncremental({ lakeDir: lake, asOf: '2024-05-31' });
    expect(result.mode).toBe('bypass');
    const scorecard = await query(
      `SELECT DISTINCT CAST(as_of AS VARCHAR) AS d FROM read_parquet(${sqlString(join(lake, 'marts', 'payer_scorecard', 'data.parquet'))})`,
    );
    expect(scorecard).toEqual([{ d: '2024-05-31' }]);
    expect((await buildIncremental({ lakeDir: lake })).mode).toBe('incremental');
  });
});

describe('recoup build --incremental on real-shaped data over a compacted lake', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recoup-incremental-real-'));
    data = join(dir, 'data');
    lake = join(dir, 'lake');
    // Reused account numbers, split same-day 835s, composite PLB references, double reversals.
    await writeDataset(data, {
      seed: 43,
      weeks: 20,
      payers: 3,
      providers: 6,
      scale: 3,
      lastWeek: LAST_WEEK,
      realism: 'high',
    });
    await ingestFolder(data, lake, (name) => !inWeek(name, LATE_WEEK) && !inWeek(name, LAST_WEEK));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stays incremental after compaction moves every staged file, and its marts are a full build’s', async () => {
    expect((await buildIncremental({ lakeDir: lake })).mode).toBe('full');
    // Compaction rewrites every remittance into a few files: no remittance left the lake.
    const compacted = await compactLake({ lake: new LocalFolderStore(lake) });
    expect(compacted.remittances_compacted).toBeGreaterThan(0);
    expect(lakeFiles(lake, 'remittances')).toEqual([]);
    const unchanged = await buildIncremental({ lakeDir: lake });
    expect(unchanged.mode).toBe('incremental');
    expect(unchanged.newRemittances).toBe(0);
    await ingestFolder(data, lake, (name) => inWeek(name, LATE_WEEK) || inWeek(name, LAST_WEEK));
    const result = await buildIncremental({ lakeDir: lake });
    expect(result.mode).toBe('incremental');
    expect(result.newRemittances).toBeGreaterThan(0);
    await expectMartsOfFullBuild('real-compacted');
  });
});
