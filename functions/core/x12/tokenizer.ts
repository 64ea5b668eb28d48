import { X12Error } from './errors.ts';

/** The delimiters of one interchange, read from its ISA segment. */
export interface Delimiters {
  element: string;
  component: string;
  segment: string;
  /** ISA11 when the version is 00402 or later; `null` in 4010, where ISA11 is the standards id `U`. */
  repetition: string | null;
}

/** Receives each segment as its elements (index 0 is the segment id) with its 1-based position in the file. */
export type SegmentSink = (elements: string[], segmentIndex: number, delimiters: Delimiters) => void;

/**
 * Receives each segment as a range of a buffer (`buffer.slice(start, end)` is the segment text,
 * trimmed), so a consumer can skip segments it does not need without allocating anything, and
 * read the ones it needs in place (or note their separators with `separatorsOf`).
 */
export type RawSegmentSink = (
  buffer: string,
  start: number,
  end: number,
  segmentIndex: number,
  delimiters: Delimiters,
) => void;

/** A segment longer than this is malformed (a runaway element or a missing terminator). */
export const MAX_SEGMENT_LENGTH = 64 * 1024;

/** How much text may precede the first ISA before the file is judged not to be X12. */
const MAX_PREAMBLE = 64 * 1024;

const ISA_ELEMENTS = 16;

/**
 * Separator positions noted by `separatorsOf`. One array serves every reader: it is filled and
 * read within a single synchronous segment call, and a longer segment fails before it is emitted.
 */
export const SEPARATORS = new Int32Array(MAX_SEGMENT_LENGTH + 2);

/**
 * Notes the positions of the element separators (character code `separator`) of
 * `buf.slice(start, end)` in `SEPARATORS`; returns how many. Element k then runs from
 * `SEPARATORS[k - 1] + 1` (or `start`) to `SEPARATORS[k]` (or `end`). Valid until the next call.
 */
export function separatorsOf(buf: string, start: number, end: number, separator: number): number {
  const separators = SEPARATORS;
  let count = 0;
  for (let i = start; i < end; i++) if (buf.charCodeAt(i) === separator) separators[count++] = i;
  return count;
}

/**
 * Streaming X12 scanner. Feed text with `write` (any chunking), then call `end`.
 * Delimiters are detected per interchange from its ISA (DOMAIN.md section 1), so files that
 * concatenate interchanges with different delimiters read correctly. A bare transaction set
 * (a file that starts at ST, as some payer portals deliver) is read with delimiters inferred
 * from the ST segment. Throws only `X12Error`.
 */
export class X12Scanner {
  private buffer = '';
  private delimiters: Delimiters | null = null;
  private segmentIndex = 0;
  private sawInterchange = false;
  private started = false;
  /** Bytes of an incomplete UTF-8 sequence at the end of the last `writeBytes` chunk. */
  private pendingBytes: Uint8Array | null = null;

  constructor(
    private readonly file: string,
    private readonly sink: RawSegmentSink,
  ) {}

  /** Adds text and emits every complete segment in it. */
  write(chunk: string): void {
    if (!this.started) {
      if (chunk.length === 0) return;
      this.started = true;
      // A UTF-8 byte order mark stays in the buffer (before the ISA, like any preamble): cutting
      // it off would make the whole text a sliced string, which is slower to scan.
      const first = chunk.charCodeAt(chunk.charCodeAt(0) === 0xfeff ? 1 : 0);
      if (first === 0xfffd || first === 0xfffe) {
        throw new X12Error('UNSUPPORTED_ENCODING', 'file is not ASCII/UTF-8 (UTF-16 byte order mark)', {
          file: this.file,
        });
      }
    }
    this.buffer = this.buffer.length === 0 ? chunk : this.buffer + chunk;
    this.drain(false);
  }

