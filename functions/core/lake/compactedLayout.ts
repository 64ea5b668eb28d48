import { LAKE_TABLES, type LakeTable } from './schema.ts';

/**
 * The compacted layer of the lake: where compaction puts its files, what its manifests say, and
 * which files a reader reads. Pure (keys in, keys out): the local views, the compaction use case
 * and the AWS models job all decide visibility here.
 *
 *   <table>/payer_id=<P>/payment_month=<M>/<remit_id>.parquet                  staged (ingest)
 *   compacted/<table>/payer_id=<P>/payment_month=<M>/g<GEN>-<run>-<n>.parquet   compacted data
 *   compacted/_manifests/payer_id=<P>/payment_month=<M>/g<GEN>.json            manifest of GEN
 *   compacted/_lock.json                                                       compaction lease
 *
 * GEN is a generation number, 8 digits, zero-padded, counting up per partition. A partition's
 * current generation is the one with the highest-numbered manifest; the compacted files it lists
 * are read, and no other compacted file. A staged remittance is read unless its remit_id is in
 * the current manifest (it was compacted; its staged files are removed after the manifest is
 * written, and until then they are only copies). Claims and adjustments of a staged remittance
 * are read only once its remittances file exists (committed), as before compaction existed.
 */

/** Folder (under the lake) of the compacted layer. */
export const COMPACTED_DIR = 'compacted';
export const MANIFESTS_DIR = `${COMPACTED_DIR}/_manifests`;
export const COMPACTION_LOCK = `${COMPACTED_DIR}/_lock.json`;

/** A Hive partition of the lake, as its two path values. */
export interface Partition {
  payerId: string;
  paymentMonth: string;
}

/** One compacted Parquet file. */
export interface CompactedFile {
  key: string;
  rows: number;
  bytes: number;
}

/** What a generation of a partition holds: written after its files, it makes them current. */
export interface CompactionManifest {
  format: 1;
  generation: number;
  payer_id: string;
  payment_month: string;
  created_at: string;
  files: Record<LakeTable, CompactedFile[]>;
  /** Every remittance in this generation's files, sorted. */
  remit_ids: string[];
}

export function partitionPath(p: Partition): string {
  return `payer_id=${p.payerId}/payment_month=${p.paymentMonth}`;
}

export function partitionId(p: Partition): string {
  return partitionPath(p);
}

function generationName(generation: number): string {
  return `g${String(generation).padStart(8, '0')}`;
}

export function manifestKey(p: Partition, generation: number): string {
  return `${MANIFESTS_DIR}/${partitionPath(p)}/${generationName(generation)}.json`;
}

export function compactedFileKey(
  table: LakeTable,
  p: Partition,
  generation: number,
  run: string,
  n: number,
): string {
  return `${COMPACTED_DIR}/${table}/${partitionPath(p)}/${generationName(generation)}-${run}-${n}.parquet`;
}

/** The staged folder of a table's partition (with a trailing slash). */
export function stagedPrefix(table: LakeTable, p: Partition): string {
  return `${table}/${partitionPath(p)}/`;
}

export function stagedKey(table: LakeTable, p: Partition, remitId: string): string {
  return `${stagedPrefix(table, p)}${remitId}.parquet`;
}

const PARTITION_KEY = /^payer_id=([^/]+)\/payment_month=([^/]+)\/(.+)$/;

/** `payer_id=P/payment_month=M/<rest>` → its partition and the rest; null for any other key. */
export function splitPartitionKey(key: string): (Partition & { rest: string }) | null {
  const m = PARTITION_KEY.exec(key);
  if (m === null) return null;
  return { payerId: m[1] as string, paymentMonth: m[2] as string, rest: m[3] as string };
}

/** A manifest key → its partition and generation; null when the key is not a manifest's. */
export function parseManifestKey(key: string): (Partition & { generation: number }) | null {
  if (!key.startsWith(`${MANIFESTS_DIR}/`)) return null;
  const parts = splitPartitionKey(key.slice(MANIFESTS_DIR.length + 1));
  if (parts === null) return null;
  const m = /^g(\d{8})\.json$/.exec(parts.rest);
  if (m === null) return null;
  return { payerId: parts.payerId, paymentMonth: parts.paymentMonth, generation: Number(m[1]) };
}

