import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDuckDbModels } from '../functions/adapters/duckdb/buildDuckDbModels.ts';
import { buildPartition } from '../functions/adapters/duckdb/buildPartition.ts';
import { buildPartitioned } from '../functions/adapters/duckdb/buildPartitioned.ts';
import { listMarts } from '../functions/adapters/duckdb/lakeViews.ts';
import { mergePartitions } from '../functions/adapters/duckdb/mergePartitions.ts';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { planPartitions } from '../functions/adapters/duckdb/planPartitions.ts';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import { loadModels, SQL_DIR } from '../functions/adapters/localModelFiles.ts';
import { ModelError } from '../functions/models/loadModels.ts';
import { MERGED_MARTS, RERANKED_MARTS } from '../functions/models/partitionRules.ts';
import { groupPayers } from '../functions/models/planPartitions.ts';
import { trailingOrderBy } from '../functions/models/trailingOrderBy.ts';
import { sqlString } from '../functions/ports/warehouse.ts';
import { ingestGeneratedLake } from './helpers/generatedLake.ts';
import { martRows } from './helpers/martRows.ts';

// A build partitioned by payer group (recoup build --jobs N, and the AWS fan-out) must write the
// same marts as a build in one process: every row of every mart, in the mart's own order.

let dir: string;
let lake: string;
/** The marts of a build in one process. */
let single: string;

/** A copy of a lake (its files), so a build that writes marts leaves the shared lake alone. */
function makeCopy(from: string, to: string): string {
  cpSync(from, to, { recursive: true });
  return to;
}

/** Rows sorted by their JSON text: the comparison of a mart's rows regardless of ties in its ORDER BY. */
function sorted(rows: unknown[]): string[] {
  return rows.map((r) => JSON.stringify(r)).sort();
}

async function expectSameMarts(martsDir: string): Promise<void> {
  const expected = listMarts(join(single, '..'));
  expect(listMarts(join(martsDir, '..'))).toEqual(expected);
  for (const mart of expected) {
    const want = await martRows(single, mart);
    const got = await martRows(martsDir, mart);
    expect(got.columns, mart).toEqual(want.columns);
    expect(got.rows.length, mart).toBe(want.rows.length);
    expect(sorted(got.rows), mart).toEqual(sorted(want.rows));
  }
}

