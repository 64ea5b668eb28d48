import { isAscii } from 'node:buffer';
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
 * The text being scanned, as the scanner hands it to a sink: its bytes as read (UTF-8), and the
 * same bytes as a string of one character per byte (`text`, decoded as latin1), so that a
 * position means the same in both. Readers compare `bytes` (a typed array read costs less than
 * `charCodeAt`) and find segments in `text` with `indexOf`; `slice` gives a range as text,
 * decoded as UTF-8. Delimiters are ASCII, so they never fall inside a multi-byte character.
 */
export class ScanBuffer {
  /** The same bytes, for reading four at a time (`getInt32(at, true)`: the first in the low byte). */
  readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly text: string,
    /** True when every byte is ASCII (`text` is then the decoded text itself). */
    readonly ascii: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  static of(bytes: Uint8Array): ScanBuffer {
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    // The readers see one kind of array, a plain Uint8Array (a Buffer is a subclass with its own
    // map): their byte reads then check one map, not two.
    const plain =
      Object.getPrototypeOf(bytes) === Uint8Array.prototype
        ? bytes
        : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    return new ScanBuffer(plain, view.toString('latin1'), isAscii(bytes));
  }

  /** The buffer of a text: its UTF-8 bytes. */
  static ofText(text: string): ScanBuffer {
    return ScanBuffer.of(Buffer.from(text, 'utf8'));
  }

  /** The text of bytes [start, end), decoded as UTF-8. */
  slice(start: number, end: number): string {
    if (!this.ascii) {
      const bytes = this.bytes;
      for (let i = start; i < end; i++) {
        if ((bytes[i] as number) >= 128) {
          return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
        }
      }
    }
    return this.text.slice(start, end);
  }
}

/**
 * Receives each segment as a range of the scanner's buffer (`buffer.slice(start, end)` is the
 * segment text, trimmed), so a consumer can skip segments it does not need without allocating
 * anything, and read the ones it needs in place (or note their separators with `separatorsOf`).
 * Returns true when the segment was an IEA (the sink reads every segment's id anyway): the
 * interchange ends there, and the next one's ISA gives its delimiters.
 */
export type RawSegmentSink = (
  buffer: ScanBuffer,
  start: number,
  end: number,
  segmentIndex: number,
  delimiters: Delimiters,
  /** The element separator's character code (`delimiters.element`), for readers that compare bytes. */
  separator: number,
) => boolean;

/**
 * Reads many segments in one call, in place of the scanner's per-segment loop (the 835 reader,
 * whose lexer reads a run of segments at a time): the complete segments of `source` from `pos`
 * on, numbered from `index + 1`. Returns the position after an IEA (the interchange ends there),
 * or −(p + 1) where p starts the unterminated rest; `lastSegmentIndex` is then the number of the
 * last segment read. A segment longer than MAX_SEGMENT_LENGTH throws `segmentTooLong`.
 */
export interface SegmentBatchReader {
  readSegments(source: ScanBuffer, pos: number, delimiters: Delimiters, index: number): number;
  readonly lastSegmentIndex: number;
}

/** A segment longer than this many bytes is malformed (a runaway element or a missing terminator). */
export const MAX_SEGMENT_LENGTH = 64 * 1024;

/** The error for a segment of `length` bytes, longer than MAX_SEGMENT_LENGTH. */
export function segmentTooLong(file: string, length: number, segmentIndex: number): X12Error {
  return new X12Error(
    'SEGMENT_TOO_LONG',
    `segment of ${length} bytes exceeds ${MAX_SEGMENT_LENGTH} (missing terminator or runaway element)`,
    { file, segmentIndex },
  );
}

/** How much text may precede the first ISA before the file is judged not to be X12. */
const MAX_PREAMBLE = 64 * 1024;

const ISA_ELEMENTS = 16;

/**
 * Separator positions noted by `separatorsOf`. One array serves every reader: it is filled and
 * read within a single synchronous segment call, and a longer segment fails before it is emitted.
 */
export const SEPARATORS = new Int32Array(MAX_SEGMENT_LENGTH + 2);

/**
 * Notes the positions of the element separators (character code `separator`) of bytes
 * [start, end) in `SEPARATORS`; returns how many. Element k then runs from
 * `SEPARATORS[k - 1] + 1` (or `start`) to `SEPARATORS[k]` (or `end`). Valid until the next call.
 */
