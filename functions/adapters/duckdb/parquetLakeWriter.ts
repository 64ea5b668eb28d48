import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  type Column,
  duckdbType,
  LAKE_TABLES,
  type LakeTable,
  lakeObjectKey,
  tableColumns,
} from '../../core/lake/schema.ts';
import { formatCents } from '../../core/money.ts';
import type { NormalizedRemit } from '../../core/types.ts';
import type { ObjectStore } from '../../ports/objectStore.ts';
import { sqlString } from './openDuckDb.ts';

/** Field separator of the staging files: a control character that X12 text never carries. */
const SEP = '\x1f';
/** Buffered staging text per table before it is written to disk. */
const FLUSH_CHARS = 4 * 1024 * 1024;
/** Remittances per partitioned COPY: DuckDB keeps one open writer per partition, so this bounds memory. */
const REMITS_PER_COPY = 500;

/** A position in a batch to roll back to when a file turns out to be unreadable half way. */
export interface BatchMark {
  offsets: Record<LakeTable, { flushed: number; pending: number }>;
  remits: number;
}

/** What a commit wrote. */
export interface CommitResult {
  /** Remittances newly written to the lake. */
  written: { remitId: string; payerId: string; paymentMonth: string }[];
  /** Remittances already in the lake (a re-delivered file), skipped. */
  duplicates: number;
  /** Lake objects written. */
  objects: number;
}

interface StagedRemit {
  remitId: string;
  payerId: string;
  paymentMonth: string;
}

class TableStage {
  readonly path: string;
  private readonly fd: number;
  private pending: string[] = [];
  private pendingChars = 0;
  private flushed = 0;
  private readonly serialize: (row: Record<string, unknown>) => string;

  constructor(
    dir: string,
    readonly table: LakeTable,
  ) {
    this.path = join(dir, `${table}.txt`);
    this.fd = openSync(this.path, 'w');
    this.serialize = rowSerializer(tableColumns(table));
  }

  add(row: object): void {
    const line = this.serialize(row as Record<string, unknown>);
    this.pending.push(line);
    this.pendingChars += line.length;
    if (this.pendingChars > FLUSH_CHARS) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.flushed += writeSync(this.fd, text, null, 'utf8');
    this.pending = [];
    this.pendingChars = 0;
  }

  mark(): { flushed: number; pending: number } {
    return { flushed: this.flushed, pending: this.pending.length };
  }

