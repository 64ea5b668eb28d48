import type { DuckDBConnection } from '@duckdb/node-api';
import { LAKE_TABLES } from '../../core/lake/schema.ts';
import { sqlIdent, sqlString } from '../../ports/warehouse.ts';
import { createLakeViews, lakeFiles, lakeTableSql } from './lakeViews.ts';

/**
 * Creates the lake views a build reads (remittances, claims, adjustments; and a view per mart
 * already written). With `payers`, the lake views hold those payers only: the filter is on the
 * Hive partition column, so DuckDB opens no other payer's files.
 */
export async function createBuildLakeViews(
  db: DuckDBConnection,
  lakeDir: string,
  payers?: readonly string[],
): Promise<void> {
  // Lake files are read by several models of a build: their footers are parsed once.
  await db.run('SET parquet_metadata_cache = true');
  await createLakeViews(db, lakeDir);
  if (payers === undefined) return;
  const committed = new Set(lakeFiles(lakeDir, 'remittances'));
  // DDL takes no parameters: the ids are quoted literals (the partition pruning needs constants).
  const list = payers.length === 0 ? 'NULL' : payers.map(sqlString).join(', ');
  for (const table of LAKE_TABLES) {
    await db.run(
      `CREATE OR REPLACE VIEW ${sqlIdent(table)} AS
       SELECT * FROM (${lakeTableSql(lakeDir, table, committed)}) WHERE payer_id IN (${list})`,
    );
  }
}
