import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import type { SourceFiles } from '../ports/sourceFiles.ts';
import { withArchivesExpanded } from './localArchives.ts';

/** Files up to this size are read into the shared buffer. */
const SHARED_READ_LIMIT = 4 * 1024 * 1024;
/** Large files are read this much at a time, into one buffer reused for the whole file. */
const READ_CHUNK = 1024 * 1024;

/** The buffer `readShared` reads into, grown as files need: one allocation for many small files. */
let wholeBuffer = Buffer.allocUnsafe(1 << 20);

/**
 * Reads a whole file, synchronously, into the reused buffer: a view of it, valid until the next
 * call (the caller hashes and decodes it at once).
 */
function readShared(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    let length = 0;
    for (;;) {
      if (length === wholeBuffer.length) {
        const larger = Buffer.allocUnsafe(wholeBuffer.length * 2);
        wholeBuffer.copy(larger, 0, 0, length);
        wholeBuffer = larger;
      }
      const n = readSync(fd, wholeBuffer, length, wholeBuffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return wholeBuffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/**
 * Local files. Reads are synchronous on purpose: for local files they avoid a thread-pool round
 * trip per file. Small files (nearly all) share one buffer; a larger one gets its own, not kept
 * after; a large file is read in chunks through one reused buffer, without a round trip through
 * the event loop per chunk and without allocating per chunk.
 */
export const localSourceFiles: SourceFiles = {
  expand: withArchivesExpanded,
  readWhole(path, size) {
    return size <= SHARED_READ_LIMIT ? readShared(path) : readFileSync(path);
  },
  forEachChunk(path, onChunk) {
    const fd = openSync(path, 'r');
    try {
      const buffer = Buffer.allocUnsafe(READ_CHUNK);
      for (;;) {
        const n = readSync(fd, buffer, 0, READ_CHUNK, null);
        if (n === 0) break;
        onChunk(buffer.subarray(0, n));
      }
    } finally {
      closeSync(fd);
    }
  },
  readOrNull(path) {
    return readFile(path).catch(() => null);
  },
  discard(path) {
    return rm(path, { force: true });
  },
};