  /**
   * Adds bytes (UTF-8) and emits every complete segment in them. Each call decodes the unread
   * rest of the last chunk together with this one into one new string, so the scanner always
   * reads a flat string (a string built by concatenation reads slower, character by character).
   */
  writeBytes(chunk: Uint8Array): void {
    const rest = this.buffer.length > 0 ? Buffer.from(this.buffer, 'utf8') : null;
    const parts = [rest, this.pendingBytes, chunk].filter((p): p is Uint8Array => p !== null && p.length > 0);
    const bytes = parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts);
    // An incomplete UTF-8 sequence at the end waits for the rest of it in the next chunk.
    const end = completeUtf8(bytes);
    // A copy: the caller may reuse its buffer after this call.
    this.pendingBytes = end < bytes.length ? Uint8Array.prototype.slice.call(bytes, end) : null;
    this.buffer = '';
    this.write(Buffer.from(bytes.buffer, bytes.byteOffset, end).toString('utf8'));
  }

  /** Flushes the last segment (a missing final terminator is tolerated). */
  end(): void {
    if (this.pendingBytes !== null) {
      // A truncated UTF-8 sequence at the very end: decoded as it is (U+FFFD).
      const tail = Buffer.from(this.pendingBytes).toString('utf8');
      this.pendingBytes = null;
      this.write(tail);
    }
    this.drain(true);
    const rest = this.buffer.trim();
    if (rest.length > 0) {
      if (this.delimiters === null) {
        this.noEnvelope(rest);
      }
      const delimiters = this.delimiters as Delimiters;
      this.emit(rest, 0, rest.length, delimiters);
    } else if (!this.sawInterchange && this.segmentIndex === 0) {
      throw new X12Error('EMPTY', 'file holds no X12 segments', { file: this.file });
    }
    this.buffer = '';
  }

  private drain(atEnd: boolean): void {
    let buf = this.buffer;
    let pos = 0;
    for (;;) {
      if (this.delimiters === null) {
        // The buffer is not cut at the IEA: scanning a sliced string char by char is much slower.
        this.buffer = buf;
        const found = this.detect(pos, atEnd);
        if (found === null) return;
        buf = this.buffer;
        pos = found;
      }
      const delimiters = this.delimiters as unknown as Delimiters;
      const next =
        delimiters.segment.length === 1
          ? this.scanSegments(buf, pos, delimiters)
          : this.scanSegmentsMultiCharTerminator(buf, pos, delimiters);
      if (next < 0) {
        // Everything up to -next - 1 is read; the rest waits for more text.
        const rest = -next - 1;
        if (buf.length - rest > MAX_SEGMENT_LENGTH) this.tooLong(buf.length - rest);
        this.buffer = rest === 0 ? buf : buf.slice(rest);
        return;
      }
      // An IEA ended at `next`: the next interchange may use other delimiters, read from its ISA.
      this.delimiters = null;
      pos = next;
    }
  }

  /**
   * Emits the segments of `buf` from `pos`. Returns the position after an IEA (delimiters must be
   * read again), or −(p + 1) where p is the start of the unterminated rest.
   */
  private scanSegments(buf: string, pos: number, delimiters: Delimiters): number {
    const terminator = delimiters.segment;
    let start = pos;
    for (;;) {
      // indexOf is a native search, several times faster than a loop over the characters; the
      // element separators are left to the reader, which needs them only in the segments it reads.
      const end = buf.indexOf(terminator, start);
      if (end === -1) return -(start + 1);
      if (end - start > MAX_SEGMENT_LENGTH) this.tooLong(end - start);
      const iea = this.emit(buf, start, end, delimiters);
      start = end + 1;
      if (iea) return start;
    }
  }

  /** `scanSegments` for a two-character terminator (`\r\n`), found with indexOf. */
  private scanSegmentsMultiCharTerminator(buf: string, pos: number, delimiters: Delimiters): number {
    const terminator = delimiters.segment;
    for (;;) {
      const end = buf.indexOf(terminator, pos);
      if (end === -1) return -(pos + 1);
      const start = pos;
      pos = end + terminator.length;
      if (end - start > MAX_SEGMENT_LENGTH) this.tooLong(end - start);
      if (this.emit(buf, start, end, delimiters)) return pos;
    }
  }

  /** Emits one segment (trimmed of surrounding whitespace); returns true when it was an IEA. */
  private emit(buf: string, from: number, to: number, delimiters: Delimiters): boolean {
    let start = from;
    let end = to;
    while (start < end && buf.charCodeAt(start) <= 32) start++;
    while (end > start) {
      const c = buf.charCodeAt(end - 1);
      if (c !== 10 && c !== 13) break;
      end--;
    }
    if (start === end) return false;
    this.segmentIndex++;
    this.sink(buf, start, end, this.segmentIndex, delimiters);
    return (
      end - start >= 3 &&
      buf.charCodeAt(start) === 73 /* I */ &&
      buf.charCodeAt(start + 1) === 69 /* E */ &&
      buf.charCodeAt(start + 2) === 65 /* A */ &&
      (end - start === 3 || buf[start + 3] === delimiters.element)
    );
  }

  /**
   * Finds the next ISA in the buffer from `base` and reads the delimiters from it. Returns the
   * buffer position where the ISA segment starts, or null when more text is needed (the buffer
   * then holds only the text from `base`).
   */
  private detect(base: number, atEnd: boolean): number | null {
    let buf = this.buffer;
    let start = -1;
    let from = base;
    for (;;) {
      const at = buf.indexOf('ISA', from);
      if (at === -1) break;
      const sep = buf.charCodeAt(at + 3);
      const before = at === base ? 32 : buf.charCodeAt(at - 1);
      if (!Number.isNaN(sep) && !isAlphanumeric(sep) && !isAlphanumeric(before) && sep > 32) {
        start = at;
        break;
      }
      if (Number.isNaN(sep) && !atEnd) {
        this.buffer = base === 0 ? buf : buf.slice(base);
        return null;
      }
      from = at + 3;
    }
    if (start === -1) {
      buf = base === 0 ? buf : buf.slice(base);
      this.buffer = buf;
      const head = buf.trimStart();
      if (!this.sawInterchange && this.segmentIndex === 0 && /^ST[^A-Za-z0-9\s]/.test(head)) {
        // Inferred delimiters need the whole transaction in view (SVC shows the component separator).
        if (!atEnd && buf.length < MAX_PREAMBLE) return null;
        return this.bareTransaction(buf.length - head.length);
      }
      if (atEnd || buf.length > MAX_PREAMBLE) {
        if (this.sawInterchange) {
          // Trailing text after the last IEA: tolerated only when it is whitespace or transport
          // padding (NUL fill of fixed-block transfers, a DOS Ctrl-Z end-of-file mark).
          if (/^[\s\x00\x1a]*$/.test(buf)) {
            this.buffer = '';
            return null;
          }
          throw new X12Error('UNEXPECTED_SEGMENT', 'text after the last IEA is not an interchange', {
            file: this.file,
            segmentIndex: this.segmentIndex + 1,
          });
        }
        this.noEnvelope(buf);
      }
      return null;
    }
    if (this.sawInterchange && buf.slice(base, start).trim().length > 0) {
      throw new X12Error('UNEXPECTED_SEGMENT', 'text between interchanges (missing IEA?)', {
        file: this.file,
        segmentIndex: this.segmentIndex + 1,
      });
    }
    const element = buf[start + 3] as string;
    let p = start + 3;
    let count = 0;
    const limit = Math.min(buf.length, start + 400);
    while (p < limit && count < ISA_ELEMENTS) {
      if (buf[p] === element) count++;
      p++;
    }
    // p is now just past the 16th separator: ISA16 (component separator) then the terminator.
    if (count < ISA_ELEMENTS || p + 1 >= buf.length) {
      if (!atEnd && buf.length < start + 400) {
        this.buffer = base === 0 ? buf : buf.slice(base);
        return null;
      }
      throw new X12Error('BAD_ISA', 'ISA segment is truncated or does not have 16 elements', {
        file: this.file,
        segmentIndex: this.segmentIndex + 1,
        segmentId: 'ISA',
      });
    }
    const component = buf[p] as string;
    let segment = buf[p + 1] as string;
    // A `\r` terminator may be the first half of `\r\n` still in the next chunk.
    if (segment === '\r' && p + 2 >= buf.length && !atEnd) {
      this.buffer = base === 0 ? buf : buf.slice(base);
      return null;
    }
    if (segment === '\r' && buf[p + 2] === '\n') segment = '\r\n';
    if (component === element || segment === element || isAlphanumericChar(segment)) {
      throw new X12Error('BAD_ISA', 'ISA16 component separator or segment terminator is invalid', {
        file: this.file,
        segmentIndex: this.segmentIndex + 1,
        segmentId: 'ISA',
        element: 'ISA16',
      });
    }
    const fields = buf.slice(start, p).split(element);
    const version = (fields[12] ?? '').trim();
    const repetitionField = (fields[11] ?? '').trim();
    const repetition =
      version >= '00402' && repetitionField.length === 1 && !isAlphanumericChar(repetitionField)
        ? repetitionField
        : null;
    this.delimiters = { element, component, segment, repetition };
    this.sawInterchange = true;
    return start;
  }

  /** Infers delimiters for a file that starts at ST (no ISA envelope). */
  private bareTransaction(start: number): number {
    const buf = this.buffer;
    const element = buf[start + 2] as string;
    // The terminator is the first character after ST01/ST02 that is not part of an element value.
    let p = start + 3;
    while (p < buf.length && /[A-Za-z0-9 ]/.test(buf[p] as string)) p++;
    if (buf[p] === element) {
      p++;
      while (p < buf.length && /[A-Za-z0-9 ]/.test(buf[p] as string)) p++;
      if (buf[p] === element) {
        p++;
        while (p < buf.length && /[A-Za-z0-9. ]/.test(buf[p] as string)) p++;
      }
    }
    let segment = buf[p];
    if (segment === undefined) {
      throw new X12Error('NO_ISA', 'no ISA envelope and no segment terminator after ST', { file: this.file });
    }
    if (segment === '\r' && buf[p + 1] === '\n') segment = '\r\n';
    const svc = new RegExp(`SVC\\${element}(?:HC|NU|AD|ER|IV|N4|WK|ZZ)([^A-Za-z0-9])`).exec(buf);
    const component = svc?.[1] ?? ':';
    this.delimiters = { element, component, segment, repetition: null };
    this.sawInterchange = true;
    return start;
  }

  private noEnvelope(text: string): never {
    if (text.trim().length === 0) {
      throw new X12Error('EMPTY', 'file holds no X12 segments', { file: this.file });
    }
    const printable = /^[\x09\x0a\x0d\x20-\x7e\u00a0-\uffff]*$/.test(text.slice(0, 512));
    if (!printable) {
      throw new X12Error('UNSUPPORTED_ENCODING', 'file is not X12 text (binary or UTF-16 content)', {
        file: this.file,
      });
    }
    throw new X12Error('NO_ISA', 'no ISA interchange header found', { file: this.file });
  }

  private tooLong(length: number): never {
    throw new X12Error(
      'SEGMENT_TOO_LONG',
      `segment of ${length} characters exceeds ${MAX_SEGMENT_LENGTH} (missing terminator or runaway element)`,
      { file: this.file, segmentIndex: this.segmentIndex + 1 },
    );
  }
}

