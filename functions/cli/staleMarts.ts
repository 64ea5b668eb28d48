import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { listMarts } from '../adapters/duckdb/lakeViews.ts';
import { LAKE_TABLES, MARTS_DIR } from '../core/lake/schema.ts';

/** Marts older than the lake: remittances ingested after the marts were last written. */
export interface StaleMarts {
  /** When the marts were last written (the newest mart file's modification time). */
  builtAt: Date;
  /** Remittances whose `ingested_at` is later. */
  remittances: number;
  /** The latest of those `ingested_at`. */
  lastIngestedAt: string;
}

/**
 * Whether remittances were ingested after the marts were built. `db` must hold the lake views
 * (createLakeViews). The lake's folders are looked at first, so the usual answer ("no") costs a
 * few directory reads; only when a lake folder changed after the build is `ingested_at` read, so
 * a compaction or a re-delivered file (nothing new) does not count.
 */
export async function findStaleMarts(db: DuckDBConnection, lakeDir: string): Promise<StaleMarts | null> {
  const builtAt = martsBuiltAt(lakeDir);
  if (builtAt === null) return null;
  if (!lakeChangedSince(lakeDir, builtAt.getTime())) return null;
  const reader = await db.runAndReadAll(
    `SELECT count(*)::INTEGER AS n, CAST(max(ingested_at) AS VARCHAR) AS latest
     FROM remittances WHERE ingested_at > CAST($1 AS TIMESTAMP)`,
    [builtAt.toISOString().replace('T', ' ').replace('Z', '')],
  );
  const row = reader.getRowObjectsJson()[0] as { n: number; latest: string | null } | undefined;
  if (row === undefined || row.n === 0 || row.latest === null) return null;
  return { builtAt, remittances: row.n, lastIngestedAt: row.latest };
}

/** The warning a command prints (and the report shows) for stale marts. */
export function staleMartsMessage(stale: StaleMarts, lakeDir: string): string {
  const built = stale.builtAt.toISOString().slice(0, 19).replace('T', ' ');
  return (
    `the marts are out of date: ${stale.remittances} remittance${stale.remittances === 1 ? ' was' : 's were'} ` +
    `ingested after they were built (${built} UTC) and are not in them; run \`recoup build --lake ${lakeDir}\``
  );
}

/** Checks for stale marts and writes the warning to stderr; returns the message, or null. */
export async function warnIfStale(
  db: DuckDBConnection,
  lakeDir: string,
  command: string,
): Promise<string | null> {
  const stale = await findStaleMarts(db, lakeDir);
  if (stale === null) return null;
  const message = staleMartsMessage(stale, lakeDir);
  process.stderr.write(`recoup ${command}: warning: ${message}\n`);
  return message;
}

/** The newest modification time of the marts' Parquet files; null when the lake has no marts. */
function martsBuiltAt(lakeDir: string): Date | null {
  let newest = -1;
  for (const mart of listMarts(lakeDir)) {
    const dir = join(lakeDir, MARTS_DIR, mart);
    for (const file of readdirSync(dir)) {
      if (!file.endsWith('.parquet')) continue;
      newest = Math.max(newest, statSync(join(dir, file)).mtimeMs);
    }
  }
  return newest < 0 ? null : new Date(newest);
}

/**
 * Whether a folder of the lake tables (a table, its payer and month partitions, or the compacted
 * layer) was modified after `since`: files are committed by renaming them into these folders.
 */
function lakeChangedSince(lakeDir: string, since: number): boolean {
  const roots = [...LAKE_TABLES.map((t) => join(lakeDir, t)), join(lakeDir, 'compacted')];
  const visit = (dir: string, depth: number): boolean => {
    const info = statSync(dir, { throwIfNoEntry: false });
    if (info === undefined || !info.isDirectory()) return false;
    if (info.mtimeMs > since) return true;
    if (depth === 0) return false;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && visit(join(dir, entry.name), depth - 1)) return true;
    }
    return false;
  };
  // Tables hold payer_id=…/payment_month=…; the compacted layer holds one more level (its tables).
  return roots.some((root, i) => visit(root, i < LAKE_TABLES.length ? 2 : 3));
}
