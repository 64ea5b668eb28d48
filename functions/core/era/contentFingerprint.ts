import { createHash, type Hash } from 'node:crypto';
import type { Delimiters } from '../x12/tokenizer.ts';

/**
 * The content fingerprint of a transaction: SHA-256 of its segments between ST and SE, in a
 * canonical form that leaves out what a re-sent copy changes and keeps everything else.
 *
 * - The envelope is left out: ISA, GS, ST and SE (with their control numbers ISA13, GS06, ST02,
 *   SE02) are not hashed, only the segments between ST and SE; so is the header's production date
 *   (DTM*405), which a re-sent 835 changes (the reader leaves it out).
 * - Delimiters are canonical: each segment is hashed as `~` + its text with the element separator
 *   written `*`, the component separator `:` and the repetition separator `^`, so a copy re-wrapped
 *   with other delimiters hashes alike.
 * - Line breaks between segments and blanks before a segment are left out, as the scanner leaves
 *   them out of the segments (a file written one segment per line hashes as the same file on one
 *   line).
 *
 * Two transactions with the same fingerprint carry the same payment, claims and adjustments: a
 * duplicate. Any changed element (an amount, a claim, a date) changes it.
 *
 * Fed either with byte ranges of the scanner's buffers (`bytes`: the reader's fast path, where
 * the transaction may span many buffers) or with split segments (`segment`): both give the same
 * fingerprint for the same input.
 */
export class ContentFingerprint {
  private hash: Hash | null = null;
  /** Byte class by value (CLASS_*), for the delimiters of the open transaction. */
  private readonly classes = new Uint8Array(256);
  /** True right after a terminator: blanks are the gap between segments, not content. */
  private atSegmentStart = false;
  private delimiters: Delimiters | null = null;
  private delimitersKey = '';
  /** The terminator's byte; true when it is not a line break (the copy drops line breaks). */
  private terminator = TILDE;
  private copies = false;
  /** Each byte as the copy writes it: delimiters as `*` `:` `^` `~`, the rest as is. */
  private readonly map = new Uint8Array(256);
  /** 1 for a byte the copy keeps, 0 for a line break that is no delimiter. */
  private readonly keep = new Uint8Array(256);
  /** A gap for these delimiters: a blank or an empty segment after a terminator (and line breaks). */
  private gap = /$^/;
  private gapTerminator = -1;
  private readonly scratch = new Uint8Array(SCRATCH_BYTES);

  /** True between `begin` and `finish`. */
  get open(): boolean {
    return this.hash !== null;
  }

  /** Starts a transaction's fingerprint (at its ST), for its interchange's delimiters. */
  begin(delimiters: Delimiters): void {
    this.hash = createHash('sha256');
    // Each interchange brings its own Delimiters object: the tables are rebuilt only when the
    // characters differ.
    const key = `${delimiters.element}${delimiters.component}${delimiters.repetition ?? ''}${delimiters.segment}`;
    this.delimiters = delimiters;
    if (this.delimitersKey !== key) {
      this.delimitersKey = key;
      // The scanner's view wins: the terminator ends a segment whatever else the ISA says of its
      // character, and line breaks are never content (the scanner trims them around segments),
      // even when a garbled ISA makes one a separator.
      const segment = delimiters.segment;
      // A two-character terminator is `\r\n`: its last character ends the segment.
      const terminator = segment.charCodeAt(segment.length - 1);
      this.terminator = terminator;
      this.copies = terminator !== 10 && terminator !== 13;
      const element = delimiters.element.charCodeAt(0);
      const component = delimiters.component.charCodeAt(0);
      const repetition = delimiters.repetition === null ? -1 : delimiters.repetition.charCodeAt(0);
      const classes = this.classes;
      const map = this.map;
      const keep = this.keep;
      classes.fill(CLASS_COPY);
      keep.fill(1);
      for (let i = 0; i < 256; i++) map[i] = i;
      classes[element] = CLASS_ELEMENT;
      map[element] = STAR;
      classes[component] = CLASS_COMPONENT;
      map[component] = COLON;
      if (repetition !== -1) {
        classes[repetition] = CLASS_REPETITION;
        map[repetition] = CARET;
      }
      for (const lineBreak of [10, 13]) {
        classes[lineBreak] = CLASS_SKIP;
        keep[lineBreak] = 0;
      }
      classes[terminator] = CLASS_TERMINATOR;
      map[terminator] = TILDE;
      keep[terminator] = 1;
      if (terminator !== this.gapTerminator) {
        this.gapTerminator = terminator;
        const t = `\\x${terminator.toString(16).padStart(2, '0')}`;
        this.gap = new RegExp(`${t}[\\r\\n]*[\\x00-\\x09\\x0b\\x0c\\x0e-\\x20${t}]`);
      }
    }
    // The ST's terminator comes first (the byte path starts at the end of the ST segment).
    this.atSegmentStart = false;
  }

