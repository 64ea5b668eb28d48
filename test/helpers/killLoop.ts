import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { lakeTableSql, readLakeReads } from '../../functions/adapters/duckdb/lakeViews.ts';
import { openDuckDb } from '../../functions/adapters/duckdb/openDuckDb.ts';
import {
  COMPACTION_LOCK,
  currentManifestKeys,
  parseManifest,
  parseStagedKey,
} from '../../functions/core/lake/compactedLayout.ts';
import { duckdbType, LAKE_TABLES, type LakeTable, tableColumns } from '../../functions/core/lake/schema.ts';
import { sqlString } from '../../functions/ports/warehouse.ts';
import { ROOT } from './badInputs.ts';
import { parquetFiles } from './lakeProbe.ts';

/** How a run of `recoup ingest` ended. */
export interface IngestRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when our SIGKILL ended it (it was still running when the signal was sent). */
  killed: boolean;
  ms: number;
  stdout: string;
  stderr: string;
}

export interface KillPlan {
  /** Kill this many ms after the process starts. */
  afterMs?: number;
  /** Or: wait until this path exists (polled every 2 ms), then kill after `afterMs` more. */
  whenExists?: string;
}

/** Spawns `node bin/recoup.js ingest <paths> --lake <lake> --json`, optionally SIGKILLing it. */
export function runIngest(
  paths: string[],
  lake: string,
  kill?: KillPlan,
  timeoutMs = 60_000,
): Promise<IngestRun> {
  return runRecoup(['ingest', ...paths, '--lake', lake, '--json'], kill, timeoutMs);
}

/** Spawns `node bin/recoup.js compact --lake <lake> --json`, optionally SIGKILLing it. */
export function runCompact(lake: string, kill?: KillPlan, timeoutMs = 60_000): Promise<IngestRun> {
  return runRecoup(['compact', '--lake', lake, '--json'], kill, timeoutMs);
}

/** Spawns `node bin/recoup.js <args>`, optionally SIGKILLing it by plan. */
export function runRecoup(args: string[], kill?: KillPlan, timeoutMs = 60_000): Promise<IngestRun> {
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'bin', 'recoup.js'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  let exited = false;
  let killed = false;
  const timers: NodeJS.Timeout[] = [];
  const killNow = () => {
    if (exited) return;
    killed = child.kill('SIGKILL');
  };
  if (kill !== undefined) {
    const delay = kill.afterMs ?? 0;
    if (kill.whenExists === undefined) {
      timers.push(setTimeout(killNow, delay));
    } else {
      const target = kill.whenExists;
      const poll = setInterval(() => {
        if (exited) return clearInterval(poll);
        if (existsSync(target)) {
          clearInterval(poll);
          if (delay === 0) killNow();
          else timers.push(setTimeout(killNow, delay));
        }
      }, 2);
      timers.push(poll);
    }
  }
  // A hang is a failure: the run is killed after the timeout and reported as such.
  const guard = setTimeout(() => {
    if (!exited) {
      stderr += `\n[killLoop] timed out after ${timeoutMs} ms`;
      child.kill('SIGKILL');
    }
  }, timeoutMs);
  return new Promise((resolve) => {
    child.on('exit', () => {
      exited = true;
    });
    child.on('close', (code, signal) => {
      exited = true;
      clearTimeout(guard);
      for (const t of timers) clearTimeout(t);
      resolve({
        code,
        signal,
        killed: killed && signal === 'SIGKILL',
        ms: performance.now() - started,
        stdout,
        stderr,
      });
    });
  });
}

/** Typed SELECT of every Parquet row of a lake table, committed or not (orphans included). */
function rawTableSql(lake: string, table: LakeTable): string {
  const columns = tableColumns(table);
  const dir = join(lake, table);
  const hasFiles = parquetFiles(dir).some((f) => !/^[._]/.test(basename(f)));
  if (!hasFiles) {
    return `SELECT ${columns.map((c) => `NULL::${duckdbType(c.type)} AS "${c.name}"`).join(', ')} WHERE false`;
  }
  const glob = join(dir, '*', '*', '*.parquet');
  return `SELECT ${columns.map((c) => `CAST("${c.name}" AS ${duckdbType(c.type)}) AS "${c.name}"`).join(', ')}
          FROM read_parquet(${sqlString(glob)}, hive_partitioning = true, union_by_name = true,
                            hive_types = {'payer_id': VARCHAR, 'payment_month': VARCHAR})`;
}