  rollback(mark: { flushed: number; pending: number }): void {
    if (this.flushed > mark.flushed) {
      ftruncateSync(this.fd, mark.flushed);
      this.flushed = mark.flushed;
      this.pending = [];
    } else {
      this.pending.length = mark.pending;
    }
    this.pendingChars = this.pending.reduce((n, line) => n + line.length, 0);
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/**
 * Writes normalized remittances to the Parquet lake through an object store.
 * Rows are staged on local disk as they arrive (so a 500 MB file never sits in memory), then
 * `commit` turns them into one Parquet file per remittance and table with DuckDB and puts the
 * files in the store: claims and adjustments first, the remittance file last. A remittance is
 * visible only once its remittance file exists, so a killed ingest leaves nothing half-visible,
 * and a remittance already in the lake is skipped: re-delivering a file changes nothing.
 */
export class ParquetLakeWriter {
  private dir: string;
  private stages: Record<LakeTable, TableStage>;
  private remits: StagedRemit[] = [];
  private seen = new Set<string>();
  private batchDuplicates = 0;

  constructor(
    private readonly db: DuckDBConnection,
    private readonly store: ObjectStore,
    private readonly scratch: string = tmpdir(),
  ) {
    this.dir = mkdtempSync(join(this.scratch, 'recoup-stage-'));
    this.stages = this.openStages();
  }

  /** Remittances staged in the current batch. */
  get stagedCount(): number {
    return this.remits.length;
  }

  /** Stages one remittance; returns false when the same remittance is already in this batch. */
  add(remit: NormalizedRemit): boolean {
    const r = remit.remittance;
    if (this.seen.has(r.remit_id)) {
      this.batchDuplicates++;
      return false;
    }
    this.seen.add(r.remit_id);
    this.remits.push({ remitId: r.remit_id, payerId: r.payer_id, paymentMonth: r.payment_month });
    this.stages.remittances.add(r);
    for (const c of remit.claims) this.stages.claims.add(c);
    for (const a of remit.adjustments) this.stages.adjustments.add(a);
    return true;
  }

  mark(): BatchMark {
    return {
      offsets: {
        remittances: this.stages.remittances.mark(),
        claims: this.stages.claims.mark(),
        adjustments: this.stages.adjustments.mark(),
      },
      remits: this.remits.length,
    };
  }

  /** Forgets everything staged since the mark (the rest of the batch stays). */
  rollback(mark: BatchMark): void {
    for (const table of LAKE_TABLES) this.stages[table].rollback(mark.offsets[table]);
    for (const r of this.remits.splice(mark.remits)) this.seen.delete(r.remitId);
  }

  /** Writes the staged batch to the lake and starts a new batch. */
  async commit(): Promise<CommitResult> {
    for (const table of LAKE_TABLES) this.stages[table].close();
    const staged = this.remits;
    const result: CommitResult = { written: [], duplicates: this.batchDuplicates, objects: 0 };
    try {
      const fresh: StagedRemit[] = [];
      for (const r of staged) {
        if (await this.store.exists(lakeObjectKey('remittances', r.payerId, r.paymentMonth, r.remitId))) {
          result.duplicates++;
        } else {
          fresh.push(r);
        }
      }
      if (fresh.length > 0) {
        const out = join(this.dir, 'out');
        await this.toParquet(fresh, out);
        for (const table of ['adjustments', 'claims', 'remittances'] as const) {
          for (const r of fresh) {
            const local = join(
              out,
              table,
              `payer_id=${r.payerId}`,
              `payment_month=${r.paymentMonth}`,
              `__remit=${r.remitId}`,
              'data_0.parquet',
            );
            if (!existsSync(local)) continue;
            await this.store.putFile(lakeObjectKey(table, r.payerId, r.paymentMonth, r.remitId), local);
            result.objects++;
          }
        }
        result.written = fresh;
      }
    } finally {
      this.reset();
    }
    return result;
  }

  /** Removes the staging folder. The writer cannot be used afterwards. */
  close(): void {
    for (const table of LAKE_TABLES) {
      try {
        this.stages[table].close();
      } catch {
        // already closed by commit
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async toParquet(fresh: StagedRemit[], out: string): Promise<void> {
    const db = this.db;
    await db.run(`SET partitioned_write_max_open_files = ${REMITS_PER_COPY * 4}`);
    await db.run('CREATE OR REPLACE TEMP TABLE recoup_fresh (remit_id VARCHAR, chunk INTEGER)');
    const appender = await db.createAppender('recoup_fresh', 'main', 'temp');
    fresh.forEach((r, i) => {
      appender.appendVarchar(r.remitId);
      appender.appendInteger(Math.floor(i / REMITS_PER_COPY));
      appender.endRow();
    });
    appender.closeSync();
    const chunks = Math.ceil(fresh.length / REMITS_PER_COPY);
    mkdirSync(out, { recursive: true });
    for (const table of LAKE_TABLES) {
      const columns = tableColumns(table);
      const spec = columns.map((c) => `${sqlString(c.name)}: ${sqlString(duckdbType(c.type))}`).join(', ');
      await db.run(
        `CREATE OR REPLACE TEMP TABLE recoup_stage AS
         SELECT s.*, f.chunk AS __chunk
         FROM read_csv(${sqlString(this.stages[table].path)}, delim=${sqlString(SEP)}, quote='', escape='',
                       header=false, auto_detect=false, nullstr='', columns={${spec}}) s
         JOIN recoup_fresh f USING (remit_id)`,
      );
      const fileColumns = columns.filter((c) => c.partition !== true).map((c) => `"${c.name}"`);
      for (let chunk = 0; chunk < chunks; chunk++) {
        await db.run(
          `COPY (SELECT ${fileColumns.join(', ')}, payer_id, payment_month, remit_id AS __remit
                 FROM recoup_stage WHERE __chunk = ${chunk})
           TO ${sqlString(join(out, table))}
           (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (payer_id, payment_month, __remit), OVERWRITE_OR_IGNORE)`,
        );
      }
    }
    await db.run('DROP TABLE IF EXISTS recoup_stage');
  }

  private reset(): void {
    rmSync(this.dir, { recursive: true, force: true });
    this.dir = mkdtempSync(join(this.scratch, 'recoup-stage-'));
    this.stages = this.openStages();
    this.remits = [];
    this.seen = new Set();
    this.batchDuplicates = 0;
  }

  private openStages(): Record<LakeTable, TableStage> {
    return {
      remittances: new TableStage(this.dir, 'remittances'),
      claims: new TableStage(this.dir, 'claims'),
      adjustments: new TableStage(this.dir, 'adjustments'),
    };
  }
}

/** Builds a function that renders a row as one staging line (fields in schema order). */
function rowSerializer(columns: Column<Record<string, unknown>>[]): (row: Record<string, unknown>) => string {
  return (row) => {
    let line = '';
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i] as Column<Record<string, unknown>>;
      const value = row[column.name];
      if (i > 0) line += SEP;
      if (value === null || value === undefined) continue;
      switch (column.type) {
        case 'money':
          line += formatCents(value as number);
          break;
        case 'varchar': {
          const text = value as string;
          line += /[\x1f\r\n]/.test(text) ? text.replace(/[\x1f\r\n]/g, ' ') : text;
          break;
        }
        default:
          line += String(value);
      }
    }
    return `${line}\n`;
  };
}
