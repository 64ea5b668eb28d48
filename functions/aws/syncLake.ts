import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  COMPACTED_DIR,
  type CompactionManifest,
  currentManifestKeys,
  MANIFESTS_DIR,
  parseManifest,
  parseStagedKey,
  resolveLakeReads,
  splitPartitionKey,
} from '../core/lake/compactedLayout.ts';
import { LAKE_TABLES, type LakeTable } from '../core/lake/schema.ts';
import { mapLimit } from '../core/mapLimit.ts';
import type { ObjectStore, StoredObject } from '../ports/objectStore.ts';

/** Default key of the sync state in the lake bucket (under the models job's `state/` prefix). */
export const SYNC_STATE_KEY = 'state/models-sync.json';

export interface SyncLakeOptions {
  /** Where the state of this copy lives in the store (one key per copy: the single job, each fan-out group). */
  stateKey?: string;
  /** Downloads in flight at once (default 16). */
  concurrency?: number;
  /** The state is written after every this many downloads (default 500), and at the end. */
  saveEvery?: number;
  /** Only these tables are read (default all three): the fan-out's plan reads remittances only. */
  tables?: readonly LakeTable[];
  /** Only these payers' partitions are read (default all): a fan-out group reads its own. */
  payers?: ReadonlySet<string>;
  /**
   * Refuse to start when the files to read add up to more bytes than this (the /tmp budget): a
   * clear error instead of a full disk halfway through.
   */
  maxBytes?: number;
  /** When aborted, no new download starts; those in flight finish, the state is saved, and the sync returns incomplete. */
  signal?: AbortSignal;
  /** Called after each download, with the count so far and the count to do. */
  onDownloaded?: (done: number, toDo: number) => void;
}

export interface SyncLakeResult {
  /** Objects the reads need (the current compacted generations, their manifests, visible staged files). */
  objects: number;
  bytes: number;
  downloaded: number;
  /** Needed objects already present locally (by the saved state: same key and ETag, same size on disk). */
  unchanged: number;
  /** Local files removed because no read needs them any more (compacted away, superseded, other payers). */
  deleted: number;
  /** False when the sync stopped early (aborted); run it again to copy the remainder. */
  complete: boolean;
}

/** The saved state: every object the local copy holds, by key, with the ETag it was copied at. */
export interface SyncState {
  format: 1;
  updated_at: string;
  objects: Record<string, string>;
}

/** A lake bucket's objects that a build reads, with their ETags and sizes. */
export interface LakeReadPlan {
  objects: StoredObject[];
  bytes: number;
}

/**
 * Decides what a build must read from the store: lists the staged tables and the compacted layer,
 * reads the current manifests (small), and keeps the files readers see (compactedLayout.ts):
 * current generations' compacted files and their manifests, committed staged files not compacted.
 * Staged copies of compacted remittances, uncommitted orphans and superseded generations are left.
 */
export async function planLakeReads(
  lake: ObjectStore,
  options: Pick<SyncLakeOptions, 'tables' | 'payers'> = {},
): Promise<LakeReadPlan> {
  const listed = new Map<string, StoredObject>();
  const tables = options.tables ?? LAKE_TABLES;
  const wanted = (rest: string) => {
    if (options.payers === undefined) return true;
    const p = splitPartitionKey(rest);
    return p !== null && options.payers.has(p.payerId);
  };
  // Claims and adjustments of staged remittances are visible only once the remittance is committed,
  // so the remittances listing is needed whatever tables are read.
  const stagedTables = new Set<LakeTable>([...tables, 'remittances']);
  const lists = [...stagedTables].map(async (table) => {
    for await (const o of lake.list(`${table}/`))
      if (parseStagedKey(o.key) !== null && wanted(o.key.slice(table.length + 1))) listed.set(o.key, o);
  });
  lists.push(
    (async () => {
      for await (const o of lake.list(`${COMPACTED_DIR}/`)) listed.set(o.key, o);
    })(),
  );
  await Promise.all(lists);
  const manifestKeys = [...listed.keys()].filter((k) => k.startsWith(`${MANIFESTS_DIR}/`));
  const current = [...currentManifestKeys(manifestKeys)].filter(([, m]) =>
    wanted(m.key.slice(MANIFESTS_DIR.length + 1)),
  );
  const manifests = new Map<string, CompactionManifest>();
  await mapLimit(current, 16, async ([id, { key }]) => {
    manifests.set(id, parseManifest(new TextDecoder().decode(await lake.get(key)), key));
  });
  const staged = [...listed.keys()].filter((k) => !k.startsWith(`${COMPACTED_DIR}/`));
  const reads = resolveLakeReads(staged, manifests);
  const keys = new Set<string>(current.map(([, m]) => m.key));
  for (const table of tables)
    for (const k of [...reads[table].compacted, ...reads[table].staged]) keys.add(k);
  const objects: StoredObject[] = [];
  for (const key of [...keys].sort()) {
    const o = listed.get(key);
    // A manifest naming a file the listing lacks is a broken lake: say which, do not build on it.
    if (o === undefined)
      throw new Error(`${lake.location}${key} is named by a compaction manifest but missing`);
    objects.push(o);
  }
  return { objects, bytes: objects.reduce((s, o) => s + o.size, 0) };
}

