import { randomUUID } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { ArchiveError, type SourceInput as ArchiveInput, ENTRY_SEPARATOR } from '../ports/sourceFiles.ts';

/**
 * Compressed deliveries: a `.gz` file is read decompressed, and each entry of a `.zip` is read as a
 * file of its own, ingested or quarantined alone. Entries are extracted one at a time to a scratch
 * file (streamed, so memory stays flat), checked against their CRC-32 and size, and removed once
 * the next is asked for. An entry is named `<archive key>!/<entry path>`.
 */

/** Archives inside archives are opened this deep, no deeper. */
const MAX_DEPTH = 3;

/** The kind of archive a file name says it is, or null. */
export function archiveKind(name: string): 'gzip' | 'zip' | null {
  const lower = name.toLowerCase();
  if (lower.endsWith('.gz')) return 'gzip';
  if (lower.endsWith('.zip')) return 'zip';
  return null;
}

/**
 * Every input, with each archive replaced by its entries (extracted under `scratch`). A plain file
 * is yielded as it is. An entry's scratch file lives until the next item is asked for; stopping
 * early removes it too. An archive that cannot be opened is yielded itself, marked unreadable.
 * `onChange` hears how the bytes and the files to read change (+ an entry's size, − its archive's
 * size once all of it is read; + the entries an archive holds, − the archive), so progress can
 * be counted in the bytes and files actually read.
 */
export async function* withArchivesExpanded<T extends ArchiveInput>(
  inputs: Iterable<T>,
  scratch: string = tmpdir(),
  onChange: (bytes: number, files: number) => void = () => {},
): AsyncGenerator<T | ArchiveInput> {
  let dir: string | null = null;
  const folder = () => {
    if (dir === null) {
      dir = join(scratch, `unpacked-${randomUUID()}`);
      mkdirSync(dir, { recursive: true });
    }
    return dir;
  };
  try {
    for (const input of inputs) {
      if (archiveKind(input.key) === null) yield input;
      else yield* expand(input, folder, 1, onChange);
    }
  } finally {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
  }
}

async function* expand(
  archive: ArchiveInput,
  folder: () => string,
  depth: number,
  onChange: (bytes: number, files: number) => void,
): AsyncGenerator<ArchiveInput> {
  const kind = archiveKind(archive.key);
  if (kind === null || depth > MAX_DEPTH) {
    yield archive;
    return;
  }
  let entries: ArchiveEntry[];
  if (kind === 'gzip') {
    const name = basename(archive.key).slice(0, -3) || 'data';
    entries = [{ name, extract: (to) => gunzipTo(archive.path, to) }];
  } else {
    try {
      entries = readZipDirectory(archive.path, archive.size);
    } catch (error) {
      yield { ...archive, unreadable: new ArchiveError(archive.key, reasonOf(error)) };
      return;
    }
  }
  // The archive is read as its entries.
  onChange(0, entries.length - 1);
  // Entries that cannot be extracted are reported together, once the others are read: the
  // quarantine then keeps the archive itself, under its own name, beside one reason naming them.
  const failed: string[] = [];
  for (const [i, entry] of entries.entries()) {
    const key = `${archive.key}${ENTRY_SEPARATOR}${entry.name}`;
    const to = join(folder(), `${depth}-${i}-${basename(entry.name).replace(/[^A-Za-z0-9._-]/g, '_')}`);
    let size: number;
    try {
      if (entry.problem !== undefined) throw new Error(entry.problem);
      size = await entry.extract(to);
    } catch (error) {
      rmSync(to, { force: true });
      onChange(0, -1);
      failed.push(
        kind === 'gzip' ? `not readable gzip data: ${reasonOf(error)}` : `${entry.name}: ${reasonOf(error)}`,
      );
      continue;
    }
    onChange(size, 0);
    try {
      yield* expand({ path: to, key, size }, folder, depth + 1, onChange);
    } finally {
      rmSync(to, { force: true });
    }
  }
  if (failed.length > 0) {
    onChange(archive.size, 1);
    const reason =
      kind === 'gzip'
        ? (failed[0] as string)
        : `${failed.length} of ${entries.length} zip entries could not be read` +
          `${failed.length < entries.length ? ' (the others were)' : ''}: ${failed.join('; ')}`;
    yield { ...archive, unreadable: new ArchiveError(archive.key, reason.slice(0, 1000)) };
  }
  onChange(-archive.size, 0);
}

function reasonOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 300);
}

/** One file of an archive: its name, and how to write it out (returning its size). */
interface ArchiveEntry {
  name: string;
  /** Why it cannot be extracted (encrypted, an unsupported method), when it cannot. */
  problem?: string;
  extract: (to: string) => Promise<number>;
}

/** Decompresses a gzip file (every member of it) to `to`; returns the size written. */
async function gunzipTo(path: string, to: string): Promise<number> {
  const counter = new Counter();
  await pipeline(createReadStream(path), zlib.createGunzip(), counter, createWriteStream(to));
  return counter.bytes;
}

/** Counts (and CRC-32s) the bytes going through; stops past `limit`. */
class Counter extends Transform {
  bytes = 0;
  crc = 0;

  constructor(private readonly limit = Number.POSITIVE_INFINITY) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      done(new Error(`data runs past the ${this.limit} bytes the archive declares`));
      return;
    }
    this.crc = crc32(chunk, this.crc);
    done(null, chunk);
  }
}

// ---------- zip: the central directory, read with a few positioned reads ----------

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** Reads `length` bytes at `position` of an open file; throws when the file is shorter. */
function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buffer, got, length - got, position + got);
    if (n === 0) throw new Error('the archive is truncated');
    got += n;
  }
  return buffer;
}