export function separatorsOf(source: ScanBuffer, start: number, end: number, separator: number): number {
  const separators = SEPARATORS;
  const view = source.view;
  const pattern = separator * 0x01010101;
  let count = 0;
  let i = start;
  // Four bytes at a time: a byte equal to the separator is a zero byte of x.
  for (; i + 4 <= end; i += 4) {
    const x = view.getInt32(i, true) ^ pattern;
    // 0x80 in exactly the zero bytes of x (no carry crosses a byte).
    let zero = ~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x | 0x7f7f7f7f);
    while (zero !== 0) {
      separators[count++] = i + ((31 - Math.clz32(zero & -zero)) >> 3);
      zero &= zero - 1;
    }
  }
  const bytes = source.bytes;
  for (; i < end; i++) if (bytes[i] === separator) separators[count++] = i;
  return count;
}

/**
 * Streaming X12 scanner. Feed bytes with `writeBytes` (or text with `write`), in any chunking,
 * then call `end`. Delimiters are detected per interchange from its ISA (DOMAIN.md section 1), so
 * files that concatenate interchanges with different delimiters read correctly. A bare
 * transaction set (a file that starts at ST, as some payer portals deliver) is read with
 * delimiters inferred from the ST segment. Segments go to the sink one by one, or, when a batch
 * reader is given, in runs to it (the sink then sees only a last segment with no terminator).
 * Throws only `X12Error`.
 */
export class X12Scanner {
  /** The buffer being scanned: the unread rest of the last chunk joined with the new one. */
  private source = EMPTY_BUFFER;
  /** Where the unread text begins in `source`. */
  private unread = 0;
  /** The unread bytes kept between writes (a copy: a caller may reuse its chunk). */
  private rest: Uint8Array = EMPTY_BYTES;
  private delimiters: Delimiters | null = null;
  private segmentIndex = 0;
  private sawInterchange = false;
  private encodingChecked = false;

  constructor(
    private readonly file: string,
    private readonly sink: RawSegmentSink,
    private readonly batch?: SegmentBatchReader,
  ) {}

  /** Adds text and emits every complete segment in it. */
  write(chunk: string): void {
    if (chunk.length > 0) this.writeBytes(Buffer.from(chunk, 'utf8'));
  }

  /**
   * Adds bytes (UTF-8) and emits every complete segment in them. The unread rest of the last
   * chunk and this one are joined into one buffer, whose text is one flat string.
   */
  writeBytes(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const rest = this.rest;
    const bytes = rest.length === 0 ? chunk : concatBytes(rest, chunk);
    this.scan(bytes, false);
    const unread = this.source.bytes.subarray(this.unread);
    this.rest = bytes === chunk ? unread.slice() : unread;
    this.source = EMPTY_BUFFER;
    this.unread = 0;
  }

  /** Flushes the last segment (a missing final terminator is tolerated). */
  end(): void {
    const bytes = this.rest;
    this.rest = EMPTY_BYTES;
    this.scan(bytes, true);
    const rest = this.source.slice(this.unread, this.source.bytes.length).trim();
    this.source = EMPTY_BUFFER;
    this.unread = 0;
    if (rest.length > 0) {
      if (this.delimiters === null) {
        this.noEnvelope(rest);
      }
      const delimiters = this.delimiters as Delimiters;
      const last = ScanBuffer.ofText(rest);
      this.emit(last, 0, last.bytes.length, delimiters);
    } else if (!this.sawInterchange && this.segmentIndex === 0) {
      throw new X12Error('EMPTY', 'file holds no X12 segments', { file: this.file });
    }
  }

  /** Emits every complete segment of `bytes`; `source` and `unread` then hold what is left. */
  private scan(bytes: Uint8Array, atEnd: boolean): void {
    if (!this.encodingChecked && (bytes.length >= 6 || atEnd)) {
      this.encodingChecked = true;
      this.checkEncoding(bytes);
    }
    this.source = ScanBuffer.of(bytes);
    this.unread = 0;
    this.drain(atEnd);
  }

