import { join } from 'node:path';
import { openDuckDb } from '../../functions/adapters/duckdb/openDuckDb.ts';
import { runQuery } from '../../functions/adapters/duckdb/runQuery.ts';
import { sqlString } from '../../functions/ports/warehouse.ts';

/** Every row of a mart's file (`<martsDir>/<mart>/data.parquet`), JSON-safe (DECIMAL as exact strings), with its column types. */
export async function martRows(
  martsDir: string,
  mart: string,
): Promise<{ columns: string[]; rows: unknown[] }> {
  const db = await openDuckDb({ threads: 1 });
  try {
    const file = sqlString(join(martsDir, mart, 'data.parquet'));
    const described = (
      await db.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${file})`)
    ).getRowObjectsJson();
    const columns = described.map((c) => `${c.column_name} ${c.column_type}`);
    const { rows } = await runQuery(db, `SELECT * FROM read_parquet(${file})`);
    return { columns, rows };
  } finally {
    db.closeSync();
  }
}

/** A mart's rows as sorted JSON texts: equal sets of rows compare equal whatever the ties in its ORDER BY. */
export function sortedRows(rows: unknown[]): string[] {
  return rows.map((r) => JSON.stringify(r)).sort();
}
