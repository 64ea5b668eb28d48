import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { duckdbType, LAKE_TABLES, type LakeTable, tableColumns } from '../../core/lake/schema.ts';
import { sqlIdent, sqlString } from './openDuckDb.ts';

/** Folder (under the lake) where marts are written, one sub-folder per mart. */
export const MARTS_DIR = 'marts';

/** The SELECT that reads one lake table from its Parquet files, typed, with partition columns. */
export function lakeTableSql(lakeDir: string, table: LakeTable, committed?: Set<string>): string {
  const columns = tableColumns(table);
  const list = columns.map(
    (c) => `CAST(${sqlIdent(c.name)} AS ${duckdbType(c.type)}) AS ${sqlIdent(c.name)}`,
  );
  const empty = `SELECT ${columns.map((c) => `NULL::${duckdbType(c.type)} AS ${sqlIdent(c.name)}`).join(', ')} WHERE false`;
  const files = lakeFiles(lakeDir, table);
  if (files.length === 0) return empty;
  // Claims and adjustments count only once their remittance file is committed (it is written
  // last). Usually every file is committed and the glob is read as is; files left by a killed
  // ingest are excluded by naming the committed files explicitly.
  const remits = committed ?? new Set(lakeFiles(lakeDir, 'remittances'));
  const visible = table === 'remittances' ? files : files.filter((f) => remits.has(f));
  if (visible.length === 0) return empty;
  const source =
    visible.length === files.length
      ? sqlString(join(lakeDir, table, '*', '*', '*.parquet'))
      : `[${visible.map((f) => sqlString(join(lakeDir, table, f))).join(', ')}]`;
  return `SELECT ${list.join(', ')} FROM read_parquet(${source}, hive_partitioning = true, union_by_name = true,
    hive_types = {'payer_id': VARCHAR, 'payment_month': VARCHAR})`;
}

/** A lake table's files as `payer_id=…/payment_month=…/<remit_id>.parquet` (finished files only). */
export function lakeFiles(lakeDir: string, table: LakeTable): string[] {
  const out: string[] = [];
  const root = join(lakeDir, table);
  if (!existsSync(root)) return out;
  for (const payer of readdirSync(root, { withFileTypes: true })) {
    if (!payer.isDirectory()) continue;
    for (const month of readdirSync(join(root, payer.name), { withFileTypes: true })) {
      if (!month.isDirectory()) continue;
      for (const file of readdirSync(join(root, payer.name, month.name))) {
        if (file.endsWith('.parquet')) out.push(`${payer.name}/${month.name}/${file}`);
      }
    }
  }
  return out;
}

/**
 * Creates views named after the lake tables (remittances, claims, adjustments) and after every
 * mart found under `<lake>/marts/`. An empty lake gives empty, typed views.
 */
export async function createLakeViews(db: DuckDBConnection, lakeDir: string): Promise<string[]> {
  const names: string[] = [];
  const committed = new Set(lakeFiles(lakeDir, 'remittances'));
  for (const table of LAKE_TABLES) {
    await db.run(`CREATE OR REPLACE VIEW ${sqlIdent(table)} AS ${lakeTableSql(lakeDir, table, committed)}`);
    names.push(table);
  }
  for (const mart of listMarts(lakeDir)) {
    const glob = join(lakeDir, MARTS_DIR, mart, '*.parquet');
    await db.run(
      `CREATE OR REPLACE VIEW ${sqlIdent(mart)} AS SELECT * FROM read_parquet(${sqlString(glob)})`,
    );
    names.push(mart);
  }
  return names;
}

/** Marts present in the lake (folders under `marts/` holding Parquet). */
export function listMarts(lakeDir: string): string[] {
  const dir = join(lakeDir, MARTS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && hasParquet(join(dir, e.name), 0))
    .map((e) => e.name)
    .sort();
}

/** True when a folder holds a Parquet file at the given depth of sub-folders (default: a lake table's 2). */
function hasParquet(dir: string, depth = 2): boolean {
  if (!existsSync(dir)) return false;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (depth === 0) {
      if (entry.isFile() && entry.name.endsWith('.parquet')) return true;
    } else if (entry.isDirectory() && hasParquet(join(dir, entry.name), depth - 1)) {
      return true;
    }
  }
  return false;
}
