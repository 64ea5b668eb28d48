import type { SqlParam, Warehouse } from './warehouse.ts';

/** A column of a table the build registers: its name and SQL type (VARCHAR, INTEGER …). */
export interface TableColumn {
  name: string;
  type: string;
}

/**
 * The warehouse a build runs the SQL models in: the Warehouse port (run SQL, read rows) with what a
 * build adds. A DuckDB connection over a folder lake implements it
 * (functions/adapters/duckdb/duckDbModelWarehouse.ts); the build (functions/models/buildModels.ts)
 * sees only this interface.
 */
export interface ModelWarehouse extends Warehouse {
  /**
   * Makes the lake readable as the views `remittances`, `claims`, `adjustments` (committed
   * remittances only; with `payers`, those payers' partitions only), a view per mart already
   * written, and the closed months (`closed_periods`, `closed_recoupment_rates`, `closed_takebacks`).
   */
  attachLake(lakeDir: string, options?: { payers?: readonly string[] }): Promise<void>;
  /** Creates (or replaces) a temp table holding these rows; values are bound, never spliced into SQL. */
  createTable(
    name: string,
    columns: readonly TableColumn[],
    rows: readonly (readonly SqlParam[])[],
  ): Promise<void>;
  /**
   * Writes a query's rows as the mart `name` under `martsDir` (one Parquet file, zstd), atomically:
   * a reader sees the old file or the new one, never half of one. Returns where it is.
   */
  writeMart(martsDir: string, name: string, sql: string): Promise<string>;
  /** A view over a mart's file written by writeMart. */
  readMart(name: string, location: string): Promise<void>;
  /** Writes each following statement's query profile (JSON) to `file`; null stops profiling. */
  profile(file: string | null): Promise<void>;
}
