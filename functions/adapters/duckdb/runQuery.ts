import type { DuckDBConnection, DuckDBResultReader } from '@duckdb/node-api';

const INTEGER_TYPES = new Set(['BIGINT', 'HUGEINT', 'UBIGINT', 'UHUGEINT']);

/**
 * Runs SQL and returns JSON-safe rows: DECIMAL stays an exact string ("12.50"), dates are ISO
 * strings, and 64-bit integers become numbers when they are safe integers.
 */
export async function runQuery(
  db: DuckDBConnection,
  sql: string,
): Promise<{ columns: string[]; rows: Record<string, unknown>[] }> {
  return resultTable(await db.runAndReadAll(sql));
}

/** A read result as JSON-safe rows, as runQuery returns them. */
export function resultTable(reader: DuckDBResultReader): {
  columns: string[];
  rows: Record<string, unknown>[];
} {
  const columns = reader.columnNames();
  const types = reader.columnTypes().map(String);
  const rows = reader.getRowObjectsJson() as Record<string, unknown>[];
  const bigints = columns.filter((_, i) => INTEGER_TYPES.has(types[i] ?? ''));
  if (bigints.length > 0) {
    for (const row of rows) {
      for (const c of bigints) {
        const v = row[c];
        if (typeof v === 'string' && Number.isSafeInteger(Number(v))) row[c] = Number(v);
      }
    }
  }
  return { columns, rows };
}
