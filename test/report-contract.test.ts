import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDuckDb, sqlString } from '../functions/adapters/duckdb/openDuckDb.ts';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import { martNotNullSql } from '../functions/core/lake/martSchema.ts';
import type { ReportData } from '../functions/report/loadReportData.ts';
import { writeReport } from '../functions/wiring/writeReport.ts';
import { ALL_MARTS, handMadeLake } from './helpers/reportLake.ts';

let db: DuckDBConnection;
let dir: string;

beforeEach(async () => {
  db = await openDuckDb();
  dir = mkdtempSync(join(tmpdir(), 'recoup-report-contract-'));
});

afterEach(() => {
  db.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

function embedded(html: string): ReportData {
  const m = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  if (!m?.[1]) throw new Error('no embedded report data');
  return JSON.parse(m[1]) as ReportData;
}

describe('the report reads the marts by their contract', () => {
  it('leaves out a section whose mart lacks a contract column, naming it, instead of empty cells', async () => {
    // Prepare: every mart as the contract says, then takeback_links as an older build wrote it.
    const lake = join(dir, 'lake');
    await handMadeLake(db, lake, ALL_MARTS);
    const links = join(lake, 'marts', 'takeback_links', 'data.parquet');
    const older = join(dir, 'older.parquet');
    await db.run(
      `COPY (SELECT * EXCLUDE (reference_id, original_paid) FROM read_parquet(${sqlString(links)})) TO ${sqlString(older)} (FORMAT parquet)`,
    );
    await db.run(
      `COPY (SELECT * FROM read_parquet(${sqlString(older)})) TO ${sqlString(links)} (FORMAT parquet)`,
    );
    const out = join(dir, 'report.html');

    // Act
    await writeReport({ db, lakeDir: lake, out, appealsAsOf: '2025-03-12' });
    const data = embedded(readFileSync(out, 'utf8'));

    // Assess: the drill-down says which columns and what to run; the other sections are there.
    expect(data.drill.available).toBe(false);
    expect(data.drill.reason).toBe(
      'takeback_links is from an older build (no reference_id, original_paid); run `recoup build --lake DIR` again',
    );
    expect(data.drill.data.rows).toEqual([]);
    expect(data.scorecard.available).toBe(true);
    expect(data.alerts.available).toBe(true);
    // Without the links the alert's claims stay as their keys.
    expect(data.alerts.data.current[0]?.top_claims).toEqual(['tb7', 'C2']);
    expect(data.marts.missing).toEqual([]);
  });
});

describe('never-NULL mart columns (martNotNullSql, checked by every build)', () => {
  it('names each never-NULL column that holds a NULL, and nothing when none does', async () => {
    await db.run(`CREATE TEMP TABLE takeback_trend AS SELECT * FROM (VALUES
      ('week', 'P1', DATE '2025-03-03'), ('month', NULL, DATE '2025-03-01'), (NULL, NULL, DATE '2025-03-01'))
      AS t(grain, payer_id, period_start)`);
    const sql = martNotNullSql('takeback_trend') as string;

    const found = (await runQuery(db, sql)).rows.map((r) => r.column).sort();
    expect(found).toEqual(['grain', 'payer_id']);

    await db.run('DELETE FROM takeback_trend WHERE grain IS NULL OR payer_id IS NULL');
    expect((await runQuery(db, sql)).rows).toEqual([]);
    expect(martNotNullSql('no_such_mart')).toBeNull();
  });
});
