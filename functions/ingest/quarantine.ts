import { join } from 'node:path';
import type { ObjectStore } from '../ports/objectStore.ts';
import type { SourceFiles } from '../ports/sourceFiles.ts';
import type { IngestInput, IngestOptions, IngestSummary } from './ingestFiles.ts';

/** Where ingest puts unreadable files, relative to the lake (functions/ingest/ingestFiles.ts). */
export const QUARANTINE_PREFIX = 'quarantine/';

/** The JSON sidecar written beside each quarantined file. */
const SIDECAR_SUFFIX = '.error.json';

/** One quarantined file, as its sidecar describes it. */
export interface QuarantineEntry {
  /** The quarantined copy, relative to the lake (`quarantine/<sha256 prefix>-<name>`). */
  quarantine_key: string;
  /** Where the file came from (a path or `s3://bucket/key`): its source_key once ingested. */
  file: string;
  code: string;
  reason: string | null;
  segment_index: number | null;
  segment_id: string | null;
  element: string | null;
  quarantined_at: string | null;
  /** Bytes of the quarantined copy; null when the copy is missing (only the sidecar is left). */
  size: number | null;
}

/** Reads every quarantine sidecar of a lake, oldest first. */
export async function listQuarantined(lake: ObjectStore): Promise<QuarantineEntry[]> {
  const sizes = new Map<string, number>();
  const sidecars: string[] = [];
  for await (const object of lake.list(QUARANTINE_PREFIX)) {
    if (object.key.endsWith(SIDECAR_SUFFIX)) sidecars.push(object.key);
    else sizes.set(object.key, object.size);
  }
  const entries: QuarantineEntry[] = [];
  for (const sidecar of sidecars) {
    const key = sidecar.slice(0, -SIDECAR_SUFFIX.length);
    let detail: Record<string, unknown>;
    try {
      detail = JSON.parse(new TextDecoder().decode(await lake.get(sidecar))) as Record<string, unknown>;
    } catch (error) {
      throw new Error(
        `${lake.location}/${sidecar}: not a quarantine sidecar (${error instanceof Error ? error.message : error})`,
      );
    }
    entries.push({
      quarantine_key: key,
      file: typeof detail.file === 'string' ? detail.file : key,
      code: typeof detail.code === 'string' ? detail.code : 'UNKNOWN',
      reason: typeof detail.reason === 'string' ? detail.reason : null,
      segment_index: typeof detail.segment_index === 'number' ? detail.segment_index : null,
      segment_id: typeof detail.segment_id === 'string' ? detail.segment_id : null,
      element: typeof detail.element === 'string' ? detail.element : null,
      quarantined_at: typeof detail.quarantined_at === 'string' ? detail.quarantined_at : null,
      size: sizes.get(key) ?? null,
    });
  }
  return entries.sort(
    (a, b) =>
      (a.quarantined_at ?? '').localeCompare(b.quarantined_at ?? '') ||
      a.quarantine_key.localeCompare(b.quarantine_key),
  );
}

export interface RetryOptions {
  /** Retry only these quarantine keys (default: every quarantined file). */
  keys?: string[];
  /** Local scratch folder for the downloaded copies and the ingest's staging. */
  scratch: string;
  /** Called before each file. */
  onFile?: (entry: QuarantineEntry, index: number, total: number) => void;
  /** The downloaded copies' files (functions/adapters/localSourceFiles.ts). */
  files: SourceFiles;
  /** Ingest wired to its adapters (functions/adapters/ingestToLake.ts). */
  ingest: (inputs: IngestInput[], options: Pick<IngestOptions, 'lake' | 'scratch'>) => Promise<IngestSummary>;
}

export interface RetryResult {
  /** Files re-read into the lake, whose quarantine entries were removed. */
  ingested: QuarantineEntry[];
  /** Files that still could not be read (their sidecars now say why, as of this retry). */
  still_quarantined: QuarantineEntry[];
  /** Sidecars whose quarantined copy is missing: nothing to retry. */
  missing: QuarantineEntry[];
  summary: Pick<
    IngestSummary,
    'remittances_written' | 'claims' | 'adjustments' | 'duplicates' | 'unbalanced'
  >;
}

/**
 * Re-ingests quarantined files (after a parser fix, or once a payer's broken file was replaced
 * under the same name): each copy is read again under its original name, so its rows carry the
 * source_key they would have had. A file that now reads is in the lake and its quarantine copy
 * and sidecar are deleted; one that still fails is quarantined again under the same key (same
 * bytes, same name), its sidecar rewritten. Re-running a retry changes nothing more: ingest
 * skips remittances already in the lake.
 */
export async function retryQuarantined(lake: ObjectStore, options: RetryOptions): Promise<RetryResult> {
  const all = await listQuarantined(lake);
  const wanted = options.keys === undefined ? null : new Set(options.keys);
  if (wanted !== null) {
    const known = new Set(all.map((e) => e.quarantine_key));
    const unknown = [...wanted].filter((k) => !known.has(k));
    if (unknown.length > 0)
      throw new Error(`not in ${lake.location}/${QUARANTINE_PREFIX}: ${unknown.join(', ')}`);
  }
  const entries = all.filter((e) => wanted === null || wanted.has(e.quarantine_key));
  const result: RetryResult = {
    ingested: [],
    still_quarantined: [],
    missing: [],
    summary: { remittances_written: 0, claims: 0, adjustments: 0, duplicates: 0, unbalanced: 0 },
  };
  for (const [index, entry] of entries.entries()) {
    options.onFile?.(entry, index, entries.length);
    if (entry.size === null) {
      result.missing.push(entry);
      continue;
    }
    const local = join(options.scratch, `retry-${index}`);
    await lake.download(entry.quarantine_key, local);
    try {
      const summary = await options.ingest([{ path: local, key: entry.file, size: entry.size }], {
        lake,
        scratch: join(options.scratch, 'stage'),
      });
      for (const field of Object.keys(result.summary) as (keyof RetryResult['summary'])[]) {
        result.summary[field] += summary[field];
      }
      const again = summary.quarantined_files[0];
      if (again !== undefined) {
        result.still_quarantined.push({
          ...entry,
          code: again.code,
          reason: again.reason,
          segment_index: again.segment_index,
          segment_id: again.segment_id,
          element: again.element,
        });
        // Same bytes and name give the same key; if a parser change named it differently,
        // the old entry goes so that the file is listed once.
        if (again.quarantine_key !== entry.quarantine_key) await removeEntry(lake, entry.quarantine_key);
        continue;
      }
      await removeEntry(lake, entry.quarantine_key);
      result.ingested.push(entry);
    } finally {
      await options.files.discard(local);
    }
  }
  return result;
}

/** Deletes a quarantined copy and then its sidecar (a crash in between leaves a listed, missing copy). */
async function removeEntry(lake: ObjectStore, key: string): Promise<void> {
  await lake.delete(key);
  await lake.delete(`${key}${SIDECAR_SUFFIX}`);
}
