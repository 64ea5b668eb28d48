/**
 * The source-files port: how ingest reads the 835 files it is given (local paths: the CLI's
 * inputs, or objects a Lambda downloaded to /tmp). functions/adapters/localSourceFiles.ts
 * implements it with synchronous reads into reused buffers and streamed archive extraction.
 */

/** Joins an archive's key and the path of an entry inside it (`<archive key>!/<entry path>`). */
export const ENTRY_SEPARATOR = '!/';

/** A file to read: a path on disk, the name it is known by, its size. */
export interface SourceInput {
  path: string;
  key: string;
  size: number;
  /** Set when the file could not be extracted from its archive: it is quarantined with this error. */
  unreadable?: ArchiveError;
}

/** Why an archive, or an entry of one, could not be read. Shaped like X12Error for the quarantine sidecar. */
export class ArchiveError extends Error {
  override readonly name = 'ArchiveError';
  readonly code = 'BAD_ARCHIVE';
  readonly location: { file: string; segmentIndex?: number; segmentId?: string; element?: string };

  constructor(
    file: string,
    readonly reason: string,
  ) {
    super(`${file}: BAD_ARCHIVE: ${reason}`);
    this.location = { file };
  }
}

export interface SourceFiles {
  /**
   * Every input, with each archive (.gz, .zip) replaced by its entries, extracted under `scratch`
   * one at a time. `onChange` hears how the bytes and the files to read change, for progress.
   */
  expand<T extends SourceInput>(
    inputs: Iterable<T>,
    scratch: string | undefined,
    onChange: (bytes: number, files: number) => void,
  ): AsyncGenerator<T | SourceInput>;
  /** A whole file. May be a view of a reused buffer: valid until the next call. */
  readWhole(path: string, size: number): Buffer;
  /** A file start to end in chunks, each a view valid only during its call. */
  forEachChunk(path: string, onChunk: (chunk: Buffer) => void): void;
  /** A file's bytes, or null when it cannot be read (for the quarantine copy). */
  readOrNull(path: string): Promise<Buffer | null>;
  /** Removes a local copy that has been read (a downloaded file); nothing when it is gone. */
  discard(path: string): Promise<void>;
}
