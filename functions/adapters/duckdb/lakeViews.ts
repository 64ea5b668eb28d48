import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  type CompactionManifest,
  currentManifestKeys,
  MANIFESTS_DIR,
  parseManifest,
  resolveLakeReads,
  type TableReads,
} from '../../core/lake/compactedLayout.ts';
import { duckdbType, LAKE_TABLES, type LakeTable, MARTS_DIR, tableColumns } from '../../core/lake/schema.ts';
import { sqlIdent, sqlString } from '../../ports/warehouse.ts';

/** What readers read of a local lake: per table, compacted files of current generations and staged files. */
export type LakeReads = Record<LakeTable, TableReads>;

/**
 * Reads a local lake's listing and current manifests and decides what each table shows:
 * compacted ∪ staged-not-yet-compacted, committed remittances only (compactedLayout.ts).
 */
export function readLakeReads(lakeDir: string): LakeReads {
  const staged: string[] = [];
  for (const table of LAKE_TABLES) for (const f of lakeFiles(lakeDir, table)) staged.push(`${table}/${f}`);
  const manifests = new Map<string, CompactionManifest>();
  const manifestRoot = join(lakeDir, ...MANIFESTS_DIR.split('/'));
  if (existsSync(manifestRoot)) {
    const keys: string[] = [];
    for (const payer of readdirSync(manifestRoot, { withFileTypes: true })) {
      if (!payer.isDirectory()) continue;
      for (const month of readdirSync(join(manifestRoot, payer.name), { withFileTypes: true })) {
        if (!month.isDirectory()) continue;
        for (const file of readdirSync(join(manifestRoot, payer.name, month.name)))
          keys.push(`${MANIFESTS_DIR}/${payer.name}/${month.name}/${file}`);
      }
    }
    for (const [id, { key }] of currentManifestKeys(keys)) {
      manifests.set(id, parseManifest(readFileSync(join(lakeDir, ...key.split('/')), 'utf8'), key));
    }
  }
  return resolveLakeReads(staged, manifests);
}

/**
 * The SELECT that reads one lake table from its Parquet files, typed, with partition columns.
 * `reads` (from readLakeReads) is computed when not given; a Set (the committed remittance files,
 * as callers passed before compaction existed) is taken as "not given".
 */
export function lakeTableSql(lakeDir: string, table: LakeTable, reads?: LakeReads | Set<string>): string {
  const columns = tableColumns(table);
  const list = columns.map(
    (c) => `CAST(${sqlIdent(c.name)} AS ${duckdbType(c.type)}) AS ${sqlIdent(c.name)}`,
  );
  const empty = `SELECT ${columns.map((c) => `NULL::${duckdbType(c.type)} AS ${sqlIdent(c.name)}`).join(', ')} WHERE false`;
  const r = (reads === undefined || reads instanceof Set ? readLakeReads(lakeDir) : reads)[table];
  if (r.compacted.length + r.staged.length === 0) return empty;
  // Usually every staged file is visible and nothing is compacted: the glob is read as is.
  // Otherwise the files are named: compacted ones of current generations, and staged ones that
  // are committed and not compacted (hidden: a killed ingest's orphans, compacted copies).
  const source =
    r.compacted.length === 0 && r.hiddenStaged === 0
      ? sqlString(join(lakeDir, table, '*', '*', '*.parquet'))
      : `[${[...r.compacted, ...r.staged].map((k) => sqlString(join(lakeDir, ...k.split('/')))).join(', ')}]`;
  return `SELECT ${list.join(', ')} FROM read_parquet(${source}, hive_partitioning = true, union_by_name = true,
    hive_types = {'payer_id': VARCHAR, 'payment_month': VARCHAR})`;
}

/** A lake table's staged files as `payer_id=…/payment_month=…/<remit_id>.parquet` (finished files only). */
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
  const reads = readLakeReads(lakeDir);
  for (const table of LAKE_TABLES) {
    try {
      await db.run(`CREATE OR REPLACE VIEW ${sqlIdent(table)} AS ${lakeTableSql(lakeDir, table, reads)}`);
    } catch (error) {
      throw olderLakeError(lakeDir, table, error) ?? error;
    }
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

/**
 * A lake whose files all lack a column this version writes (remit_key, content_sha256,
 * original_reference, …) was written by an older recoup: say so, and how to move on, rather
 * than DuckDB's binder error.
 */
function olderLakeError(lakeDir: string, table: LakeTable, error: unknown): Error | null {
  const message = error instanceof Error ? error.message : String(error);
  if (!message.includes('Binder Error')) return null;
  const column = /column "([^"]+)"/i.exec(message)?.[1];
  if (column === undefined || !tableColumns(table).some((c) => c.name === column)) return null;
  return new Error(
    `the lake at ${lakeDir} was written by an older recoup: its ${table} files have no "${column}" column, ` +
      'which this version writes. Ingest the 835 files again into a new lake folder ' +
      '(on AWS: a new lake prefix, then `recoup backfill`); see README "Upgrading".',
  );
}
