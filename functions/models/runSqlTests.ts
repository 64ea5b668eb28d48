import type { Warehouse } from '../ports/warehouse.ts';

/** One singular test: a query that returns the rows breaking a rule (`sql/tests/*.sql`). */
export interface SqlTest {
  name: string;
  /** Its file, for messages. */
  file: string;
  sql: string;
}

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
 * Runs singular tests in a warehouse where the models have been built: each query returns the
 * offending rows, so an empty result is a pass. (functions/adapters/duckdb/sqlTests.ts reads
 * `sql/tests/*.sql` and runs them in a DuckDB connection.)
 */
export async function runSqlTests(
  warehouse: Warehouse,
  tests: readonly SqlTest[],
  options: { maxRows?: number } = {},
): Promise<SqlTestResult[]> {
  const maxRows = options.maxRows ?? 20;
  const results: SqlTestResult[] = [];
  for (const test of tests) {
    const { name, file } = test;
    const sql = test.sql.trim().replace(/;\s*$/, '');
    const started = performance.now();
    try {
      const { rows } = await warehouse.query(`SELECT * FROM (\n${sql}\n) LIMIT ${maxRows + 1}`);
      const counted =
        rows.length > maxRows
          ? await warehouse.query(`SELECT count(*)::INTEGER AS n FROM (\n${sql}\n)`)
          : null;
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
