import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  currentManifestKeys,
  MANIFESTS_DIR,
  type Partition,
  parseManifest,
  parseStagedKey,
  partitionId,
  partitionPath,
  remitKeyOf,
  stagedPrefix,
} from '../core/lake/compactedLayout.ts';
import { encodeRemitFiles } from '../core/lake/remitFiles.ts';
import { LAKE_TABLES, type LakeTable, lakeObjectKey } from '../core/lake/schema.ts';
import { mapLimit } from '../core/mapLimit.ts';
import type { RemitColumns } from '../core/types.ts';
import type { BatchMark, CommitResult, LakeWriter } from '../ports/lakeWriter.ts';
import { listKeys, type ObjectStore } from '../ports/objectStore.ts';

interface StagedRemit {
  remitId: string;
  remitKey: string;
  payerId: string;
  paymentMonth: string;
  /** Remittances of this run staged before this one with the same remit_key (other content). */
  sameKeyBefore: string[];
  /** Encoded file per table, in memory or spilled to a local path; absent when the table has no rows. */
  files: Partial<Record<LakeTable, Buffer | string>>;
}

/** A batch taken for commit: its remittances, and the folder its spilled files are in (if any). */
interface Batch {
  remits: StagedRemit[];
  duplicates: number;
  spillDir: string | null;
}

/** Object writes (and existence checks) in flight at once during a commit. */
const PUT_CONCURRENCY = 16;

/** Encoded bytes kept in memory per batch before further files spill to local disk. */
const MEMORY_BUDGET = 128 * 1024 * 1024;

/**
 * Writes normalized remittances to the Parquet lake through an object store: one Parquet file
 * per remittance and table at `<table>/payer_id=…/payment_month=…/<remit_id>.parquet`.
 * Files are encoded as each remittance arrives and kept in memory (past a budget, staged on
 * local disk: a 500 MB input never sits in memory); `commit` puts claims and adjustments first
 * and the remittance file last. A remittance is visible only once its remittance file exists, so
 * a killed ingest leaves nothing half-visible; a remittance already in the lake, or already
 * staged in this run, is skipped, so re-delivering a file changes nothing.
 *
 * `commit` takes the staged batch at once, so the next remittances can be staged while it writes:
 * an ingest commits file after file without waiting for the lake.
 */