  /**
   * UTF-16 is refused up front: its byte order mark (FF FE or FE FF), or that mark as a UTF-8
   * decoder would have left it (U+FFFD, U+FFFE), after an optional UTF-8 byte order mark.
   */
  private checkEncoding(bytes: Uint8Array): void {
    const at = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    const b0 = bytes[at];
    const b1 = bytes[at + 1];
    const utf16 =
      b0 === 0xff ||
      b0 === 0xfe ||
      (b0 === 0xef && b1 === 0xbf && (bytes[at + 2] === 0xbd || bytes[at + 2] === 0xbe));
    if (utf16) {
      // Only FF FE / FE FF is a byte order mark; other such starts (a JPEG's FF D8) are binary.
      const bom = (b0 === 0xff && b1 === 0xfe) || (b0 === 0xfe && b1 === 0xff);
      const reason = bom
        ? 'file is not ASCII/UTF-8 (UTF-16 byte order mark)'
        : 'file is not ASCII/UTF-8 text (binary content, or UTF-16)';
      throw new X12Error('UNSUPPORTED_ENCODING', reason, { file: this.file });
    }
  }

  private drain(atEnd: boolean): void {
    const source = this.source;
    const buf = source.text;
    let pos = this.unread;
    for (;;) {
      if (this.delimiters === null) {
        const found = this.detect(pos, atEnd);
        if (found === null) return;
        pos = found;
      }
      const delimiters = this.delimiters as unknown as Delimiters;
      const next =
        this.batch !== undefined
          ? this.readBatch(this.batch, source, pos, delimiters)
          : this.scanSegments(source, pos, delimiters);
      if (next < 0) {
        // Everything up to -next - 1 is read; the rest waits for more text.
        const rest = -next - 1;
        if (buf.length - rest > MAX_SEGMENT_LENGTH) this.tooLong(buf.length - rest);
        this.unread = rest;
        return;
      }
      // An IEA ended at `next`: the next interchange may use other delimiters, read from its ISA.
      this.delimiters = null;
      pos = next;
    }
  }

  /**
   * Emits the segments of `source` from `pos`. Returns the position after an IEA (delimiters must
   * be read again), or −(p + 1) where p is the start of the unterminated rest. This loop is the
   * hot path: it trims and hands over each segment itself (no call per segment but the sink's).
   */
  private scanSegments(source: ScanBuffer, pos: number, delimiters: Delimiters): number {
    const buf = source.text;
    const bytes = source.bytes;
    const terminator = delimiters.segment;
    // One character (`~`), or two (`\r\n`).
    const step = terminator.length;
    const separator = delimiters.element.charCodeAt(0);
    const sink = this.sink;
    const maxLength = MAX_SEGMENT_LENGTH;
    let start = pos;
    for (;;) {
      // indexOf is a native search, several times faster than a loop over the characters; the
      // element separators are left to the reader, which needs them only in the segments it reads.
      const end = buf.indexOf(terminator, start);
      if (end === -1) return -(start + 1);
      if (end - start > maxLength) this.tooLong(end - start);
      const from = firstNonBlank(bytes, start, end);
      const to = lastNonNewline(bytes, from, end);
      start = end + step;
      if (from < to) {
        this.segmentIndex++;
        // The sink tells an IEA (it reads every segment's id anyway).
        if (sink(source, from, to, this.segmentIndex, delimiters, separator)) return start;
      }
    }
  }

  /** `scanSegments` done by the batch reader: it numbers the segments it reads. */
  private readBatch(
    batch: SegmentBatchReader,
    source: ScanBuffer,
    pos: number,
    delimiters: Delimiters,
  ): number {
    const next = batch.readSegments(source, pos, delimiters, this.segmentIndex);
    this.segmentIndex = batch.lastSegmentIndex;
    return next;
  }

  /** Emits one segment (trimmed of surrounding whitespace); returns true when it was an IEA. */
  private emit(source: ScanBuffer, start: number, end: number, delimiters: Delimiters): boolean {
    const bytes = source.bytes;
    const separator = delimiters.element.charCodeAt(0);
    const from = firstNonBlank(bytes, start, end);
    const to = lastNonNewline(bytes, from, end);
    if (from === to) return false;
    this.segmentIndex++;
    return this.sink(source, from, to, this.segmentIndex, delimiters, separator);
  }

