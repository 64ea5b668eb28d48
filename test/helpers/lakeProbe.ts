import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { createLakeViews } from '../../functions/adapters/duckdb/lakeViews.ts';
import { openDuckDb } from '../../functions/adapters/duckdb/openDuckDb.ts';
import { LocalFolderStore } from '../../functions/adapters/localFolderStore.ts';
import type { IngestInput, IngestSummary } from '../../functions/ingest/ingestFiles.ts';
import { sqlString } from '../../functions/ports/warehouse.ts';
import { ingestToLake } from '../../functions/wiring/ingestToLake.ts';

/** A fresh temporary folder; removed by `cleanup`. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `recoup-rel-${prefix}-`));
}

export function cleanup(...dirs: string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

/** An ingest input for a local file, keyed by its path. */
export function inputOf(path: string, key = path): IngestInput {
  return { path, key, size: statSync(path).size };
}

/** Rejects when a promise takes longer than `ms`: a hang is a failure, not a stuck suite. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Ingests files into a local lake folder in-process. */
export async function ingestInto(
  lake: string,
  inputs: IngestInput[],
  options: { batchBytes?: number; now?: Date } = {},
): Promise<IngestSummary> {
  return ingestToLake(inputs, { lake: new LocalFolderStore(lake), ...options });
}

/** Runs `fn` with a DuckDB connection whose lake views (remittances, claims, adjustments) read `lake`. */
export async function withLake<T>(lake: string, fn: (db: DuckDBConnection) => Promise<T>): Promise<T> {
  const db = await openDuckDb({ threads: 1 });
  try {
    await createLakeViews(db, lake);
    return await fn(db);
  } finally {
    db.closeSync();
  }
}

/** Rows of a query as JSON-safe objects (DECIMAL as exact strings, BIGINT as numbers). */
export async function rows(db: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await db.runAndReadAll(sql);
  return (reader.getRowObjectsJson() as Record<string, unknown>[]).map((r) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r))
      out[k] = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
    return out;
  });
}

/** Per remittance: its claims and adjustments as the lake views show them (committed remittances only). */
export interface RemitCounts {
  remit_id: string;
  trace_number: string | null;
  source_key: string;
  claims: number;
  adjustments: number;
  balanced: boolean;
  warnings: string | null;
}

export async function remitCounts(lake: string): Promise<Map<string, RemitCounts>> {
  return withLake(lake, async (db) => {
    const list = await rows(
      db,
      `SELECT r.remit_id, r.trace_number, r.source_key, r.balanced, r.warnings,
              (SELECT count(*) FROM claims c WHERE c.remit_id = r.remit_id) AS claims,
              (SELECT count(*) FROM adjustments a WHERE a.remit_id = r.remit_id) AS adjustments
       FROM remittances r`,
    );
    const out = new Map<string, RemitCounts>();
    for (const r of list) {
      const id = r.remit_id as string;
      if (out.has(id)) throw new Error(`remittance ${id} appears twice in the lake`);
      out.set(id, r as unknown as RemitCounts);
    }
    return out;
  });
}

/** Every `*.parquet` file under a folder. */
export function parquetFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith('.parquet')) out.push(full);
    }
  };
  walk(dir);
  return out.sort();
}

/** Paths of Parquet files DuckDB cannot read (a torn write would show up here). */
export async function unreadableParquet(dir: string): Promise<string[]> {
  const files = parquetFiles(dir);
  if (files.length === 0) return [];
  const db = await openDuckDb({ threads: 1 });
  const bad: string[] = [];
  try {
    for (const f of files) {
      try {
        await db.run(`SELECT count(*) FROM read_parquet(${sqlString(f)})`);
      } catch {
        bad.push(f);
      }
    }
  } finally {
    db.closeSync();
  }
  return bad;
}
