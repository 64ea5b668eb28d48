import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  COMPACTED_DIR,
  COMPACTION_LOCK,
  type CompactedFile,
  type CompactionManifest,
  compactedFileKey,
  compactedKeyGeneration,
  currentManifestKeys,
  MANIFESTS_DIR,
  manifestKey,
  type Partition,
  parseManifest,
  parseManifestKey,
  parseStagedKey,
  partitionId,
  splitPartitionKey,
} from '../../core/lake/compactedLayout.ts';
import { FILE_COLUMNS } from '../../core/lake/remitFiles.ts';
import { duckdbType, LAKE_TABLES, type LakeTable } from '../../core/lake/schema.ts';
import { mapLimit } from '../../core/mapLimit.ts';
import { buildResources } from '../../models/buildResources.ts';
import { listKeys, type ObjectStore } from '../../ports/objectStore.ts';
import { sqlIdent, sqlString } from '../../ports/warehouse.ts';
import { openDuckDb } from './openDuckDb.ts';

export interface CompactProgress {
  partitionsDone: number;
  partitionsTotal: number;
  partition: string;
}

export interface CompactOptions {
  lake: ObjectStore;
  /** Local scratch folder (downloads and DuckDB's output); default the OS temp folder. */
  scratch?: string;
  now?: Date;
  onProgress?: (progress: CompactProgress) => void;
  /** Target size of one compacted file (DuckDB's FILE_SIZE_BYTES); default 256 MB. */
  fileSizeBytes?: number;
  /** DuckDB threads (default: DuckDB's own choice). */
  threads?: number;
  /**
   * DuckDB's memory limit, beyond which it spills to its temp folder (default: a build's,
   * RECOUP_DUCKDB_MEMORY else 1.5GB; without one DuckDB takes 80% of the machine's memory).
   */
  memoryLimit?: string;
  /** How long a lease on the lake lasts before another compactor may take it over (default 15 min). */
  leaseMs?: number;
  /** Test hook: runs after a generation's files are written, before its manifest makes them current. */
  beforeSwitch?: (partition: Partition) => Promise<void>;
}

export interface CompactSummary {
  /** Partitions that held staged files or superseded compacted ones. */
  partitions: number;
  /** Partitions that got a new generation. */
  partitions_compacted: number;
  /** Remittances moved from staged files into compacted ones. */
  remittances_compacted: number;
  /** Rows of the new generations, per table (old generations' rows included: they are rewritten). */
  rows_written: Record<LakeTable, number>;
  /** Staged objects read (their bytes) and compacted objects written (theirs). */
  staged_files_read: number;
  staged_bytes_read: number;
  compacted_files_written: number;
  compacted_bytes_written: number;
  /** Objects removed: staged copies of compacted remittances, superseded generations and manifests. */
  staged_files_removed: number;
  superseded_files_removed: number;
  seconds: number;
}

/** Compaction could not start: another one holds the lake's lease. */
export class CompactionBusyError extends Error {
  constructor(readonly holder: Lease) {
    super(
      `another compaction holds the lake (pid ${holder.pid} on ${holder.host}, since ${holder.started_at}; ` +
        `its lease ends ${holder.expires_at})`,
    );
    this.name = 'CompactionBusyError';
  }
}

interface Lease {
  token: string;
  pid: number;
  host: string;
  started_at: string;
  expires_at: string;
}

/** Objects deleted in flight at once. */
const DELETE_CONCURRENCY = 16;
const DEFAULT_FILE_SIZE = 256 * 1000 * 1000;
const DEFAULT_LEASE_MS = 15 * 60 * 1000;

