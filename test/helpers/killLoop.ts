import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { openDuckDb, sqlString } from '../../functions/adapters/duckdb/openDuckDb.ts';
import { duckdbType, LAKE_TABLES, type LakeTable, tableColumns } from '../../functions/core/lake/schema.ts';
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
  const started = performance.now();
  const child: ChildProcess = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'recoup.js'), 'ingest', ...paths, '--lake', lake, '--json'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
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
