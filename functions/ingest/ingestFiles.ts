import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { Era835Parser } from '../core/era/parse835.ts';
import type { SourceInfo } from '../core/era/reader835.ts';
import { formatCents } from '../core/money.ts';
import { X12Error } from '../core/x12/errors.ts';
import type { LakeWriter } from '../ports/lakeWriter.ts';
import type { ObjectStore } from '../ports/objectStore.ts';
import { ArchiveError, type SourceFiles } from '../ports/sourceFiles.ts';
import { describeNonText } from './describeContent.ts';

/**
 * A local file to ingest, and the name it is known by (a path, or the S3 key it came from). A file
 * named `.gz` or `.zip` is an archive: its entries are ingested (see archiveInputs.ts).
 */
export interface IngestInput {
  path: string;
  key: string;
  size: number;
  /** Set for an archive entry that could not be extracted: quarantined with this error. */
  unreadable?: ArchiveError;
}

export interface IngestProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  file: string;
}

export interface QuarantinedFile {
  file: string;
  code: string;
  reason: string;
  segment_index: number | null;
  segment_id: string | null;
  element: string | null;
  quarantine_key: string;
}

export interface UnbalancedTransaction {
  file: string;
  remit_id: string;
  trace_number: string | null;
  balance_difference: string;
  unbalanced_claims: number;
  unbalanced_services: number;
}

/**
 * A remittance written although the lake already held one with the same remit_key (payer, payee,
 * TRN02 trace number, BPR02 amount, BPR16 date) and other content: both are kept. Names no patient
 * data: the file, the key, the ids and the trace number.
 */
export interface KeyConflict {
  file: string;
  remit_key: string;
  remit_id: string;
  trace_number: string | null;
  /** The other remittances with that key, in the lake or earlier in this run. */
  existing_remit_ids: string[];
}

export interface IngestSummary {
  files: number;
  bytes: number;
  /** Transactions (ST..SE) read, duplicates included. */
  transactions: number;
  /** Remittances newly written to the lake. */
  remittances_written: number;
  /** Claim and adjustment rows newly written. */
  claims: number;
  adjustments: number;
  /** Transactions that did not balance (kept and flagged). */
  unbalanced: number;
  /** Transactions already in the lake or repeated in this run (same remit_id: same content), skipped. */
  duplicates: number;
  /** Remittances written that share their remit_key with another (kept, flagged). */
  key_conflicts: KeyConflict[];
  quarantined: number;
  objects_written: number;
  seconds: number;
  quarantined_files: QuarantinedFile[];
  unbalanced_transactions: UnbalancedTransaction[];
}

export interface IngestOptions {
  /** The lake: quarantined files go here; remittances go through `writer`, which writes to it. */
  lake: ObjectStore;
  /** Stages and commits remittances to the lake (functions/adapters/parquetLakeWriter.ts). */
  writer: LakeWriter;
  /** Reads the input files (functions/adapters/localSourceFiles.ts). */
  files: SourceFiles;
  onProgress?: (progress: IngestProgress) => void;
  /** Stamped on every remittance as `ingested_at`. */
  now?: Date;
  /** Commit to the lake after this many input bytes (default 4 MiB); into a local folder, commits overlap the parsing of the next files. */
  batchBytes?: number;
  /** Local scratch folder for staging (default: the OS temp folder; inside the lake folder is fastest). */
  scratch?: string;
}

/** Commits writing while the next files are parsed; past this, ingest waits for the oldest. */
const MAX_COMMITS_IN_FLIGHT = 2;

/** Files up to this size are read whole; larger ones are streamed in chunks. */
const WHOLE_FILE_LIMIT = 64 * 1024 * 1024;
/**
 * …and handed to the parser this much at a time: text decoded in pieces this small is allocated
 * in V8's young generation, where a 4 MiB piece takes fresh pages (and their faults) every time.
 */
const PARSE_CHUNK = 64 * 1024;

interface Staged {
  file: string;
  trace: string | null;
  claims: number;
  adjustments: number;
}

/**
 * Ingests 835 files into the lake. A file that cannot be read is quarantined whole (the file and
 * a JSON reason) and the batch goes on; its rows never reach the lake. Unbalanced transactions
 * are written, flagged, and listed. Throws only when ingest itself fails (I/O, DuckDB).
 */