/**
 * Merges the staged per-remittance files into a few zstd Parquet files per (table, payer_id,
 * payment_month), partition by partition, through the object-store port (a folder or S3):
 *
 * 1. The partition's current manifest (highest generation) and its staged remittances files are
 *    listed, in that order of trust: a staged remittance whose remit_id the manifest holds is a
 *    copy, never compacted twice.
 * 2. DuckDB reads the current generation's files and the new staged remittances (their
 *    remittances, claims and adjustments files, named one by one) and writes each table with
 *    COPY … (FORMAT parquet, COMPRESSION zstd), sorted by remit_id (adjustments: CAS rows, then
 *    PLB pairs), with min/max statistics.
 * 3. The files are put under new names (generation + run id), then the manifest of the next
 *    generation: that one write makes them current, atomically (readers take the highest).
 * 4. Only then are the staged files of the compacted remittances removed (claims and
 *    adjustments before remittances), then the superseded generation's files and manifests, and
 *    compacted files no manifest names (left by a killed compaction).
 *
 * A kill at any point leaves either the old generation current (the new files unreferenced) or
 * the new one (staged copies hidden by the manifest); the next run finishes the cleanup. Ingest
 * may run meanwhile: a remittance committed after step 1 is not listed, so it stays staged and
 * visible. One compaction at a time: a lease object (compacted/_lock.json) keeps a second out.
 */
