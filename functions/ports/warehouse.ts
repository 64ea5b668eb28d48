/**
 * The warehouse port: the SQL engine use cases read the lake and the marts through. A DuckDB
 * connection with the lake's views implements it (functions/adapters/duckdb/duckDbWarehouse.ts);
 * use cases (alerts, appeals, digest, report loading) see only this interface.
 */

/** A query parameter (`$1`, `$2` …). */
export type SqlParam = string | number | boolean | null;

/**
 * One query's result: its column names and JSON-safe rows. DECIMAL money is an exact string
 * ("12.50"), dates are ISO strings, 64-bit integers are numbers when they are safe integers.
 */
export interface ResultTable {
  columns: string[];
  rows: Record<string, unknown>[];
}

export interface Warehouse {
  /** Runs a query and returns its rows. */
  query(sql: string, params?: readonly SqlParam[]): Promise<ResultTable>;
  /** Runs a statement (CREATE TEMP TABLE …, SET …) for its effect. */
  run(sql: string, params?: readonly SqlParam[]): Promise<void>;
}

/** Quotes a string as an SQL literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Quotes an identifier. */
export function sqlIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