export class ParquetLakeWriter implements LakeWriter {
  private spillDir: string | null = null;
  private remits: StagedRemit[] = [];
  /** Every remittance staged by this writer (committed or not): repeats are duplicates. */
  private readonly seen = new Set<string>();
  /** remit_key → remit_ids staged by this writer, in order. */
  private readonly seenKeys = new Map<string, string[]>();
  /** remit_ids of compacted generations by manifest key (a manifest never changes once written). */
  private readonly manifestIds = new Map<string, Set<string>>();
  private batchDuplicates = 0;
  private buffered = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly scratch: string = tmpdir(),
  ) {
    mkdirSync(this.scratch, { recursive: true });
    sweepStaleStages(this.scratch);
  }

  /** Stages one remittance; returns false when the same remittance was already staged. */
  add(remit: RemitColumns): boolean {
    const r = remit.remittance;
    if (this.seen.has(r.remit_id)) {
      this.batchDuplicates++;
      return false;
    }
    this.seen.add(r.remit_id);
    const remitKey = (r as { remit_key?: string }).remit_key ?? remitKeyOf(r.remit_id);
    const sameKey = this.seenKeys.get(remitKey);
    const staged: StagedRemit = {
      remitId: r.remit_id,
      remitKey,
      payerId: r.payer_id,
      paymentMonth: r.payment_month,
      sameKeyBefore: sameKey === undefined ? [] : [...sameKey],
      files: {},
    };
    if (sameKey === undefined) this.seenKeys.set(remitKey, [r.remit_id]);
    else sameKey.push(r.remit_id);
    const encoded = encodeRemitFiles(remit);
    for (const table of LAKE_TABLES) {
      const bytes = encoded[table];
      if (bytes === undefined) continue;
      if (this.buffered + bytes.length <= MEMORY_BUDGET) {
        // Kept in memory: committing it then creates exactly one file (creating files is the cost).
        staged.files[table] = bytes;
        this.buffered += bytes.length;
      } else {
        this.spillDir ??= mkdtempSync(join(this.scratch, 'stage-'));
        const path = join(this.spillDir, `${this.remits.length}-${table}.parquet`);
        writeFileSync(path, bytes);
        staged.files[table] = path;
      }
    }
    this.remits.push(staged);
    return true;
  }

  mark(): BatchMark {
    return this.remits.length;
  }

  /** Forgets everything staged since the mark (the rest of the batch stays). */
  rollback(mark: BatchMark): void {
    for (const r of this.remits.splice(mark)) {
      this.seen.delete(r.remitId);
      const sameKey = this.seenKeys.get(r.remitKey);
      if (sameKey !== undefined) {
        sameKey.splice(sameKey.indexOf(r.remitId), 1);
        if (sameKey.length === 0) this.seenKeys.delete(r.remitKey);
      }
      for (const file of Object.values(r.files)) {
        if (typeof file === 'string') rmSync(file, { force: true });
        else this.buffered -= file.length;
      }
    }
  }

  /** Writes the staged batch to the lake; the writer starts a new batch at once. */
  async commit(): Promise<CommitResult> {
    const batch: Batch = { remits: this.remits, duplicates: this.batchDuplicates, spillDir: this.spillDir };
    this.remits = [];
    this.batchDuplicates = 0;
    this.buffered = 0;
    this.spillDir = null;
    try {
      return await this.write(batch);
    } finally {
      if (batch.spillDir !== null) rmSync(batch.spillDir, { recursive: true, force: true });
    }
  }

  private async write(batch: Batch): Promise<CommitResult> {
    const result: CommitResult = { written: [], duplicates: batch.duplicates, objects: 0, keyConflicts: [] };
    // What the lake holds in each partition the batch writes to, staged or compacted.
    const partitions = new Map<string, Partition>();
    for (const r of batch.remits) partitions.set(partitionId(r), r);
    const held = new Map<string, Map<string, string[]>>();
    await mapLimit([...partitions], PUT_CONCURRENCY, async ([id, p]) => {
      held.set(id, byRemitKey(await this.lakeRemitIds(p)));
    });
    const fresh: StagedRemit[] = [];
    for (const r of batch.remits) {
      const sameKey = held.get(partitionId(r))?.get(r.remitKey) ?? [];
      // A remittance staged by an older recoup is named by its key alone: the same key is the same
      // remittance to it (it dropped other content under that key), so nothing is doubled.
      if (sameKey.includes(r.remitId) || sameKey.includes(r.remitKey)) {
        result.duplicates++;
        continue;
      }
      fresh.push(r);
      // Same key, other content: kept, and named (in the lake, or earlier in this run).
      const others = [...new Set([...sameKey, ...r.sameKeyBefore])].filter((id) => id !== r.remitId).sort();
      if (others.length > 0)
        result.keyConflicts.push({ remitId: r.remitId, remitKey: r.remitKey, existing: others });
    }
    // Two phases: every claims and adjustments file first, then the remittance files that make
    // them visible.
    const phases = [['adjustments', 'claims'], ['remittances']] as const;
    const puts: { key: string; local: Buffer | string }[][] = phases.map((tables) => {
      const out: { key: string; local: Buffer | string }[] = [];
      for (const r of fresh) {
        for (const table of tables) {
          const local = r.files[table];
          if (local !== undefined)
            out.push({ key: lakeObjectKey(table, r.payerId, r.paymentMonth, r.remitId), local });
        }
      }
      return out;
    });
    const all = puts.flat();
    const store = this.store;
    if (store.putInOrder !== undefined && all.every((p) => typeof p.local !== 'string')) {
      // One ordered batch: the store writes the phases in order beside the caller's work.
      await store.putInOrder(all.map((p) => ({ key: p.key, body: p.local as Buffer })));
    } else {
      // Within a phase, puts run concurrently (S3 latency, not bandwidth, is the cost).
      for (const phase of puts) {
        await mapLimit(phase, PUT_CONCURRENCY, async ({ key, local }) => {
          if (typeof local !== 'string') await store.put(key, local);
          else if (store.moveFile) await store.moveFile(key, local);
          else await store.putFile(key, local);
        });
      }
    }
    result.objects = all.length;
    result.written = fresh.map(({ remitId, payerId, paymentMonth }) => ({ remitId, payerId, paymentMonth }));
    return result;
  }

  /**
   * remit_ids a partition holds: its committed staged remittances, then those of its current
   * compacted generation. In that order: compaction writes a manifest before it removes the staged
   * files it holds, so a staged file gone by the time of the listing is in the manifest read after.
   */
  private async lakeRemitIds(p: Partition): Promise<string[]> {
    const ids: string[] = [];
    for (const key of await listKeys(this.store, stagedPrefix('remittances', p))) {
      const s = parseStagedKey(key);
      if (s !== null) ids.push(s.remitId);
    }
    const manifests = await listKeys(this.store, `${MANIFESTS_DIR}/${partitionPath(p)}/`);
    for (const { key } of currentManifestKeys(manifests).values()) {
      let compacted = this.manifestIds.get(key);
      if (compacted === undefined) {
        const text = new TextDecoder().decode(await this.store.get(key));
        compacted = new Set(parseManifest(text, key).remit_ids);
        this.manifestIds.set(key, compacted);
      }
      for (const id of compacted) ids.push(id);
    }
    return ids;
  }

  /** Removes the staging folder. */
  close(): void {
    if (this.spillDir !== null) rmSync(this.spillDir, { recursive: true, force: true });
    this.spillDir = null;
  }
}

/** remit_ids grouped by their remit_key. */
function byRemitKey(ids: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const id of ids) {
    const key = remitKeyOf(id);
    const list = out.get(key);
    if (list === undefined) out.set(key, [id]);
    else list.push(id);
  }
  return out;
}

/** A staging folder this old was left by a killed ingest: a live one lasts one commit. */
const STALE_STAGE_MS = 60 * 60 * 1000;

function sweepStaleStages(scratch: string): void {
  const now = Date.now();
  for (const name of readdirSync(scratch)) {
    if (!name.startsWith('stage-')) continue;
    const info = statSync(join(scratch, name), { throwIfNoEntry: false });
    if (info?.isDirectory() && now - info.mtimeMs > STALE_STAGE_MS)
      rmSync(join(scratch, name), { recursive: true, force: true });
  }
}