export async function ingestFiles(inputs: IngestInput[], options: IngestOptions): Promise<IngestSummary> {
  const started = performance.now();
  const ingestedAt = (options.now ?? new Date()).toISOString();
  const batchBytes = options.batchBytes ?? 4 * 1024 * 1024;
  const { writer, files } = options;
  const summary: IngestSummary = {
    files: 0,
    bytes: 0,
    transactions: 0,
    remittances_written: 0,
    claims: 0,
    adjustments: 0,
    unbalanced: 0,
    duplicates: 0,
    key_conflicts: [],
    quarantined: 0,
    objects_written: 0,
    seconds: 0,
    quarantined_files: [],
    unbalanced_transactions: [],
  };
  // Archives count as what they hold once opened.
  let bytesTotal = inputs.reduce((n, f) => n + f.size, 0);
  let filesTotal = inputs.length;
  let staged = new Map<string, Staged>();
  let stagedBytes = 0;
  // Commits to a store that writes beside the caller (a local folder's writer thread) run while
  // the next files are parsed, a few at most, so memory stays bounded when the lake is slower
  // than parsing. Others (S3) are awaited one by one: their puts are already concurrent, and more
  // requests in flight through an outage would spend the SDK's retry quota faster.
  // The first failure fails the ingest.
  const maxInFlight = options.lake.putInOrder !== undefined ? MAX_COMMITS_IN_FLIGHT : 0;
  const inflight: Promise<void>[] = [];
  let failure: unknown = null;

  const commit = () => {
    const batch = staged;
    staged = new Map();
    stagedBytes = 0;
    const done = writer.commit().then(
      (result) => {
        summary.duplicates += result.duplicates;
        summary.objects_written += result.objects;
        summary.remittances_written += result.written.length;
        for (const r of result.written) {
          const s = batch.get(r.remitId);
          if (s !== undefined) {
            summary.claims += s.claims;
            summary.adjustments += s.adjustments;
          }
        }
        for (const c of result.keyConflicts) {
          const s = batch.get(c.remitId);
          summary.key_conflicts.push({
            file: s?.file ?? '',
            remit_key: c.remitKey,
            remit_id: c.remitId,
            trace_number: s?.trace ?? null,
            existing_remit_ids: c.existing,
          });
        }
      },
      (error: unknown) => {
        failure ??= error;
      },
    );
    inflight.push(done);
  };
  const throwIfFailed = () => {
    if (failure !== null) throw failure;
  };

  try {
    for await (const input of files.expand(inputs, options.scratch, (bytes, count) => {
      bytesTotal += bytes;
      filesTotal += count;
    })) {
      options.onProgress?.({
        filesDone: summary.files,
        filesTotal,
        bytesDone: summary.bytes,
        bytesTotal,
        file: input.key,
      });
      const mark = writer.mark();
      const fileStaged: [string, Staged][] = [];
      const fileUnbalanced: UnbalancedTransaction[] = [];
      let transactions = 0;
      try {
        await parseFile(files, input, ingestedAt, (remit) => {
          transactions++;
          const r = remit.remittance;
          if (!r.balanced) {
            fileUnbalanced.push({
              file: input.key,
              remit_id: r.remit_id,
              trace_number: r.trace_number,
              balance_difference: formatCents(r.balance_difference),
              unbalanced_claims: r.unbalanced_claims,
              unbalanced_services: r.unbalanced_services,
            });
          }
          if (writer.add(remit)) {
            fileStaged.push([
              r.remit_id,
              {
                file: input.key,
                trace: r.trace_number,
                claims: remit.claims.length,
                adjustments: remit.adjustments.length,
              },
            ]);
          }
        });
      } catch (error) {
        writer.rollback(mark);
        summary.quarantined_files.push(await quarantine(options.lake, files, input, error));
        summary.quarantined++;
        summary.files++;
        summary.bytes += input.size;
        continue;
      }
      for (const [id, s] of fileStaged) staged.set(id, s);
      summary.transactions += transactions;
      summary.unbalanced += fileUnbalanced.length;
      summary.unbalanced_transactions.push(...fileUnbalanced);
      summary.files++;
      summary.bytes += input.size;
      stagedBytes += input.size;
      if (stagedBytes >= batchBytes) {
        commit();
        if (inflight.length > maxInFlight) await inflight.shift();
        throwIfFailed();
      }
    }
    commit();
    await Promise.all(inflight);
    throwIfFailed();
  } finally {
    await Promise.all(inflight);
    writer.close();
  }
  options.onProgress?.({
    filesDone: summary.files,
    filesTotal,
    bytesDone: summary.bytes,
    bytesTotal,
    file: '',
  });
  summary.seconds = Math.round(performance.now() - started) / 1000;
  return summary;
}

