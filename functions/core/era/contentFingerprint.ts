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
  /** True right after a terminator: blanks are the gap between segments, not content. */
  private atSegmentStart = false;
  private delimiters: Delimiters | null = null;
  /** The tables of the open transaction's delimiters (shared by every reader: see `tablesOf`). */
  private tables: Tables = tablesOf({ element: '*', component: ':', repetition: '^', segment: '~' });

  /** True between `begin` and `finish`. */
  get open(): boolean {
    return this.hash !== null;
  }

  /** Starts a transaction's fingerprint (at its ST), for its interchange's delimiters. */
  begin(delimiters: Delimiters): void {
    this.hash = createHash('sha256');
    if (this.delimiters !== delimiters) {
      this.delimiters = delimiters;
      this.tables = tablesOf(delimiters);
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
    const tables = this.tables;
    if (
      !tables.copies ||
      gapIn(tables.gap, source.text, from, to) ||
      (this.atSegmentStart && startsWithGap(bytes, from, to, tables.terminator))
    ) {
      this.mapBytes(hash, bytes, from, to);
      return;
    }
    // One load per byte: the canonical byte in the low 8 bits, 1 above them when it is kept.
    const copy = tables.copy;
    const out = SCRATCH;
    let last = -1;
    for (let start = from; start < to; start += SCRATCH_BYTES) {
      const end = Math.min(to, start + SCRATCH_BYTES);
      let j = 0;
      for (let i = start; i < end; i++) {
        const v = copy[bytes[i] as number] as number;
        out[j] = v;
        j += v >> 8;
      }
      if (j > 0) {
        hash.update(out.subarray(0, j));
        last = out[j - 1] as number;
      }
    }
    if (last !== -1) this.atSegmentStart = last === TILDE;
  }

  /** `bytes` for other delimiters: each byte mapped to the canonical ones, in a loop. */
  private mapBytes(hash: Hash, source: Uint8Array, from: number, to: number): void {
    const classes = this.tables.classes;
    const out = SCRATCH;
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
/** The canonical bytes before they are hashed: one buffer for every fingerprint (each call fills and hashes it). */
const SCRATCH = new Uint8Array(SCRATCH_BYTES);

/** What `bytes` needs for one set of delimiters. */
interface Tables {
  /** Byte class by value (CLASS_*), for the mapping loop. */
  classes: Uint8Array;
  /** Each byte as the copy writes it: delimiters as `*` `:` `^` `~`, the rest as is. */
  map: Uint8Array;
  /** `map` in the low 8 bits, with 256 added when the copy keeps the byte (not a line break). */
  copy: Uint16Array;
  /** The terminator's byte; `copies`: it is not a line break (the copy drops line breaks). */
  terminator: number;
  copies: boolean;
  /** A gap: a blank or an empty segment after a terminator (and line breaks). */
  gap: RegExp;
}

/** Tables by delimiters (as characters): files of one sender share them, and no reader builds its own. */
const TABLES = new Map<string, Tables>();

/**
 * The tables for these delimiters. The scanner's view wins: the terminator ends a segment
 * whatever else the ISA says of its character, and line breaks are never content (the scanner
 * trims them around segments), even when a garbled ISA makes one a separator.
 */
function tablesOf(delimiters: Delimiters): Tables {
  const key = `${delimiters.element}${delimiters.component}${delimiters.repetition ?? ''}\u0000${delimiters.segment}`;
  const known = TABLES.get(key);
  if (known !== undefined) return known;
  const segment = delimiters.segment;
  // A two-character terminator is `\r\n`: its last character ends the segment.
  const terminator = segment.charCodeAt(segment.length - 1);
  const element = delimiters.element.charCodeAt(0);
  const component = delimiters.component.charCodeAt(0);
  const repetition = delimiters.repetition === null ? -1 : delimiters.repetition.charCodeAt(0);
  const classes = new Uint8Array(256).fill(CLASS_COPY);
  const keep = new Uint8Array(256).fill(1);
  const map = new Uint8Array(256);
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
  const t = `\\x${terminator.toString(16).padStart(2, '0')}`;
  const gap = new RegExp(`${t}[\\r\\n]*[\\x00-\\x09\\x0b\\x0c\\x0e-\\x20${t}]`);
  const copy = new Uint16Array(256);
  for (let i = 0; i < 256; i++) copy[i] = (map[i] as number) | ((keep[i] as number) << 8);
  const tables: Tables = {
    classes,
    map,
    copy,
    terminator,
    copies: terminator !== 10 && terminator !== 13,
    gap,
  };
  // Bounded: a sender uses a few sets of delimiters, but a stream of garbled ISAs must not grow it.
  if (TABLES.size >= 64) TABLES.clear();
  TABLES.set(key, tables);
  return tables;
}

/**
 * True when [from, to) of the text holds a gap the copy would keep. Searched in that range only
 * (a slice of the buffer's text is a view, not a copy), so every byte is searched once.
 */
function gapIn(gap: RegExp, text: string, from: number, to: number): boolean {
  return gap.test(text.slice(from, to));
}
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