/** A staged key → table, partition and remit_id; null for anything else (temp files, other objects). */
export function parseStagedKey(key: string): (Partition & { table: LakeTable; remitId: string }) | null {
  const slash = key.indexOf('/');
  const table = key.slice(0, slash) as LakeTable;
  if (!LAKE_TABLES.includes(table)) return null;
  const parts = splitPartitionKey(key.slice(slash + 1));
  if (parts === null || parts.rest.includes('/') || !parts.rest.endsWith('.parquet')) return null;
  const remitId = parts.rest.slice(0, -'.parquet'.length);
  if (remitId === '' || remitId.startsWith('.') || remitId.startsWith('_')) return null;
  return { table, payerId: parts.payerId, paymentMonth: parts.paymentMonth, remitId };
}

/** The generation a compacted data key belongs to (null for other keys). */
export function compactedKeyGeneration(key: string): number | null {
  const m = /\/g(\d{8})-[^/]+\.parquet$/.exec(key);
  return key.startsWith(`${COMPACTED_DIR}/`) && m !== null ? Number(m[1]) : null;
}

/** Of manifest keys, the highest generation's per partition. */
export function currentManifestKeys(
  keys: Iterable<string>,
): Map<string, { key: string; generation: number }> {
  const current = new Map<string, { key: string; generation: number }>();
  for (const key of keys) {
    const m = parseManifestKey(key);
    if (m === null) continue;
    const id = partitionId(m);
    const best = current.get(id);
    if (best === undefined || m.generation > best.generation)
      current.set(id, { key, generation: m.generation });
  }
  return current;
}

/** Parses and checks a manifest's JSON (a manifest is written whole, so a bad one is a bug or tampering). */
export function parseManifest(text: string, key: string): CompactionManifest {
  const m = JSON.parse(text) as CompactionManifest;
  if (m.format !== 1 || !Array.isArray(m.remit_ids) || typeof m.files !== 'object' || m.files === null)
    throw new Error(`not a compaction manifest: ${key}`);
  for (const table of LAKE_TABLES)
    if (!Array.isArray(m.files[table])) throw new Error(`manifest ${key} lacks ${table}`);
  return m;
}

/** The files a reader reads for one table: compacted files of current generations, then staged ones. */
export interface TableReads {
  compacted: string[];
  staged: string[];
  /** Staged files of the table that are not read (compacted copies, uncommitted orphans). */
  hiddenStaged: number;
}

/**
 * Decides what readers see. `staged` holds the staged keys of every table (any order); `manifests`
 * the current manifest of each partition that has one, by partitionId.
 */
export function resolveLakeReads(
  staged: Iterable<string>,
  manifests: ReadonlyMap<string, CompactionManifest>,
): Record<LakeTable, TableReads> {
  const compactedIds = new Map<string, Set<string>>();
  for (const [id, m] of manifests) compactedIds.set(id, new Set(m.remit_ids));
  const byTable: Record<LakeTable, { key: string; partition: string; remitId: string }[]> = {
    remittances: [],
    claims: [],
    adjustments: [],
  };
  const committed = new Set<string>();
  for (const key of staged) {
    const s = parseStagedKey(key);
    if (s === null) continue;
    const partition = partitionId(s);
    byTable[s.table].push({ key, partition, remitId: s.remitId });
    if (s.table === 'remittances') committed.add(`${partition}/${s.remitId}`);
  }
  const out = {} as Record<LakeTable, TableReads>;
  for (const table of LAKE_TABLES) {
    const reads: TableReads = { compacted: [], staged: [], hiddenStaged: 0 };
    for (const m of manifests.values()) for (const f of m.files[table]) reads.compacted.push(f.key);
    for (const s of byTable[table]) {
      const compacted = compactedIds.get(s.partition)?.has(s.remitId) === true;
      const visible = !compacted && (table === 'remittances' || committed.has(`${s.partition}/${s.remitId}`));
      if (visible) reads.staged.push(s.key);
      else reads.hiddenStaged++;
    }
    reads.compacted.sort();
    reads.staged.sort();
    out[table] = reads;
  }
  return out;
}

/** The remit_key of a remit_id: the part before '-' (`<remit_key>-<content16>`), or the whole id. */
export function remitKeyOf(remitId: string): string {
  const dash = remitId.indexOf('-');
  return dash < 0 ? remitId : remitId.slice(0, dash);
}