  /**
   * Adds the raw bytes [from, to) of the transaction: terminators, gaps and segments. `text` is
   * the same bytes as a latin1 string (the scanner's buffer keeps one). Without blanks between
   * segments (the usual case), the canonical form is a branch-free copy through a table:
   * delimiters mapped, line breaks dropped. Otherwise (or with a line break as the terminator)
   * the mapping loop reads byte by byte.
   */
  bytes(source: { readonly bytes: Uint8Array; readonly text: string }, from: number, to: number): void {
    const hash = this.hash;
    if (hash === null || to <= from) return;
    const bytes = source.bytes;
    if (
      !this.copies ||
      this.gapBefore(source, from, to) ||
      (this.atSegmentStart && startsWithGap(bytes, from, to, this.terminator))
    ) {
      this.mapBytes(hash, bytes, from, to);
      return;
    }
    const keep = this.keep;
    const map = this.map;
    const out = this.scratch;
    let last = -1;
    for (let start = from; start < to; start += SCRATCH_BYTES) {
      const end = Math.min(to, start + SCRATCH_BYTES);
      let j = 0;
      for (let i = start; i < end; i++) {
        const b = bytes[i] as number;
        out[j] = map[b] as number;
        j += keep[b] as number;
      }
      if (j > 0) {
        hash.update(out.subarray(0, j));
        last = out[j - 1] as number;
      }
    }
    if (last !== -1) this.atSegmentStart = last === TILDE;
  }

  /**
   * True when [from, to) holds a gap the copy would keep: a blank or an empty segment after a
   * terminator (line breaks between them aside). Searched in that range only (a slice of the
   * buffer's text is a view, not a copy), so every byte is searched once whatever the calls.
   */
  private gapBefore(source: { readonly text: string }, from: number, to: number): boolean {
    const gap = this.gap;
    gap.lastIndex = 0;
    return gap.test(source.text.slice(from, to));
  }

  /** `bytes` for other delimiters: each byte mapped to the canonical ones, in a loop. */
  private mapBytes(hash: Hash, source: Uint8Array, from: number, to: number): void {
    const classes = this.classes;
    const out = this.scratch;
    let atStart = this.atSegmentStart;
    for (let start = from; start < to; start += SCRATCH_BYTES) {
      const end = Math.min(to, start + SCRATCH_BYTES);
      let j = 0;
      for (let i = start; i < end; i++) {
        const b = source[i] as number;
        switch (classes[b]) {
          case CLASS_COPY:
            if (b > 32 || !atStart) {
              out[j++] = b;
              atStart = false;
            }
            break;
          case CLASS_TERMINATOR:
            // An empty segment (two terminators in a row) is no segment, as the scanner reads it.
            if (!atStart) {
              out[j++] = TILDE;
              atStart = true;
            }
            break;
          case CLASS_ELEMENT:
            out[j++] = STAR;
            atStart = false;
            break;
          case CLASS_COMPONENT:
            out[j++] = COLON;
            atStart = false;
            break;
          case CLASS_REPETITION:
            out[j++] = CARET;
            atStart = false;
            break;
          default:
            break;
        }
      }
      if (j > 0) hash.update(out.subarray(0, j));
    }
    this.atSegmentStart = atStart;
  }

  /**
   * Adds a segment given as its elements (the split path without buffers: tests' reference
   * reader). The ST's own terminator is added by `afterSt`.
   */
  segment(elements: readonly string[]): void {
    const hash = this.hash;
    const d = this.delimiters;
    if (hash === null || d === null) return;
    let text = elements.join('*');
    if (d.component !== ':' || (d.repetition !== null && d.repetition !== '^')) {
      text = elements
        .map((e) => {
          let v = e;
          if (d.component !== ':') v = v.split(d.component).join(':');
          if (d.repetition !== null && d.repetition !== '^') v = v.split(d.repetition).join('^');
          return v;
        })
        .join('*');
    }
    // Line breaks inside a damaged segment are left out, as the byte path leaves them out.
    if (text.includes('\n') || text.includes('\r')) text = text.replace(/[\r\n]/g, '');
    hash.update(text, 'utf8');
    hash.update('~');
    this.atSegmentStart = true;
  }

  /** The ST's terminator, for the split path (the byte path reads it from the buffer). */
  afterSt(): void {
    if (this.hash === null) return;
    this.hash.update('~');
    this.atSegmentStart = true;
  }

  /** A segment's terminator where its bytes are not at hand (the end of a scanner's buffer). */
  endSegment(): void {
    const hash = this.hash;
    if (hash === null) return;
    if (this.atSegmentStart) return;
    hash.update('~');
    this.atSegmentStart = true;
  }

  /** Ends the transaction's fingerprint: 64 hex characters. */
  finish(): string {
    const hash = this.hash;
    if (hash === null) throw new Error('ContentFingerprint.finish without begin');
    this.hash = null;
    return hash.digest('hex');
  }

  /** Drops an open fingerprint (a transaction that failed). */
  abandon(): void {
    this.hash = null;
  }
}

const SCRATCH_BYTES = 64 * 1024;
/** True when the range starts (after line breaks) with a blank or a terminator: a gap after the last range's terminator. */
function startsWithGap(bytes: Uint8Array, from: number, to: number, terminator: number): boolean {
  let i = from;
  while (i < to && (bytes[i] === 10 || bytes[i] === 13)) i++;
  return i < to && ((bytes[i] as number) <= 32 || bytes[i] === terminator);
}
const CLASS_COPY = 0;
const CLASS_SKIP = 1;
const CLASS_TERMINATOR = 2;
const CLASS_ELEMENT = 3;
const CLASS_COMPONENT = 4;
const CLASS_REPETITION = 5;
const TILDE = 0x7e;
const STAR = 0x2a;
const COLON = 0x3a;
const CARET = 0x5e;
