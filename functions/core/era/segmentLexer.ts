import type { ScanBuffer } from '../x12/tokenizer.ts';
import {
  CLP_CODE_POSITIONS,
  READ_CLAIMS,
  READ_ELEMENTS,
  READ_HEADER,
  SEGMENT_READS,
} from './elementRules.ts';
import { LEXER_WASM_BASE64 } from './wasm/lexer.wasm.ts';

// The layout of the lexer's memory and records (wasm/lexer.as.ts, which exports the same values:
// they are checked when the module loads). The reader's switch over record kinds uses literals.
/** Bytes for the header and the records; the input follows. */
export const TAPE_BYTES = 1 << 18;
/** The header's words: why `run` stopped, where to go on, the last segment's number and key, a too-long segment's length, the records' end. */
export const H_STOP = 0;
export const H_AT = 1;
export const H_INDEX = 2;
export const H_KEY = 3;
export const H_LENGTH = 4;
export const H_END = 5;
/** The word of the first record (after the header and the lexer's scratch). */
export const FIRST_RECORD = 128;
/** Room the memory keeps after the input (the lexer's 64-byte rounds of loads may run past its end). */
export const INPUT_SLACK = 128;
export const STOP_NEED_MORE = 1;
export const STOP_IEA = 2;
export const STOP_TRANSACTION = 3;
export const STOP_FULL = 4;
export const STOP_TOO_LONG = 5;
/** The reader's state, as the lexer is told it: a transaction is open, a claim is, its claims have begun, a service line is open. */
export const STATE_TRANSACTION = 1;
export const STATE_CLAIM = 2;
export const STATE_CLAIMS = 4;
export const STATE_SERVICE = 8;

/** Values of the module's exports that the reader relies on (see lexer.as.ts for each). */
export const LEXER_LAYOUT = {
  TAPE_BYTES,
  FIRST_RECORD,
  INPUT_SLACK,
  STOP_NEED_MORE,
  STOP_IEA,
  STOP_TRANSACTION,
  STOP_FULL,
  STOP_TOO_LONG,
  STATE_TRANSACTION,
  STATE_CLAIM,
  STATE_CLAIMS,
  STATE_SERVICE,
  RECORD_GENERIC: 1,
  RECORD_RENDERING: 3,
  RECORD_DTM: 4,
  RECORD_SVC: 5,
  RECORD_CLP: 6,
  RECORD_CAS: 7,
  RECORD_ELEMENTS: 8,
  WORDS_GENERIC: 4,
  WORDS_RENDERING: 8,
  WORDS_DTM: 8,
  WORDS_SVC: 14,
  WORDS_CLP: 54,
  WORDS_CAS_HEAD: 8,
  WORDS_CAS_TRIPLET: 8,
  WORDS_ELEMENTS_HEAD: 7,
  MAX_CLP_ELEMENTS: 16,
  CLP_SEPARATORS: 22,
  CLP_CODES: 38,
  MAX_ELEMENT_SEPARATORS: 32,
  READ_HEADER,
  READ_CLAIMS,
  READ_ELEMENTS,
  DATE_SERVICE: 1,
  DATE_FROM: 2,
  DATE_TO: 3,
  PROCEDURE_NONE: 0,
  PROCEDURE_KEYED: 1,
  PROCEDURE_TEXT: 2,
  PROCEDURE_COMPOSITE: 3,
  MAX_INTERNED: 3072,
} as const;

type Run = (
  from: number,
  length: number,
  separator: number,
  terminator: number,
  terminator2: number,
  component: number,
  state: number,
  index: number,
) => void;

/** An instance whose memory grew past this is not kept for reuse (a whole large text was read at once). */
const KEEP_MEMORY_BYTES = 64 << 20;
const PAGE_BYTES = 64 * 1024;

let compiled: WebAssembly.Module | undefined;
/** Instances not in use. A reader holds one while it reads a buffer; one reading inside another's callback takes another. */
const idle: SegmentLexer[] = [];

/** The compiled module, checked against the layout the reader relies on. */
function lexerModule(): WebAssembly.Module {
  if (compiled === undefined) {
    const module = new WebAssembly.Module(Buffer.from(LEXER_WASM_BASE64, 'base64'));
    const exports = new WebAssembly.Instance(module, {}).exports;
    for (const [name, value] of Object.entries(LEXER_LAYOUT)) {
      const global = exports[name] as WebAssembly.Global | undefined;
      if (global?.value !== value) {
        throw new Error(
          `segment lexer: ${name} is ${global?.value} in the module, ${value} here (npm run build:wasm)`,
        );
      }
    }
    compiled = module;
  }
  return compiled;
}