/** Reads one file through the streaming parser, whole or in chunks by size. */
async function parseFile(
  files: SourceFiles,
  input: IngestInput,
  ingestedAt: string,
  onRemit: ConstructorParameters<typeof Era835Parser>[1],
): Promise<void> {
  if (input.unreadable !== undefined) throw input.unreadable;
  if (input.size <= WHOLE_FILE_LIMIT) {
    const bytes = files.readWhole(input.path, input.size);
    const source: SourceInfo = { key: input.key, sha256: sha256(bytes), ingestedAt };
    rejectUtf16(bytes, input.key);
    const parser = new Era835Parser(source, onRemit);
    parser.write(bytes.toString('utf8'));
    parser.end();
    return;
  }
  const hash = createHash('sha256');
  files.forEachChunk(input.path, (chunk) => hash.update(chunk));
  const parser = new Era835Parser({ key: input.key, sha256: hash.digest('hex'), ingestedAt }, onRemit);
  let first = true;
  files.forEachChunk(input.path, (chunk) => {
    if (first) {
      rejectUtf16(chunk, input.key);
      first = false;
    }
    for (let at = 0; at < chunk.length; at += PARSE_CHUNK)
      parser.writeBytes(chunk.subarray(at, at + PARSE_CHUNK));
  });
  parser.end();
}

function rejectUtf16(bytes: Uint8Array, file: string): void {
  const b0 = bytes[0];
  const b1 = bytes[1];
  if (
    (b0 === 0xff && b1 === 0xfe) ||
    (b0 === 0xfe && b1 === 0xff) ||
    (bytes.length > 1 && (b0 === 0 || b1 === 0))
  ) {
    throw new X12Error('UNSUPPORTED_ENCODING', 'file is UTF-16 or binary; X12 must be ASCII/UTF-8', { file });
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Puts an unreadable file in `quarantine/` beside a JSON sidecar that says why. */
async function quarantine(
  lake: ObjectStore,
  files: SourceFiles,
  input: IngestInput,
  error: unknown,
): Promise<QuarantinedFile> {
  const bytes = await files.readOrNull(input.path);
  const digest = bytes !== null ? sha256(bytes).slice(0, 12) : 'unreadable';
  const key = `quarantine/${digest}-${basename(input.key).replace(/[^A-Za-z0-9._-]/g, '_')}`;
  const detail: QuarantinedFile =
    error instanceof X12Error || error instanceof ArchiveError
      ? {
          file: input.key,
          code: error.code,
          reason: error.reason,
          segment_index: error.location.segmentIndex ?? null,
          segment_id: error.location.segmentId ?? null,
          element: error.location.element ?? null,
          quarantine_key: key,
        }
      : {
          file: input.key,
          code: 'INTERNAL_ERROR',
          reason: error instanceof Error ? error.message.slice(0, 300) : String(error).slice(0, 300),
          segment_index: null,
          segment_id: null,
          element: null,
          quarantine_key: key,
        };
  // The parser says only that the bytes are not X12 text; name what they are (a JPEG, UTF-16, …).
  if (
    bytes !== null &&
    error instanceof X12Error &&
    (error.code === 'UNSUPPORTED_ENCODING' || error.code === 'NO_ISA')
  )
    detail.reason = describeNonText(bytes, error.code === 'UNSUPPORTED_ENCODING') ?? detail.reason;
  if (bytes !== null) {
    if (input.size > WHOLE_FILE_LIMIT) await lake.putFile(key, input.path);
    else await lake.put(key, bytes);
  }
  await lake.put(
    `${key}.error.json`,
    `${JSON.stringify({ ...detail, quarantined_at: new Date().toISOString() }, null, 2)}\n`,
  );
  return detail;
}
