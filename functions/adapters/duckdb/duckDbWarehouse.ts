import type { DuckDBConnection } from '@duckdb/node-api';
import type { SqlParam, Warehouse } from '../../ports/warehouse.ts';
import { resultTable } from './runQuery.ts';

/** The warehouse port over a DuckDB connection (with the lake's views: lakeViews.ts createLakeViews). */
export function duckDbWarehouse(db: DuckDBConnection): Warehouse {
  return {
    async query(sql: string, params?: readonly SqlParam[]) {
      return resultTable(await db.runAndReadAll(sql, params === undefined ? undefined : [...params]));
    },
    async run(sql: string, params?: readonly SqlParam[]) {
      await db.run(sql, params === undefined ? undefined : [...params]);
    },
  };
}