/**
 * Copies into `localDir` the lake files a build reads (planLakeReads), several at a time, and no
 * others: a file already copied (same key and ETag in the saved state, same size on disk) is kept,
 * local files no read needs are removed, so /tmp holds the current read set only. The state lives in
 * the store and is saved every `saveEvery` downloads: a run that is killed or times out resumes
 * where the last save left it, and a fresh container (empty /tmp) copies what its disk lacks.
 */
export async function syncLake(
  lake: ObjectStore,
  localDir: string,
  options: SyncLakeOptions = {},
): Promise<SyncLakeResult> {
  const stateKey = options.stateKey ?? SYNC_STATE_KEY;
  const plan = await planLakeReads(lake, options);
  if (options.maxBytes !== undefined && plan.bytes > options.maxBytes)
    throw new Error(
      `the lake files a build reads (${plan.objects.length} objects, ${mib(plan.bytes)} MiB) exceed the scratch budget of ${mib(options.maxBytes)} MiB: compact the lake (recoup compact) or run the fan-out (one payer group per function)`,
    );
  const saved = await loadState(lake, stateKey);
  const held: Record<string, string> = {};
  const toDo: StoredObject[] = [];
  let unchanged = 0;
  await mapLimit(plan.objects, 64, async (o) => {
    const size = await stat(localPath(localDir, o.key)).then(
      (s) => s.size,
      () => -1,
    );
    if (saved.objects[o.key] === o.etag && size === o.size) {
      held[o.key] = o.etag;
      unchanged++;
    } else toDo.push(o);
  });
  const deleted = await removeUnneeded(localDir, new Set(plan.objects.map((o) => o.key)));

  let downloaded = 0;
  let sinceSave = 0;
  let saving: Promise<void> = Promise.resolve();
  const save = () => {
    // Saves never overlap; each writes everything copied so far. A failed save does not stop
    // the next one (the last one's failure is the caller's).
    saving = saving.catch(() => {}).then(() => saveState(lake, stateKey, held));
    return saving;
  };
  const saveEvery = options.saveEvery ?? 500;
  toDo.sort((a, b) => (a.key < b.key ? -1 : 1));
  await mapLimit(toDo, options.concurrency ?? 16, async (o) => {
    if (options.signal?.aborted) return;
    await lake.download(o.key, localPath(localDir, o.key));
    held[o.key] = o.etag;
    downloaded++;
    options.onDownloaded?.(downloaded, toDo.length);
    if (++sinceSave >= saveEvery) {
      sinceSave = 0;
      save().catch(() => {});
    }
  }).catch(async (error: unknown) => {
    // A failed download (the store, the disk): keep what was copied for the next run.
    await save().catch(() => {});
    throw error;
  });
  await save();
  return {
    objects: plan.objects.length,
    bytes: plan.bytes,
    downloaded,
    unchanged,
    deleted,
    complete: downloaded + unchanged === plan.objects.length,
  };
}

/** Reads the saved state; none (or an unreadable one) is an empty state: everything is checked again. */
export async function loadState(lake: ObjectStore, key: string): Promise<SyncState> {
  const empty: SyncState = { format: 1, updated_at: '', objects: {} };
  if (!(await lake.exists(key))) return empty;
  try {
    const state = JSON.parse(new TextDecoder().decode(await lake.get(key))) as SyncState;
    return state.format === 1 && typeof state.objects === 'object' && state.objects !== null ? state : empty;
  } catch {
    return empty;
  }
}

async function saveState(lake: ObjectStore, key: string, objects: Record<string, string>): Promise<void> {
  const state: SyncState = { format: 1, updated_at: new Date().toISOString(), objects: { ...objects } };
  await lake.put(key, JSON.stringify(state));
}

function localPath(localDir: string, key: string): string {
  return join(localDir, ...key.split('/'));
}

/** Removes local lake files (tables and compacted layer) that are not needed; returns how many. */
async function removeUnneeded(localDir: string, needed: ReadonlySet<string>): Promise<number> {
  let removed = 0;
  const walk = async (relative: string): Promise<void> => {
    const entries = await readdir(join(localDir, ...relative.split('/')), { withFileTypes: true }).catch(
      () => [],
    );
    for (const entry of entries) {
      const key = `${relative}/${entry.name}`;
      if (entry.isDirectory()) await walk(key);
      else if (!needed.has(key)) {
        await rm(join(localDir, ...key.split('/')), { force: true });
        removed++;
      }
    }
  };
  for (const top of [...LAKE_TABLES, COMPACTED_DIR]) await walk(top);
  return removed;
}

function mib(bytes: number): string {
  return (bytes / 1024 ** 2).toFixed(1);
}