/**
 * One instance of the segment lexer (wasm/lexer.as.ts): it reads the segments of a buffer copied
 * into its memory and writes records that `words` and `numbers` (views of the same bytes) show.
 */
export class SegmentLexer {
  /** The header and the records, as 32-bit words. */
  words: Int32Array;
  /** The same bytes as 64-bit numbers: the record word w, if even, is `numbers[w >> 1]`. */
  numbers: Float64Array;
  /** The text of each id the module's table of interned values gave (codes, rendering NPIs, procedure codes), as the reader meets it. */
  readonly interned: (string | undefined)[] = new Array(LEXER_LAYOUT.MAX_INTERNED + 1).fill(undefined);
  /** The category index of each CAS group, and the cause index of each CARC, by its id (−1: not yet known). */
  readonly groupCategories = new Int16Array(LEXER_LAYOUT.MAX_INTERNED + 1).fill(-1);
  readonly reasonCauses = new Int16Array(LEXER_LAYOUT.MAX_INTERNED + 1).fill(-1);
  private readonly memory: WebAssembly.Memory;
  private readonly runExport: Run;
  private readonly internedIds: () => number;
  private readonly clearInterned: () => void;
  private readonly setDateWindowExport: (earliest: number, latest: number) => void;
  private earliestDay = Number.NaN;
  private latestDay = Number.NaN;
  /** The buffer whose bytes are in memory now. */
  private loaded: ScanBuffer | null = null;

  private constructor() {
    const exports = new WebAssembly.Instance(lexerModule(), {}).exports;
    this.memory = exports.memory as WebAssembly.Memory;
    this.runExport = exports.run as Run;
    this.internedIds = exports.internedIds as () => number;
    this.clearInterned = exports.clearInterned as () => void;
    this.setDateWindowExport = exports.setDateWindow as (earliest: number, latest: number) => void;
    // Which segments it reads where, and which CLP elements it interns: from the element map.
    const setSegmentReads = exports.setSegmentReads as (key: number, reads: number) => void;
    for (const [key, reads] of SEGMENT_READS) setSegmentReads(key, reads);
    (exports.setClpCodes as (mask: number) => void)(CLP_CODE_POSITIONS);
    this.words = new Int32Array(this.memory.buffer, 0, TAPE_BYTES >> 2);
    this.numbers = new Float64Array(this.memory.buffer, 0, TAPE_BYTES >> 3);
  }

  /** An instance for one reader's use; give it back with `release`. */
  static acquire(): SegmentLexer {
    const lexer = idle.pop() ?? new SegmentLexer();
    // A full table interns nothing more: start it again (no record names an id between reads).
    if (lexer.internedIds() >= LEXER_LAYOUT.MAX_INTERNED) lexer.forgetInterned();
    return lexer;
  }

  private forgetInterned(): void {
    this.clearInterned();
    this.interned.fill(undefined);
    this.groupCategories.fill(-1);
    this.reasonCauses.fill(-1);
  }

  release(): void {
    if (this.memory.buffer.byteLength <= KEEP_MEMORY_BYTES) idle.push(this);
  }

  /**
   * The plausible dates (days since 1970-01-01): the lexer folds no date outside them into a
   * record; it hands the DTM over for the reader to warn of.
   */
  dateWindow(earliest: number, latest: number): void {
    if (earliest === this.earliestDay && latest === this.latestDay) return;
    this.setDateWindowExport(earliest, latest);
    this.earliestDay = earliest;
    this.latestDay = latest;
  }

  /** Copies the buffer's bytes into memory, unless they are there already. */
  load(source: ScanBuffer): void {
    if (this.loaded === source) return;
    const bytes = source.bytes;
    const needed = TAPE_BYTES + bytes.length + INPUT_SLACK;
    let buffer = this.memory.buffer;
    if (needed > buffer.byteLength) {
      this.memory.grow(Math.ceil((needed - buffer.byteLength) / PAGE_BYTES));
      buffer = this.memory.buffer;
      this.words = new Int32Array(buffer, 0, TAPE_BYTES >> 2);
      this.numbers = new Float64Array(buffer, 0, TAPE_BYTES >> 3);
    }
    new Uint8Array(buffer, TAPE_BYTES, bytes.length).set(bytes);
    this.loaded = source;
  }

  /**
   * Reads the loaded buffer's segments from `from` (see `run` in lexer.as.ts): the records and
   * the header are in `words` and `numbers` afterwards.
   */
  run(
    from: number,
    separator: number,
    terminator: number,
    terminator2: number,
    component: number,
    state: number,
    index: number,
  ): void {
    const length = (this.loaded as ScanBuffer).bytes.length;
    this.runExport(from, length, separator, terminator, terminator2, component, state, index);
  }
}