/** The entries of a zip file, from its central directory (zip64 included). */
function readZipDirectory(path: string, size: number): ArchiveEntry[] {
  const fd = openSync(path, 'r');
  try {
    // The end-of-central-directory record: 22 bytes, then a comment of up to 65535.
    const tailLength = Math.min(size, 22 + 65535);
    const tail = readAt(fd, size - tailLength, tailLength);
    let at = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD) {
        at = i;
        break;
      }
    }
    if (at < 0) throw new Error('not a zip archive (no end of central directory)');
    let count = tail.readUInt16LE(at + 10);
    let cdSize = tail.readUInt32LE(at + 12);
    let cdOffset = tail.readUInt32LE(at + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const locatorAt = size - tailLength + at - 20;
      const locator = readAt(fd, locatorAt, 20);
      if (locator.readUInt32LE(0) !== ZIP64_LOCATOR) throw new Error('zip64 locator missing');
      const record = readAt(fd, Number(locator.readBigUInt64LE(8)), 56);
      if (record.readUInt32LE(0) !== ZIP64_EOCD) throw new Error('zip64 end of central directory missing');
      count = Number(record.readBigUInt64LE(32));
      cdSize = Number(record.readBigUInt64LE(40));
      cdOffset = Number(record.readBigUInt64LE(48));
    }
    if (cdOffset + cdSize > size) throw new Error('the central directory lies past the end of the file');
    const cd = readAt(fd, cdOffset, cdSize);
    const entries: ArchiveEntry[] = [];
    let p = 0;
    for (let n = 0; n < count; n++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL)
        throw new Error(`central directory entry ${n + 1} is damaged`);
      const flags = cd.readUInt16LE(p + 8);
      const method = cd.readUInt16LE(p + 10);
      const crc = cd.readUInt32LE(p + 16);
      let compressed = cd.readUInt32LE(p + 20);
      let uncompressed = cd.readUInt32LE(p + 24);
      const nameLength = cd.readUInt16LE(p + 28);
      const extraLength = cd.readUInt16LE(p + 30);
      const commentLength = cd.readUInt16LE(p + 32);
      let offset = cd.readUInt32LE(p + 42);
      const rawName = cd.subarray(p + 46, p + 46 + nameLength);
      // Bit 11: UTF-8 names; otherwise IBM 437, read here as Latin-1 (ASCII names, the usual case, agree).
      const name = rawName.toString(flags & 0x800 ? 'utf8' : 'latin1');
      const extra = cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength);
      for (let e = 0; e + 4 <= extra.length; ) {
        const id = extra.readUInt16LE(e);
        const length = extra.readUInt16LE(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          // Present in this order, each only when its 32-bit field is 0xFFFFFFFF.
          if (uncompressed === 0xffffffff) {
            uncompressed = Number(extra.readBigUInt64LE(q));
            q += 8;
          }
          if (compressed === 0xffffffff) {
            compressed = Number(extra.readBigUInt64LE(q));
            q += 8;
          }
          if (offset === 0xffffffff) offset = Number(extra.readBigUInt64LE(q));
        }
        e += 4 + length;
      }
      p += 46 + nameLength + extraLength + commentLength;
      if (!isIngestible(name)) continue;
      const problem =
        flags & 0x1
          ? 'it is encrypted; recoup reads unencrypted archives only'
          : method !== 0 && method !== 8
            ? `compression method ${method} is not supported (only stored and deflate); re-pack the archive with deflate`
            : undefined;
      entries.push({
        name,
        ...(problem !== undefined ? { problem } : {}),
        extract: (to) => extractZipEntry(path, { offset, method, compressed, uncompressed, crc }, to),
      });
    }
    return entries;
  } finally {
    closeSync(fd);
  }
}

/** Folders, macOS resource forks and hidden files are not deliveries. */
function isIngestible(name: string): boolean {
  if (name.endsWith('/')) return false;
  if (name.startsWith('__MACOSX/')) return false;
  return !basename(name).startsWith('.');
}

/** Writes one zip entry to `to`, checking its size and CRC-32; returns its size. */
async function extractZipEntry(
  path: string,
  e: { offset: number; method: number; compressed: number; uncompressed: number; crc: number },
  to: string,
): Promise<number> {
  const fd = openSync(path, 'r');
  let dataStart: number;
  try {
    const local = readAt(fd, e.offset, 30);
    if (local.readUInt32LE(0) !== LOCAL) throw new Error('its local header is damaged');
    dataStart = e.offset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  } finally {
    closeSync(fd);
  }
  const counter = new Counter(e.uncompressed);
  const source =
    e.compressed === 0
      ? [Buffer.alloc(0)]
      : createReadStream(path, { start: dataStart, end: dataStart + e.compressed - 1 });
  if (e.method === 8) await pipeline(source, zlib.createInflateRaw(), counter, createWriteStream(to));
  else await pipeline(source, counter, createWriteStream(to));
  if (counter.bytes !== e.uncompressed)
    throw new Error(
      `it holds ${counter.bytes} bytes, the archive declares ${e.uncompressed} (truncated or damaged)`,
    );
  if (counter.crc >>> 0 !== e.crc >>> 0) throw new Error('its CRC-32 does not match (damaged)');
  return counter.bytes;
}

// ---------- CRC-32 (node:zlib has it from Node 20.15; a table for older 20.x) ----------

let table: Uint32Array | null = null;

function tableCrc32(data: Uint8Array, previous = 0): number {
  if (table === null) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = ~previous;
  for (let i = 0; i < data.length; i++)
    crc = (table[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}

const crc32: (data: Uint8Array, previous?: number) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function'
    ? (zlib as unknown as { crc32: (data: Uint8Array, previous?: number) => number }).crc32
    : tableCrc32;