/**
 * Loads a lake into tables `<prefix>_<table>_raw` (every row on disk) and views `<prefix>_<table>`
 * (rows of committed remittances only: what readers see), with `ingested_at` left out so runs compare.
 */
async function loadLake(
  db: DuckDBConnection,
  prefix: string,
  lake: string,
  exclude: string[],
): Promise<void> {
  for (const table of LAKE_TABLES) {
    const raw = rawTableSql(lake, table);
    const select =
      table === 'remittances' ? `SELECT * EXCLUDE (${['ingested_at', ...exclude].join(', ')})` : 'SELECT *';
    await db.run(`CREATE OR REPLACE TABLE ${prefix}_${table}_raw AS ${select} FROM (${raw})`);
  }
  await db.run(`CREATE OR REPLACE VIEW ${prefix}_remittances AS SELECT * FROM ${prefix}_remittances_raw`);
  for (const table of ['claims', 'adjustments']) {
    await db.run(
      `CREATE OR REPLACE VIEW ${prefix}_${table} AS SELECT * FROM ${prefix}_${table}_raw
       WHERE remit_id IN (SELECT remit_id FROM ${prefix}_remittances_raw)`,
    );
  }
}

async function count(db: DuckDBConnection, sql: string): Promise<number> {
  const reader = await db.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM (${sql})`);
  return Number(reader.getRowObjectsJson()[0]?.n ?? 0);
}

/** Differences between a lake and the reference lake. Every number is 0 when the property holds. */
export interface LakeDiff {
  /** Visible rows (ignoring ingested_at) in the lake but not in the reference, counting duplicates. */
  extra: Record<LakeTable, number>;
  /** Reference rows of the lake's committed remittances that the lake does not show. */
  missingOfCommitted: Record<LakeTable, number>;
  /** Reference rows not visible at all (0 only for a complete lake). */
  missing: Record<LakeTable, number>;
  /** Rows on disk (orphans included) that the reference does not have, counting duplicates. */
  extraRaw: Record<LakeTable, number>;
  /** Rows on disk of remittances that are not committed (invisible; a rerun completes them). */
  orphans: number;
  committed: number;
  referenceRemittances: number;
}

/** Compares lakes with a reference lake of the same inputs, row by row, with EXCEPT ALL. */
export class LakeComparer {
  private constructor(
    private readonly db: DuckDBConnection,
    private readonly exclude: string[],
  ) {}

  /**
   * Loads the reference once; `diff` then loads only the lake under test. `excludeRemittanceColumns`
   * leaves more remittance columns out of the comparison (e.g. `source_key` when the same bytes
   * arrived under another name).
   */
  static async open(reference: string, excludeRemittanceColumns: string[] = []): Promise<LakeComparer> {
    const db = await openDuckDb({ threads: 1 });
    await loadLake(db, 'ref', reference, excludeRemittanceColumns);
    return new LakeComparer(db, excludeRemittanceColumns);
  }

  /**
   * Compares what readers see of a lake (lakeViews: compacted ∪ staged-not-yet-compacted, committed
   * only) with the reference, both ways with EXCEPT ALL. Both numbers are 0 when nothing is lost
   * or doubled.
   */
  async diffVisible(
    lake: string,
  ): Promise<{ extra: Record<LakeTable, number>; missing: Record<LakeTable, number> }> {
    const db = this.db;
    const reads = readLakeReads(lake);
    const zero = () => ({ remittances: 0, claims: 0, adjustments: 0 });
    const out = { extra: zero(), missing: zero() };
    for (const t of LAKE_TABLES) {
      const select =
        t === 'remittances'
          ? `SELECT * EXCLUDE (${['ingested_at', ...this.exclude].join(', ')})`
          : 'SELECT *';
      await db.run(`CREATE OR REPLACE TABLE vis_${t} AS ${select} FROM (${lakeTableSql(lake, t, reads)})`);
      out.extra[t] = await count(db, `SELECT * FROM vis_${t} EXCEPT ALL SELECT * FROM ref_${t}`);
      out.missing[t] = await count(db, `SELECT * FROM ref_${t} EXCEPT ALL SELECT * FROM vis_${t}`);
    }
    return out;
  }

  async diff(lake: string): Promise<LakeDiff> {
    const db = this.db;
    await loadLake(db, 'cur', lake, this.exclude);
    const zero = () => ({ remittances: 0, claims: 0, adjustments: 0 });
    const diff: LakeDiff = {
      extra: zero(),
      missingOfCommitted: zero(),
      missing: zero(),
      extraRaw: zero(),
      orphans: 0,
      committed: await count(db, 'SELECT * FROM cur_remittances'),
      referenceRemittances: await count(db, 'SELECT * FROM ref_remittances'),
    };
    for (const t of LAKE_TABLES) {
      diff.extra[t] = await count(db, `SELECT * FROM cur_${t} EXCEPT ALL SELECT * FROM ref_${t}`);
      diff.missing[t] = await count(db, `SELECT * FROM ref_${t} EXCEPT ALL SELECT * FROM cur_${t}`);
      diff.missingOfCommitted[t] = await count(
        db,
        `SELECT * FROM ref_${t} WHERE remit_id IN (SELECT remit_id FROM cur_remittances)
         EXCEPT ALL SELECT * FROM cur_${t}`,
      );
      diff.extraRaw[t] = await count(db, `SELECT * FROM cur_${t}_raw EXCEPT ALL SELECT * FROM ref_${t}_raw`);
    }
    for (const t of ['claims', 'adjustments']) {
      diff.orphans += await count(
        db,
        `SELECT * FROM cur_${t}_raw WHERE remit_id NOT IN (SELECT remit_id FROM cur_remittances)`,
      );
    }
    return diff;
  }

  close(): void {
    this.db.closeSync();
  }
}

/** Object keys of the lake tables (relative paths of every file under remittances/, claims/, adjustments/). */
export function lakeObjectKeys(lake: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name), `${rel}${e.name}/`);
      else out.push(`${rel}${e.name}`);
    }
  };
  for (const t of LAKE_TABLES) walk(join(lake, t), `${t}/`);
  return out.sort();
}

/**
 * What is wrong with the layout of a lake that a compaction finished: staged Parquet files left,
 * a partition with more than one manifest, a compacted file no current manifest names (or one
 * named but missing), the lease left behind. Empty when the lake is fully compacted.
 */
export function compactedLayoutProblems(lake: string): string[] {
  const problems: string[] = [];
  const all: string[] = [];
  const walk = (dir: string, rel: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name === '.tmp' || e.name === '.staging') continue;
      if (e.isDirectory()) walk(join(dir, e.name), `${rel}${e.name}/`);
      else all.push(`${rel}${e.name}`);
    }
  };
  walk(lake, '');
  for (const key of all) if (parseStagedKey(key) !== null) problems.push(`staged file left: ${key}`);
  const manifests = all.filter((k) => k.startsWith('compacted/_manifests/'));
  const current = currentManifestKeys(manifests);
  if (current.size !== manifests.length)
    problems.push(`${manifests.length - current.size} superseded manifest(s) left`);
  const named = new Set<string>();
  for (const { key } of current.values()) {
    const m = parseManifest(readFileSync(join(lake, key), 'utf8'), key);
    for (const t of LAKE_TABLES) for (const f of m.files[t]) named.add(f.key);
  }
  for (const key of all)
    if (key.startsWith('compacted/') && key.endsWith('.parquet') && !named.has(key))
      problems.push(`compacted file no manifest names: ${key}`);
  for (const key of named) if (!all.includes(key)) problems.push(`named but missing: ${key}`);
  if (all.includes(COMPACTION_LOCK)) problems.push('the compaction lease was left behind');
  return problems;
}