describe('a build partitioned by payer', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recoup-partitioned-'));
    lake = await ingestGeneratedLake(join(dir, 'lake'), { seed: 31, weeks: 16, payers: 5, providers: 8 });
    single = join(dir, 'single', 'marts');
    const db = await openDuckDb({ threads: 2 });
    try {
      await buildDuckDbModels({ db, lakeDir: lake, martsDir: single });
    } finally {
      db.closeSync();
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has payers that compare: several, each with takebacks and PLB recoveries', async () => {
    const { rows } = await runQueryOn(
      `SELECT grain, count(DISTINCT payer_id) AS payers, count(*) AS n
       FROM read_parquet(${sqlString(join(single, 'recoupment_rates', 'data.parquet'))})
       WHERE takeback <> 0 GROUP BY grain ORDER BY grain`,
    );
    const byGrain = Object.fromEntries(rows.map((r) => [r.grain, r]));
    expect(byGrain.payer?.payers).toBe(5);
    expect(Number(byGrain.cause?.n)).toBeGreaterThan(3);
    expect(Number(byGrain.provider?.n)).toBeGreaterThan(3);
  });

  it('run step by step (plan, one partition per group, merge), as the fan-out runs it, writes the same marts', async () => {
    const plan = await planPartitions({ lakeDir: lake, jobs: 3 });
    expect(plan.groups).toHaveLength(3);
    expect(plan.groups.flat().sort()).toEqual(plan.payers.map((p) => p.payer_id).sort());
    const partitionDirs: string[] = [];
    for (const [i, payers] of plan.groups.entries()) {
      const outDir = join(dir, 'steps', `partition-${i}`);
      const result = await buildPartition({
        lakeDir: lake,
        payers,
        outDir,
        asOf: plan.asOf,
        appealsAsOf: plan.appealsAsOf,
      });
      // Merged marts are left to the merge; the others are the group's own rows.
      expect(result.models.map((m) => m.name)).not.toContain('recoupment_rates');
      expect(result.exports).toEqual(expect.arrayContaining(['int_daily_payments', 'int_period_takebacks']));
      partitionDirs.push(outDir);
    }
    const martsDir = join(dir, 'steps', 'lake', 'marts');
    await mergePartitions({ partitionDirs, martsDir, asOf: plan.asOf, appealsAsOf: plan.appealsAsOf });
    await expectSameMarts(martsDir);
  });

  it('recoup build --jobs: partitions in child processes, merged into <lake>/marts, the same marts', async () => {
    for (const jobs of [2, 5]) {
      rmSync(join(lake, 'marts'), { recursive: true, force: true });
      const result = await buildPartitioned({ lakeDir: lake, jobs });
      expect(result.partitions).toHaveLength(jobs);
      await expectSameMarts(join(lake, 'marts'));
    }
  });

  it('reports a failed partition by its payers after the other partitions have ended on their own', async () => {
    // A model that fails only where one payer's remittances are: one partition fails, the other runs
    // to its end (stopping a partition inside DuckDB's native code could abort the build).
    const plan = await planPartitions({ lakeDir: lake, jobs: 2 });
    expect(plan.groups.length).toBe(2);
    const [failing, other] = plan.groups as [string[], string[]];
    const sqlDir = join(dir, 'sql-failing');
    cpSync(SQL_DIR, sqlDir, { recursive: true });
    writeFileSync(
      join(sqlDir, 'intermediate', 'int_fails_for_one_payer.sql'),
      `-- grain: one row\nselect cast(case when exists (select 1 from stg_remittances where payer_id = ${sqlString(failing[0] as string)}) then 'not a number' else '1' end as integer) as n\n`,
    );
    const finished: string[][] = [];
    const error = await buildPartitioned({
      lakeDir: makeCopy(lake, join(dir, 'failing-lake')),
      jobs: 2,
      sqlDir,
      onPartition: (p) => finished.push(p.payers),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as Error).message).toContain(`partition of payers ${failing.join(', ')} failed`);
    expect((error as Error).message).toContain('int_fails_for_one_payer');
    expect(finished).toEqual([other]);
  });

  it('keeps each per-payer mart in its own order after the merge', async () => {
    for (const mart of ['takeback_links', 'takeback_appeals', 'payer_scorecard']) {
      const want = await martRows(single, mart);
      const got = await martRows(join(lake, 'marts'), mart);
      const key = (r: unknown) => {
        const row = r as Record<string, unknown>;
        return String(row.takeback_id ?? row.payer_id);
      };
      expect(got.rows.map(key), mart).toEqual(want.rows.map(key));
    }
  });
});

describe('partitioning rules', () => {
  it('groups payers by claims, largest first to the lightest group, never an empty group', () => {
    const payers = [
      { payer_id: 'A', claims: 100 },
      { payer_id: 'B', claims: 60 },
      { payer_id: 'C', claims: 50 },
      { payer_id: 'D', claims: 10 },
    ];
    expect(groupPayers(payers, 2)).toEqual([
      ['A', 'D'],
      ['B', 'C'],
    ]);
    expect(groupPayers(payers, 9)).toHaveLength(4);
    expect(groupPayers(payers, 1)).toEqual([['A', 'B', 'C', 'D']]);
    expect(() => groupPayers(payers, 0)).toThrow(/jobs/);
  });

  it('finds the ORDER BY that ends a model, not one inside a window or a CTE', () => {
    expect(
      trailingOrderBy(
        "with a as (select 1 as x order by x) select rank() over (order by x) as r, ')' as s from a -- order by nothing\norder by r desc, s",
      ),
    ).toBe('r desc, s');
    expect(trailingOrderBy('select 1 as x from (select 2 order by 1)')).toBeNull();
  });

  it('re-ranks only marts that exist, and merges marts whose inputs the partitions export', () => {
    const marts = new Set(
      loadModels()
        .filter((m) => m.layer === 'marts')
        .map((m) => m.name),
    );
    for (const name of [...Object.keys(MERGED_MARTS), ...Object.keys(RERANKED_MARTS)])
      expect(marts).toContain(name);
  });
});

async function runQueryOn(sql: string) {
  const db = await openDuckDb({ threads: 1 });
  try {
    return await runQuery(db, sql);
  } finally {
    db.closeSync();
  }
}
