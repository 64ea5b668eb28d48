import type { DuckDBConnection } from '@duckdb/node-api';
import { runSqlTests as runTests, type SqlTestResult } from '../../models/runSqlTests.ts';
import { readSqlTests, SQL_DIR } from '../localModelFiles.ts';
import { duckDbWarehouse } from './duckDbWarehouse.ts';

/**
 * Runs every `<sqlDir>/tests/*.sql` singular test (default: the repository's sql/tests/) in a
 * DuckDB connection where the models have been built.
 */
export function runSqlTests(
  db: DuckDBConnection,
  options: { sqlDir?: string; maxRows?: number } = {},
): Promise<SqlTestResult[]> {
  return runTests(duckDbWarehouse(db), readSqlTests(options.sqlDir ?? SQL_DIR), {
    ...(options.maxRows === undefined ? {} : { maxRows: options.maxRows }),
  });
}
