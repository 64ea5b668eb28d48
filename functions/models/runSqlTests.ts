import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { runQuery } from '../adapters/duckdb/runQuery.ts';
import { SQL_DIR } from './loadModels.ts';

/** The outcome of one singular test: the rows it returned (none = pass) or the error it raised. */
export interface SqlTestResult {
  name: string;
  file: string;
  passed: boolean;
  /** Offending rows (at most `maxRows`). */
  rows: Record<string, unknown>[];
  /** Offending rows in all. */
  failures: number;
  error?: string;
  ms: number;
}

/**
 * Runs every `sql/tests/*.sql` singular test in a connection where `buildModels` has run: each
 * query returns the offending rows, so an empty result is a pass.
 */
export async function runSqlTests(
  db: DuckDBConnection,
  options: { sqlDir?: string; maxRows?: number } = {},
): Promise<SqlTestResult[]> {
  const dir = join(options.sqlDir ?? SQL_DIR, 'tests');
  const maxRows = options.maxRows ?? 20;
  const results: SqlTestResult[] = [];
  for (const entry of readdirSync(dir)
    .filter((e) => e.endsWith('.sql'))
    .sort()) {
    const file = join(dir, entry);
    const sql = readFileSync(file, 'utf8').trim().replace(/;\s*$/, '');
    const started = performance.now();
    const name = basename(entry, '.sql');
    try {
      const { rows } = await runQuery(db, `SELECT * FROM (\n${sql}\n) LIMIT ${maxRows + 1}`);
      const counted =
        rows.length > maxRows ? await runQuery(db, `SELECT count(*)::INTEGER AS n FROM (\n${sql}\n)`) : null;
      const failures = counted === null ? rows.length : Number(counted.rows[0]?.n ?? rows.length);
      results.push({
        name,
        file,
        passed: rows.length === 0,
        rows: rows.slice(0, maxRows),
        failures,
        ms: Math.round(performance.now() - started),
      });
    } catch (error) {
      results.push({
        name,
        file,
        passed: false,
        rows: [],
        failures: 0,
        error: error instanceof Error ? error.message : String(error),
        ms: Math.round(performance.now() - started),
      });
    }
  }
  return results;
}