/** Length of `bytes` without an incomplete UTF-8 sequence at its end. */
function completeUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = n - 1;
  // Step back over continuation bytes (10xxxxxx) to the sequence's lead byte, at most three.
  while (i >= 0 && n - i <= 3 && ((bytes[i] as number) & 0xc0) === 0x80) i--;
  if (i < 0) return n;
  const lead = bytes[i] as number;
  const length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return n - i < length ? i : n;
}

function isAlphanumeric(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

function isAlphanumericChar(ch: string): boolean {
  return isAlphanumeric(ch.charCodeAt(0));
}

/** Streaming X12 tokenizer: an `X12Scanner` that hands each segment over split into elements. */
export class X12Tokenizer {
  private readonly scanner: X12Scanner;

  constructor(file: string, sink: SegmentSink) {
    this.scanner = new X12Scanner(file, (buffer, start, end, index, delimiters) =>
      sink(buffer.slice(start, end).split(delimiters.element), index, delimiters),
    );
  }

  /** Adds text and emits every complete segment in it. */
  write(chunk: string): void {
    this.scanner.write(chunk);
  }

  /** Flushes the last segment (a missing final terminator is tolerated). */
  end(): void {
    this.scanner.end();
  }
}

/** Tokenizes a whole text at once; convenient for tests and small files. */
export function tokenize(
  file: string,
  text: string,
): { elements: string[]; index: number; delimiters: Delimiters }[] {
  const out: { elements: string[]; index: number; delimiters: Delimiters }[] = [];
  const tokenizer = new X12Tokenizer(file, (elements, index, delimiters) => {
    out.push({ elements, index, delimiters });
  });
  tokenizer.write(text);
  tokenizer.end();
  return out;
}
