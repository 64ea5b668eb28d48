import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { CLOSES_DIR, type CloseManifest, PERIOD_PATTERN } from '../../close/periods.ts';
import { sqlString } from '../../ports/warehouse.ts';

/** The closed months of a lake, oldest first (folders with a readable close.json). */
export function listCloses(lakeDir: string): CloseManifest[] {
  const root = join(lakeDir, CLOSES_DIR);
  if (!existsSync(root)) return [];
  const out: CloseManifest[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || !PERIOD_PATTERN.test(entry.name)) continue;
    const file = join(root, entry.name, 'close.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as CloseManifest;
    if (manifest.format === 'recoup-close/1' && manifest.period === entry.name) out.push(manifest);
  }
  return out.sort((a, b) => (a.period < b.period ? -1 : a.period > b.period ? 1 : 0));
}

/** Columns of the frozen recoupment_rates read back by the restatement model. */
const RATES_COLUMNS: Record<string, string> = {
  grain: 'VARCHAR',
  period: 'DATE',
  payer_id: 'VARCHAR',
  cause: 'VARCHAR',
  provider_npi: 'VARCHAR',
  paid: 'DECIMAL(18,2)',
  takeback: 'DECIMAL(18,2)',
  net_takeback: 'DECIMAL(18,2)',
  claim_count: 'BIGINT',
  takeback_count: 'BIGINT',
};

/** Columns of the frozen takeback_links read back by the restatement model. */
const TAKEBACK_COLUMNS: Record<string, string> = {
  takeback_id: 'VARCHAR',
  kind: 'VARCHAR',
  payer_id: 'VARCHAR',
  period: 'DATE',
  amount: 'DECIMAL(18,2)',
  correction_repaid: 'DECIMAL(18,2)',
  net_amount: 'DECIMAL(18,2)',
  cause: 'VARCHAR',
  correction_remit_id: 'VARCHAR',
};

/**
 * Registers what the models read of the closed months, as temp tables: `closed_periods(period,
 * closed_at)`, and the frozen rows of `closed_recoupment_rates` and `closed_takebacks` (from
 * takeback_links). A lake without closes gives empty, typed tables.
 */
export async function registerClosedPeriods(db: DuckDBConnection, lakeDir: string): Promise<CloseManifest[]> {
  const closes = listCloses(lakeDir);
  await db.run('CREATE OR REPLACE TEMP TABLE closed_periods (period DATE, closed_at TIMESTAMP)');
  for (const close of closes) {
    await db.run('INSERT INTO closed_periods VALUES (CAST($1 AS DATE), CAST($2 AS TIMESTAMP))', [
      `${close.period}-01`,
      close.closed_at.replace('T', ' ').replace('Z', ''),
    ]);
  }
  const files = (mart: string) =>
    closes.map((c) => join(lakeDir, CLOSES_DIR, c.period, `${mart}.parquet`)).filter((f) => existsSync(f));
  await frozenTable(db, 'closed_recoupment_rates', RATES_COLUMNS, files('recoupment_rates'));
  await frozenTable(db, 'closed_takebacks', TAKEBACK_COLUMNS, files('takeback_links'));
  return closes;
}

async function frozenTable(
  db: DuckDBConnection,
  name: string,
  columns: Record<string, string>,
  files: string[],
): Promise<void> {
  const typed = Object.entries(columns).map(([c, t]) => `CAST(${c} AS ${t}) AS ${c}`);
  const source =
    files.length === 0
      ? `SELECT ${Object.entries(columns)
          .map(([c, t]) => `NULL::${t} AS ${c}`)
          .join(', ')} WHERE false`
      : `SELECT ${typed.join(', ')} FROM read_parquet([${files.map(sqlString).join(', ')}], union_by_name = true)`;
  await db.run(`CREATE OR REPLACE TEMP TABLE ${name} AS ${source}`);
}
