import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { BuildResources } from '../../models/buildResources.ts';

/** Options for an embedded DuckDB. */
export interface DuckDbOptions {
  /** Database file; in memory when omitted. */
  path?: string;
  threads?: number;
  memoryLimit?: string;
  /** Where DuckDB spills what does not fit in memoryLimit (default: a folder of this instance's own under the temp folder). */
  tempDirectory?: string;
}

let instances = 0;

/**
 * Opens an embedded DuckDB and one connection to it. Extensions are never downloaded (only the
 * built-in parquet, json and icu are used); home and spill directories live under the temp folder
 * so it works in Lambda, where only /tmp is writable.
 */
export async function openDuckDb(options: DuckDbOptions = {}): Promise<DuckDBConnection> {
  const scratch = join(tmpdir(), 'recoup-duckdb');
  const config: Record<string, string> = {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'true',
    home_directory: scratch,
    // One spill folder per instance: DuckDB removes its spill files when it closes, and two
    // processes (a partitioned build's workers) must not share them.
    temp_directory: options.tempDirectory ?? join(scratch, `spill-${process.pid}-${++instances}`),
    preserve_insertion_order: 'false',
  };
  if (options.threads !== undefined) config.threads = String(options.threads);
  if (options.memoryLimit !== undefined) config.memory_limit = options.memoryLimit;
  // DuckDB creates the spill folder itself when it first spills, but not its parent.
  mkdirSync(dirname(config.temp_directory as string), { recursive: true });
  const instance = await DuckDBInstance.create(options.path ?? ':memory:', config);
  return instance.connect();
}

/** Opens a DuckDB for a build with its memory budget and spill folder. */
export async function openBuildDuckDb(resources: BuildResources): Promise<DuckDBConnection> {
  return openDuckDb({
    memoryLimit: resources.memoryLimit,
    threads: resources.threads,
    ...(resources.tempDirectory === undefined ? {} : { tempDirectory: resources.tempDirectory }),
  });
}

export { sqlIdent, sqlString } from '../../ports/warehouse.ts';