export async function compactLake(options: CompactOptions): Promise<CompactSummary> {
  const started = performance.now();
  const store = options.lake;
  const now = options.now ?? new Date();
  const summary: CompactSummary = {
    partitions: 0,
    partitions_compacted: 0,
    remittances_compacted: 0,
    rows_written: { remittances: 0, claims: 0, adjustments: 0 },
    staged_files_read: 0,
    staged_bytes_read: 0,
    compacted_files_written: 0,
    compacted_bytes_written: 0,
    staged_files_removed: 0,
    superseded_files_removed: 0,
    seconds: 0,
  };
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const lease = await acquireLease(store, leaseMs);
  const scratchRoot = options.scratch ?? tmpdir();
  mkdirSync(scratchRoot, { recursive: true });
  sweepStaleScratch(scratchRoot);
  const scratch = join(scratchRoot, `compact-${process.pid}-${lease.token.slice(0, 8)}`);
  mkdirSync(scratch, { recursive: true });
  let db: DuckDBConnection | null = null;
  try {
    // Manifests first, then staged files: a staged file removed after the listing was compacted
    // into a manifest we already read or one written since (which this run will not overwrite:
    // the lease keeps other compactors out).
    const manifestKeys = await listKeys(store, `${MANIFESTS_DIR}/`);
    const compactedKeys = (await listKeys(store, `${COMPACTED_DIR}/`)).filter(
      (k) => !k.startsWith(`${MANIFESTS_DIR}/`) && compactedKeyGeneration(k) !== null,
    );
    const staged: Record<LakeTable, string[]> = { remittances: [], claims: [], adjustments: [] };
    for (const table of LAKE_TABLES) staged[table] = await listKeys(store, `${table}/`);

    // Everything listed, grouped by partition once.
    interface Listed {
      partition: Partition;
      staged: Record<LakeTable, string[]>;
      compacted: string[];
      manifests: string[];
    }
    const partitions = new Map<string, Listed>();
    const at = (p: Partition): Listed => {
      const id = partitionId(p);
      let listed = partitions.get(id);
      if (listed === undefined) {
        listed = {
          partition: { payerId: p.payerId, paymentMonth: p.paymentMonth },
          staged: { remittances: [], claims: [], adjustments: [] },
          compacted: [],
          manifests: [],
        };
        partitions.set(id, listed);
      }
      return listed;
    };
    for (const table of LAKE_TABLES)
      for (const key of staged[table]) {
        const s = parseStagedKey(key);
        if (s !== null) at(s).staged[table].push(key);
      }
    const current = currentManifestKeys(manifestKeys);
    for (const key of manifestKeys) {
      const m = parseManifestKey(key);
      if (m === null) continue;
      // A partition whose only manifest is current and that has nothing staged needs no work.
      if (current.get(partitionId(m))?.generation !== m.generation) at(m).manifests.push(key);
      else partitions.get(partitionId(m))?.manifests.push(key);
    }
    for (const key of compactedKeys) {
      const p = splitPartitionKey(key.slice(key.indexOf('/', COMPACTED_DIR.length + 1) + 1));
      if (p !== null) at(p).compacted.push(key);
    }

    const ordered = [...partitions.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    summary.partitions = ordered.length;
    for (const [i, [id, listed]] of ordered.entries()) {
      const partition = listed.partition;
      options.onProgress?.({ partitionsDone: i, partitionsTotal: ordered.length, partition: id });
      const stagedHere = listed.staged;
      const currentKey = current.get(id);
      const manifest =
        currentKey === undefined
          ? null
          : parseManifest(new TextDecoder().decode(await store.get(currentKey.key)), currentKey.key);
      const compactedIds = new Set(manifest?.remit_ids ?? []);
      const stagedIds = stagedHere.remittances
        .map((k) => parseStagedKey(k)?.remitId)
        .filter((r): r is string => r !== undefined);
      const fresh = stagedIds.filter((r) => !compactedIds.has(r));

      let live = manifest;
      if (fresh.length > 0) {
        db ??= await openDuckDb({
          memoryLimit: options.memoryLimit ?? buildResources().memoryLimit,
          ...(options.threads !== undefined ? { threads: options.threads } : {}),
        });
        live = await writeGeneration({
          db,
          store,
          partition,
          previous: manifest,
          fresh,
          stagedHere,
          scratch,
          now,
          fileSizeBytes: options.fileSizeBytes ?? DEFAULT_FILE_SIZE,
          summary,
          beforeSwitch: options.beforeSwitch,
        });
        summary.partitions_compacted++;
        summary.remittances_compacted += fresh.length;
      }
      if (live === null) {
        // Never compacted: files of a killed first compaction are unreferenced garbage.
        await mapLimit(listed.compacted, DELETE_CONCURRENCY, (k) => store.delete(k));
        summary.superseded_files_removed += listed.compacted.length;
        continue;
      }

      // Staged copies of compacted remittances: claims and adjustments first, the remittances
      // file last (while it exists, the next run finds the partition and finishes the job).
      const liveIds = new Set(live.remit_ids);
      const copies: string[] = [];
      for (const table of ['adjustments', 'claims', 'remittances'] as const) {
        for (const key of stagedHere[table]) {
          const s = parseStagedKey(key);
          if (s !== null && liveIds.has(s.remitId)) copies.push(key);
        }
      }
      // In two steps, so no remittances file goes before the claims it made visible.
      const firstRemit = copies.findIndex((k) => k.startsWith('remittances/'));
      const head = firstRemit < 0 ? copies : copies.slice(0, firstRemit);
      const tail = firstRemit < 0 ? [] : copies.slice(firstRemit);
      await mapLimit(head, DELETE_CONCURRENCY, (k) => store.delete(k));
      await mapLimit(tail, DELETE_CONCURRENCY, (k) => store.delete(k));
      summary.staged_files_removed += copies.length;

      // Superseded generations: files no current manifest names, then older manifests.
      const referenced = new Set(LAKE_TABLES.flatMap((t) => live.files[t].map((f) => f.key)));
      // Under the lease no other compactor writes, so every unreferenced file is garbage.
      const stale = listed.compacted.filter((k) => !referenced.has(k));
      await mapLimit(stale, DELETE_CONCURRENCY, (k) => store.delete(k));
      const oldManifests = listed.manifests.filter(
        (k) => (parseManifestKey(k)?.generation ?? 0) < live.generation,
      );
      await mapLimit(oldManifests, DELETE_CONCURRENCY, (k) => store.delete(k));
      summary.superseded_files_removed += stale.length + oldManifests.length;
      await renewLease(store, lease, leaseMs);
    }
    options.onProgress?.({ partitionsDone: ordered.length, partitionsTotal: ordered.length, partition: '' });
  } finally {
    db?.closeSync();
    rmSync(scratch, { recursive: true, force: true });
    await releaseLease(store, lease);
  }
  summary.seconds = Math.round(performance.now() - started) / 1000;
  return summary;
}

interface GenerationInput {
  db: DuckDBConnection;
  store: ObjectStore;
  partition: Partition;
  previous: CompactionManifest | null;
  fresh: string[];
  stagedHere: Record<LakeTable, string[]>;
  scratch: string;
  now: Date;
  fileSizeBytes: number;
  summary: CompactSummary;
  beforeSwitch: CompactOptions['beforeSwitch'];
}

/** Writes the next generation of a partition: its files, then its manifest. Returns the manifest. */
async function writeGeneration(input: GenerationInput): Promise<CompactionManifest> {
  const { db, store, partition, previous, fresh, stagedHere, scratch, summary } = input;
  const generation = (previous?.generation ?? 0) + 1;
  const run = randomBytes(4).toString('hex');
  const freshSet = new Set(fresh);
  const work = join(scratch, `g${generation}-${run}`);
  mkdirSync(work, { recursive: true });
  const files = { remittances: [], claims: [], adjustments: [] } as Record<LakeTable, CompactedFile[]>;
  let fetched = 0;
  /** A local path of an object: the object itself in a folder store, else a downloaded copy. */
  const local = async (key: string): Promise<string> => {
    if (store.localPath !== undefined) return store.localPath(key);
    const path = join(work, 'in', `${fetched++}.parquet`);
    await store.download(key, path);
    return path;
  };
  try {
    for (const table of LAKE_TABLES) {
      const stagedKeys = stagedHere[table].filter((k) => {
        const s = parseStagedKey(k);
        return s !== null && freshSet.has(s.remitId);
      });
      const inputs = [...(previous?.files[table].map((f) => f.key) ?? []), ...stagedKeys];
      if (inputs.length === 0) continue;
      const paths = await mapLimit(inputs, DELETE_CONCURRENCY, local);
      for (const path of paths.slice(inputs.length - stagedKeys.length)) {
        summary.staged_files_read++;
        summary.staged_bytes_read += statSync(path).size;
      }
      const out = join(work, table);
      const rows = await copyTable(db, table, paths, out, input.fileSizeBytes);
      if (table === 'remittances')
        await checkRemittances(db, out, (previous?.remit_ids.length ?? 0) + fresh.length);
      summary.rows_written[table] += rows;
      const produced = readdirSync(out)
        .filter((n) => n.endsWith('.parquet'))
        .sort();
      for (const [n, name] of produced.entries()) {
        const path = join(out, name);
        const key = compactedFileKey(table, partition, generation, run, n);
        const bytes = statSync(path).size;
        const fileRows = produced.length === 1 ? rows : await countRows(db, path);
        if (store.moveFile !== undefined) await store.moveFile(key, path);
        else await store.putFile(key, path);
        files[table].push({ key, rows: fileRows, bytes });
        summary.compacted_files_written++;
        summary.compacted_bytes_written += bytes;
      }
    }
    const manifest: CompactionManifest = {
      format: 1,
      generation,
      payer_id: partition.payerId,
      payment_month: partition.paymentMonth,
      created_at: input.now.toISOString(),
      files,
      remit_ids: [...(previous?.remit_ids ?? []), ...fresh].sort(),
    };
    await input.beforeSwitch?.(partition);
    await store.put(manifestKey(partition, generation), `${JSON.stringify(manifest)}\n`);
    return manifest;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** COPY of one table's input files into zstd Parquet under `out` (one or more files); returns rows. */
async function copyTable(
  db: DuckDBConnection,
  table: LakeTable,
  paths: string[],
  out: string,
  fileSizeBytes: number,
): Promise<number> {
  const columns = FILE_COLUMNS[table];
  const list = columns.map(
    (c) => `CAST(${sqlIdent(c.name)} AS ${duckdbType(c.type)}) AS ${sqlIdent(c.name)}`,
  );
  // Adjustments: the PLB pairs (level 'provider', a few percent of the rows) after the CAS rows, so
  // most row groups hold one kind and their min/max statistics on level let the models that read
  // only PLB pairs (or only CAS) skip the others.
  const order =
    table === 'claims'
      ? 'remit_id, claim_seq'
      : table === 'adjustments'
        ? "level = 'provider', remit_id, adjustment_seq"
        : 'remit_id';
  const source = `read_parquet([${paths.map(sqlString).join(', ')}], hive_partitioning = false, union_by_name = true)`;
  const reader = await db.runAndReadAll(
    `COPY (SELECT ${list.join(', ')} FROM ${source} ORDER BY ${order})
     TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd, FILE_SIZE_BYTES ${Math.floor(fileSizeBytes)})`,
  );
  return Number(reader.getRowObjectsJson()[0]?.Count ?? 0);
}

/** A generation must hold each remittance once: anything else is a bug, and nothing is switched. */
async function checkRemittances(db: DuckDBConnection, out: string, expected: number): Promise<void> {
  const reader = await db.runAndReadAll(
    `SELECT count(*)::BIGINT AS n, count(DISTINCT remit_id)::BIGINT AS ids
     FROM read_parquet(${sqlString(join(out, '*.parquet'))})`,
  );
  const row = reader.getRowObjectsJson()[0] as { n: string; ids: string };
  if (Number(row.n) !== expected || Number(row.ids) !== expected)
    throw new Error(
      `compaction of ${out}: expected ${expected} remittances, read ${row.n} rows with ${row.ids} ids; nothing switched`,
    );
}

async function countRows(db: DuckDBConnection, path: string): Promise<number> {
  const reader = await db.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM read_parquet(${sqlString(path)})`);
  return Number(reader.getRowObjectsJson()[0]?.n ?? 0);
}

/**
 * Takes the lake's compaction lease, or throws CompactionBusyError. A lease whose holder is gone
 * (a process on this host that no longer runs, or any lease past its end) is taken over.
 */
async function acquireLease(store: ObjectStore, leaseMs: number): Promise<Lease> {
  const now = Date.now();
  const lease: Lease = {
    token: randomBytes(8).toString('hex'),
    pid: process.pid,
    host: hostname(),
    started_at: new Date(now).toISOString(),
    expires_at: new Date(now + leaseMs).toISOString(),
  };
  const body = JSON.stringify(lease);
  for (let attempt = 0; attempt < 3; attempt++) {
    const taken =
      store.putIfAbsent !== undefined
        ? await store.putIfAbsent(COMPACTION_LOCK, body)
        : await putIfMissing(store, COMPACTION_LOCK, body);
    if (taken) {
      // A store without a real conditional write: read back, and go ahead only if ours stuck.
      const held = await readLease(store);
      if (held?.token === lease.token) return lease;
      if (held !== null) throw new CompactionBusyError(held);
      continue;
    }
    const held = await readLease(store);
    if (held === null) continue;
    if (!isStale(held)) throw new CompactionBusyError(held);
    await store.delete(COMPACTION_LOCK);
  }
  throw new Error(`could not take the compaction lease ${COMPACTION_LOCK} of ${store.location}`);
}

/** Without a conditional write: check, then put (the read-back after it catches most races). */
async function putIfMissing(store: ObjectStore, key: string, body: string): Promise<boolean> {
  if (await store.exists(key)) return false;
  await store.put(key, body);
  return true;
}

async function readLease(store: ObjectStore): Promise<Lease | null> {
  try {
    return JSON.parse(new TextDecoder().decode(await store.get(COMPACTION_LOCK))) as Lease;
  } catch {
    return null;
  }
}

function isStale(lease: Lease): boolean {
  if (Date.parse(lease.expires_at) < Date.now()) return true;
  if (lease.host !== hostname()) return false;
  if (lease.pid === process.pid) return false;
  try {
    process.kill(lease.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function renewLease(store: ObjectStore, lease: Lease, leaseMs: number): Promise<void> {
  if (Date.parse(lease.expires_at) - Date.now() > leaseMs / 2) return;
  lease.expires_at = new Date(Date.now() + leaseMs).toISOString();
  await store.put(COMPACTION_LOCK, JSON.stringify(lease));
}

async function releaseLease(store: ObjectStore, lease: Lease): Promise<void> {
  const held = await readLease(store).catch(() => null);
  if (held?.token === lease.token) await store.delete(COMPACTION_LOCK).catch(() => {});
}

/** A scratch folder this old was left by a killed compaction (a live one is renewed by its files). */
const STALE_SCRATCH_MS = 60 * 60 * 1000;

function sweepStaleScratch(root: string): void {
  const now = Date.now();
  for (const name of readdirSync(root)) {
    if (!name.startsWith('compact-')) continue;
    const info = statSync(join(root, name), { throwIfNoEntry: false });
    if (info?.isDirectory() && now - info.mtimeMs > STALE_SCRATCH_MS)
      rmSync(join(root, name), { recursive: true, force: true });
  }
}