  /**
   * Finds the next ISA in the buffer from `base` and reads the delimiters from it. Returns the
   * buffer position where the ISA segment starts, or null when more text is needed (`unread`
   * then marks the text kept for it).
   */
  private detect(base: number, atEnd: boolean): number | null {
    const source = this.source;
    const buf = source.text;
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
        this.unread = base;
        return null;
      }
      from = at + 3;
    }
    if (start === -1) {
      this.unread = base;
      const head = skipBlank(buf, base);
      if (
        !this.sawInterchange &&
        this.segmentIndex === 0 &&
        /^ST[^A-Za-z0-9\s]/.test(buf.slice(head, head + 3))
      ) {
        // Inferred delimiters need the whole transaction in view (SVC shows the component separator).
        if (!atEnd && buf.length - base < MAX_PREAMBLE) return null;
        return this.bareTransaction(head);
      }
      if (atEnd || buf.length - base > MAX_PREAMBLE) {
        if (this.sawInterchange) {
          // Trailing text after the last IEA: tolerated only when it is whitespace or transport
          // padding (NUL fill of fixed-block transfers, a DOS Ctrl-Z end-of-file mark).
          if (/^[\s\x00\x1a]*$/.test(withoutByteOrderMarks(buf.slice(base)))) {
            this.unread = buf.length;
            return null;
          }
          throw new X12Error('UNEXPECTED_SEGMENT', 'text after the last IEA is not an interchange', {
            file: this.file,
            segmentIndex: this.segmentIndex + 1,
          });
        }
        this.noEnvelope(source.slice(base, buf.length));
      }
      return null;
    }
    if (this.sawInterchange && skipBlank(buf, base) < start) {
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
        this.unread = base;
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
      this.unread = base;
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
    if (element.charCodeAt(0) >= 128 || component.charCodeAt(0) >= 128 || segment.charCodeAt(0) >= 128) {
      throw new X12Error('BAD_ISA', 'ISA delimiters must be ASCII characters', {
        file: this.file,
        segmentIndex: this.segmentIndex + 1,
        segmentId: 'ISA',
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
    const buf = this.source.text;
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
    if (element.charCodeAt(0) >= 128 || component.charCodeAt(0) >= 128 || segment.charCodeAt(0) >= 128) {
      throw new X12Error('NO_ISA', 'no ISA envelope, and the delimiters after ST are not ASCII', {
        file: this.file,
      });
    }
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
    throw segmentTooLong(this.file, length, this.segmentIndex + 1);
  }
}

const EMPTY_BYTES = new Uint8Array(0);
const EMPTY_BUFFER = new ScanBuffer(EMPTY_BYTES, '', true);

/** The first position in [start, end) past leading whitespace and control bytes (`end` if none). */
function firstNonBlank(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end && (bytes[i] as number) <= 32) i++;
  return i;
}

/** `end`, moved back over the line breaks that end the segment (not before `start`). */
function lastNonNewline(bytes: Uint8Array, start: number, end: number): number {
  let i = end;
  while (i > start) {
    const c = bytes[i - 1];
    if (c !== 10 && c !== 13) break;
    i--;
  }
  return i;
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** A UTF-8 byte order mark as the latin1 text of its bytes. */
const BYTE_ORDER_MARK = '\u00ef\u00bb\u00bf';

/** The position of the first character from `from` that is neither whitespace nor a byte order mark. */
function skipBlank(text: string, from: number): number {
  let at = from;
  for (;;) {
    const c = text.charCodeAt(at);
    if (c === 32 || (c >= 9 && c <= 13)) at++;
    else if (c === 0xef && text.startsWith(BYTE_ORDER_MARK, at)) at += 3;
    else return at;
  }
}

function withoutByteOrderMarks(text: string): string {
  return text.replaceAll(BYTE_ORDER_MARK, '');
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
    this.scanner = new X12Scanner(file, (buffer, start, end, index, delimiters) => {
      const elements = buffer.slice(start, end).split(delimiters.element);
      sink(elements, index, delimiters);
      return elements[0] === 'IEA';
    });
  }

  /** Adds text and emits every complete segment in it. */
  write(chunk: string): void {
    this.scanner.write(chunk);
  }

  /** Adds bytes (UTF-8) and emits every complete segment in them. */
  writeBytes(chunk: Uint8Array): void {
    this.scanner.writeBytes(chunk);
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
