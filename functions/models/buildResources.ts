import { cpus } from 'node:os';

/**
 * DuckDB's memory budget for a build when none is given (and RECOUP_DUCKDB_MEMORY is unset). The
 * build's process holds this plus Node (about 150–250 MB); beyond it DuckDB spills to its temp
 * folder, so a larger lake takes longer, not more memory.
 */
export const DEFAULT_BUILD_MEMORY = '1.5GB';

/** The memory, spill folder and threads one build's DuckDB may use. */
export interface BuildResources {
  /** DuckDB memory_limit, such as "1.5GB" or "800MB". */
  memoryLimit: string;
  /** Where DuckDB spills (default: a folder of its own under the temp folder, removed on close). */
  tempDirectory?: string;
  /** DuckDB threads (default: one per core). */
  threads: number;
}

/** A build's resources: what is given, else RECOUP_DUCKDB_MEMORY, else the defaults. */
export function buildResources(given: Partial<BuildResources> = {}): BuildResources {
  const memoryLimit = given.memoryLimit ?? process.env.RECOUP_DUCKDB_MEMORY ?? DEFAULT_BUILD_MEMORY;
  parseMemorySize(memoryLimit);
  const threads = given.threads ?? Math.max(1, cpus().length);
  if (!Number.isInteger(threads) || threads < 1)
    throw new RangeError(`threads must be a positive integer, got ${threads}`);
  return {
    memoryLimit,
    threads,
    ...(given.tempDirectory === undefined ? {} : { tempDirectory: given.tempDirectory }),
  };
}

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** Bytes of a size such as "1.5GB", "800MiB" or "4GB" (DuckDB's units); a RangeError otherwise. */
export function parseMemorySize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)\s*$/i.exec(text);
  const unit = UNITS[match?.[2]?.toLowerCase() ?? ''];
  if (match === null || unit === undefined || Number(match[1]) <= 0)
    throw new RangeError(`a memory size is a number and a unit (MB, GB, MiB, GiB …), got "${text}"`);
  return Number(match[1]) * unit;
}

/** A DuckDB size string for a number of bytes (whole megabytes). */
export function memorySize(bytes: number): string {
  return `${Math.max(1, Math.floor(bytes / 1e6))}MB`;
}
