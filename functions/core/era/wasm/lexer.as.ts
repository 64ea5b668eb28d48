// The 835 segment lexer, in AssemblyScript (compiled to WebAssembly by `npm run build:wasm`;
// the module is embedded in lexer.wasm.ts). It walks an interchange's bytes segment by segment,
// as the scanner's loop did, and reads the claim segments (CLP, CAS, SVC, DTM, NM1*82) into
// records of numbers: element positions, code keys, amounts in cents, dates as day numbers.
// Which other segments it reads, and where, it is told when it loads (`setSegmentReads`, from
// the element map: elementRules.ts); it passes over the rest. The segments that carry elements
// the map reads generically (REF, MOA, … among the claims) become ELEMENTS records: their
// separators' positions, so the reader takes any element the map names without a change here.
// The JavaScript reader (Era835Reader.applyRecords) applies the records in order; it owns every
// decision that needs the transaction's state, and every segment that is not read here (or that
// holds anything unusual) is handed to it whole, as a GENERIC record, for its split path. This
// file repeats the rules of that path for the usual shapes only: a property test holds the two
// to the same rows and errors (test/x12-properties.test.ts).
//
// Each segment's terminator is found 64 bytes at a time (SIMD), and the separators of the
// segments read are noted the same way, so the readers index elements instead of searching.
// The readers are inlined into `run` (@inline): a call costs a WebAssembly function in V8 more
// than most of what they do.
//
// Memory: the header (results of `run`), the separator positions of the segment being read and
// the records fill [0, TAPE_BYTES); the bytes being read start at TAPE_BYTES, followed by at least
// INPUT_SLACK bytes of room (a 64-byte round of loads may run past the input's end; what it reads there is
// never taken for a terminator or a separator). Positions in records are offsets into the input.

/** Bytes for the header and the records; the input follows. */
export const TAPE_BYTES: i32 = 1 << 18;
/** Room the memory keeps after the input for loads that run past its end. */
export const INPUT_SLACK: i32 = 128;
/** The word of the first record (the header and the separator positions come first). */
export const FIRST_RECORD: i32 = 128;

// The header's words.
/** Why `run` stopped (a STOP_* value). */
const H_STOP: i32 = 0;
/** Where the next run starts: after the last segment read (or at the unterminated rest). */
const H_AT: i32 = 1;
/** The number of the last segment read (segments are numbered from 1 in a file). */
const H_INDEX: i32 = 2;
/** The key of the last segment read (0 if none was read). */
const H_KEY: i32 = 3;
/** The length in bytes of a segment too long to read (STOP_TOO_LONG). */
const H_LENGTH: i32 = 4;
/** The word after the last record. */
const H_END: i32 = 5;

// Why `run` stopped.
/** The rest of the bytes holds no complete segment: more input is needed. */
export const STOP_NEED_MORE: i32 = 1;
/** An IEA was read (its record is the last): the next interchange gives new delimiters. */
export const STOP_IEA: i32 = 2;
/** An ST or SE was read (its record is the last): the transaction opens or closes. */
export const STOP_TRANSACTION: i32 = 3;
/** The records fill the tape: apply them and run again from H_AT. */
export const STOP_FULL: i32 = 4;
/** A segment is longer than MAX_SEGMENT_LENGTH (H_LENGTH); nothing after it is read. */
export const STOP_TOO_LONG: i32 = 5;

// The reader's state, as `run` is told it.
export const STATE_TRANSACTION: i32 = 1;
export const STATE_CLAIM: i32 = 2;
export const STATE_CLAIMS: i32 = 4;
export const STATE_SERVICE: i32 = 8;

// Record kinds (each record: kind, start, end, segment number, then its own words).
/** A segment for the reader's split path. */
export const RECORD_GENERIC: i32 = 1;
/** NM1*82: + NM109 start, end, and its interned id (−1: none). */
export const RECORD_RENDERING: i32 = 3;
/** DTM: + qualifier class (DATE_*), pad, DTM02 as days (f64, NaN when not a plain date). Most DTMs of a claim are folded into its CLP or SVC record instead (see `dtm`). */
export const RECORD_DTM: i32 = 4;
/** SVC: + procedure kind (PROCEDURE_*), start, end, interned id (−1: none); charge, paid, service date (f64: cents, days or NaN). */
export const RECORD_SVC: i32 = 5;
/** CLP: + id, status, separator count; charge, paid, patient responsibility, statement from, to (f64: cents, days or NaN); separators; interned codes (see CLP_SEPARATORS). */
export const RECORD_CLP: i32 = 6;
/** CAS: + group (start, end, interned id), triplet count; each triplet: reason (start, end, interned id), pad, amount, quantity (f64). */
export const RECORD_CAS: i32 = 7;
/** A segment the map reads generically: + its key, its separator count n, element 01's interned id (−1: none), then the n separator positions (padded to an even number of words). */
export const RECORD_ELEMENTS: i32 = 8;

// Words of each record kind.
export const WORDS_GENERIC: i32 = 4;
export const WORDS_RENDERING: i32 = 8;
export const WORDS_DTM: i32 = 8;
export const WORDS_SVC: i32 = 14;
export const WORDS_CLP: i32 = 54;
export const WORDS_CAS_HEAD: i32 = 8;
export const WORDS_CAS_TRIPLET: i32 = 8;
export const WORDS_ELEMENTS_HEAD: i32 = 7;
/** The most words one record takes (a CAS of six triplets). */
const MAX_RECORD_WORDS: i32 = 8 + 6 * 8;

// The CLP record: the id (start, end) at +4, the status (start, end, interned id) at +6, the
// separator count n at +9; charge, paid, patient responsibility, statement from and to (f64) at
// +12 .. +20; the positions of its first n separators (n ≤ MAX_CLP_ELEMENTS) from CLP_SEPARATORS;
// the interned ids of the elements `setClpCodes` names (element k at CLP_CODES + k − 1).
export const MAX_CLP_ELEMENTS: i32 = 16;
export const CLP_SEPARATORS: i32 = 22;
export const CLP_CODES: i32 = 38;
/** The most separators of an ELEMENTS record (a segment with more goes to the split path). */
export const MAX_ELEMENT_SEPARATORS: i32 = 32;

// Where a segment is read (the bits `setSegmentReads` gives a key).
/** In a transaction's header (before its claims). */
export const READ_HEADER: i32 = 1;
/** Among its claims. */
export const READ_CLAIMS: i32 = 2;
/** Among its claims, as an ELEMENTS record (for CAS, DTM, SVC and NM1: whole, GENERIC). */
export const READ_ELEMENTS: i32 = 4;

// DTM qualifier classes.
/** 472 or 150: a service date. */
export const DATE_SERVICE: i32 = 1;
/** 232: claim statement period start. */
export const DATE_FROM: i32 = 2;
/** 233: claim statement period end. */
export const DATE_TO: i32 = 3;

// SVC01 procedure kinds.
/** No procedure code. */
export const PROCEDURE_NONE: i32 = 0;
/** A code of five letters or digits (CPT, HCPCS): the record's id names it among those interned. */
export const PROCEDURE_KEYED: i32 = 1;
/** Another code: its text is the range. */
export const PROCEDURE_TEXT: i32 = 2;
/** A composite of another layout: the range is the whole SVC01, read by the reader. */
export const PROCEDURE_COMPOSITE: i32 = 3;

/** A segment longer than this many bytes is malformed (the scanner's MAX_SEGMENT_LENGTH). */
const MAX_SEGMENT_LENGTH: i32 = 64 * 1024;
/** Largest single amount accepted: $100 billion, in cents (the reader's MAX_AMOUNT_CENTS). */
const MAX_AMOUNT_CENTS: f64 = 10_000_000_000_000;

// Segment keys: the id's characters, the first in the low byte.
const KEY_CAS: i32 = 0x534143;
const KEY_DTM: i32 = 0x4d5444;
const KEY_SVC: i32 = 0x435653;
const KEY_CLP: i32 = 0x504c43;
const KEY_NM1: i32 = 0x314d4e;
const KEY_ST: i32 = 0x5453;
const KEY_SE: i32 = 0x4553;
const KEY_IEA: i32 = 0x414549;
const KEY_LX: i32 = 0x584c;
const KEY_PLB: i32 = 0x424c50;
const KEY_N1: i32 = 0x314e;

const INPUT: usize = <usize>TAPE_BYTES;

/** Where the separator positions of the segment being read are kept: words 16 to 16 + MAX_SEPARATORS + 8 (`note` stores eight at a time). */
const SEPARATORS: usize = 16 * 4;
/** Separators noted per segment; a segment with more is read by the split path. */
const MAX_SEPARATORS: i32 = 64;

/**
 * The table of interned values (codes, rendering NPIs, procedure codes) at the end of the tape: slots of
 * a 64-bit key (0: free) and an id. The reader keeps each id's text, made the first time it is met.
 */
const INTERNED: usize = <usize>TAPE_BYTES - 65536;
/** The table of where segments are read, before it: slots of a segment key (0: free) and its READ_* bits. */
const READS: usize = INTERNED - 1024;
const READS_SLOTS: i32 = 128;

/** Sets where the segment of key `key` is read (READ_* bits; 0: passed over inside a transaction, the default). */
export function setSegmentReads(key: i32, reads: i32): void {
  let slot = readsSlot(key);
  while (true) {
    const at = READS + (<usize>slot << 3);
    const held = load<i32>(at);
    if (held === key || held === 0) {
      store<i32>(at, key);
      store<i32>(at, reads, 4);
      return;
    }
    slot = (slot + 1) & (READS_SLOTS - 1);
  }
}

@inline
function readsSlot(key: i32): i32 {
  return <i32>((<u32>key * 0x9e3779b1) >> 25);
}

/** Where the segment of key `key` is read (0 for a key never set, and for −1: an id of another length). */
@inline
function readsOf(key: i32): i32 {
  if (key <= 0) return 0;
  let slot = readsSlot(key);
  while (true) {
    const at = READS + (<usize>slot << 3);
    const held = load<i32>(at);
    if (held === key) return load<i32>(at, 4);
    if (held === 0) return 0;
    slot = (slot + 1) & (READS_SLOTS - 1);
  }
  return 0;
}

/** Bit k set: CLP element k is a code, interned in the CLP record. */
let clpCodes: i32 = 0;

/** Sets the CLP elements the CLP record interns (bit k: element k). */
export function setClpCodes(mask: i32): void {
  clpCodes = mask;
}
const INTERNED_SLOTS: i32 = 4096;
/** Ids given before the table counts as full (a quarter of it stays free, so probes stay short). */
export const MAX_INTERNED: i32 = 3072;
let internedCount: i32 = 0;

/** How many ids the table has given (the reader empties it with `clearInterned` when it is full). */
export function internedIds(): i32 {
  return internedCount;
}

/** Empties the table of interned values (the reader forgets their texts at the same time). */
export function clearInterned(): void {
  memory.fill(INTERNED, 0, <usize>INTERNED_SLOTS << 4);
  internedCount = 0;
}

/** The id of `key` (not 0) in the table, given now if it is new; −1 once the table is full. */
function intern(key: u64): i32 {
  let slot = <i32>((key * 0x9e3779b97f4a7c15) >> 52);
  while (true) {
    const at = INTERNED + (<usize>slot << 4);
    const held = load<u64>(at);
    if (held === key) return load<i32>(at, 8);
    if (held === 0) {
      if (internedCount >= MAX_INTERNED) return -1;
      internedCount++;
      store<u64>(at, key);
      store<i32>(at, internedCount, 8);
      return internedCount;
    }
    slot = (slot + 1) & (INTERNED_SLOTS - 1);
  }
  return -1;
}

/** How many separators the segment being read has (MAX_SEPARATORS + 1: more than noted). */
let separatorCount: i32 = 0;
/** The end of the segment being read (trimmed of line breaks). */
let segmentEnd: i32 = 0;

@inline
function byteAt(at: i32): i32 {
  return <i32>load<u8>(INPUT + <usize>at);
}

@inline
function put(word: i32, value: i32): void {
  store<i32>(<usize>word << 2, value);
}

@inline
function putNumber(word: i32, value: f64): void {
  store<f64>(<usize>word << 2, value);
}

/** The position of separator k (0: the one after the segment id). */
@inline
function sep(k: i32): i32 {
  return load<i32>(SEPARATORS + (<usize>k << 2));
}

/** The start of element k (k ≥ 1; element 0 is the id). */
@inline
function elementStart(k: i32): i32 {
  return sep(k - 1) + 1;
}

/** The end of element k: the separator after it, or the segment's end. */
@inline
function elementEnd(k: i32): i32 {
  return k < separatorCount ? sep(k) : segmentEnd;
}

/**
 * Reads the segments of input bytes [from, length) whose delimiters are given (a terminator of
 * one byte, `terminator2` −1, or of two), numbering them from `index + 1`, until one of the
 * STOP_* reasons; writes the records from word FIRST_RECORD and the results in the header.
 * `state` is the reader's: STATE_TRANSACTION while an ST..SE is open (outside one, every
 * segment is GENERIC), STATE_CLAIM while a claim is, STATE_CLAIMS once the transaction's claims
 * have begun (LX or CLP; an N1 ends them), STATE_SERVICE while a service line is. The lexer
 * follows the last three as the reader will (their segments are the reader's to apply, and it
 * applies them all before any later one, or fails), to pass over the REF segments of claims and
 * to fold a claim's dates into its records.
 */
export function run(
  from: i32,
  length: i32,
  separator: i32,
  terminator: i32,
  terminator2: i32,
  component: i32,
  state: i32,
  index: i32,
): void {
  const inTransaction = state & STATE_TRANSACTION;
  let inClaim = state & STATE_CLAIM;
  let inClaims = state & STATE_CLAIMS;
  inService = state & STATE_SERVICE;
  // The open claim's and line's records are not on this tape.
  claimRecord = -1;
  serviceRecord = -1;
  const step = terminator2 < 0 ? 1 : 2;
  const limit = <i32>(READS >> 2) - MAX_RECORD_WORDS;
  let w = FIRST_RECORD;
  let start = from;
  let key = 0;
  let stop = 0;
  while (stop === 0) {
    if (w > limit) {
      stop = STOP_FULL;
      break;
    }
    const end = scanSegment(start, length, terminator, terminator2);
    if (end < 0) {
      stop = STOP_NEED_MORE;
      break;
    }
    if (end - start > MAX_SEGMENT_LENGTH) {
      put(H_LENGTH, end - start);
      stop = STOP_TOO_LONG;
      break;
    }
    // Trimmed: blanks and control bytes before, line breaks after (a separator is neither).
    let f = start;
    while (f < end && byteAt(f) <= 32) f++;
    let t = end;
    while (t > f) {
      const c = byteAt(t - 1);
      if (c !== 10 && c !== 13) break;
      t--;
    }
    start = end + step;
    if (f === t) continue;
    segmentEnd = t;
    index++;
    key = segmentKey(f, t, separator);
    if (inTransaction === 0) {
      w = generic(w, f, t, index);
      if (key === KEY_ST) stop = STOP_TRANSACTION;
      else if (key === KEY_IEA) stop = STOP_IEA;
      continue;
    }
    // Among the claims, a claim segment with elements the map reads generically goes whole to the reader.
    const claims = (inClaim | inClaims) !== 0;
    const reads = readsOf(key);
    const whole = claims && (reads & READ_ELEMENTS) !== 0;
    switch (key) {
      case KEY_CAS:
        w = whole ? generic(w, f, t, index) : cas(w, f, t, index, separator);
        break;
      case KEY_DTM:
        w = whole ? generic(w, f, t, index) : dtm(w, f, t, index, separator, inClaim);
        break;
      case KEY_SVC: {
        const record = w;
        w = whole ? generic(w, f, t, index) : svc(w, f, t, index, separator, component);
        // Outside a claim an SVC fails in the reader.
        inService = STATE_SERVICE;
        serviceRecord = load<i32>(<usize>record << 2) === RECORD_SVC ? record : -1;
        serviceDateFolds = true;
        break;
      }
      case KEY_CLP: {
        const record = w;
        w = clp(w, f, t, index, separator);
        inClaim = STATE_CLAIM;
        inClaims = STATE_CLAIMS;
        inService = 0;
        claimRecord = load<i32>(<usize>record << 2) === RECORD_CLP ? record : -1;
        serviceRecord = -1;
        fromFolds = true;
        toFolds = true;
        break;
      }
      case KEY_LX:
        w = generic(w, f, t, index);
        inClaim = 0;
        inClaims = STATE_CLAIMS;
        inService = 0;
        break;
      case KEY_PLB:
        w = generic(w, f, t, index);
        inClaim = 0;
        inService = 0;
        break;
      case KEY_N1:
        w = generic(w, f, t, index);
        inClaims = 0;
        break;
      case KEY_NM1:
        // Patient and insured names are never read; NM1*82 names the rendering provider.
        if (whole) w = generic(w, f, t, index);
        else if (isRendering(f, t, separator)) w = rendering(w, f, t, index, separator);
        break;
      case KEY_SE:
      case KEY_ST:
        w = generic(w, f, t, index);
        stop = STOP_TRANSACTION;
        break;
      case KEY_IEA:
        w = generic(w, f, t, index);
        stop = STOP_IEA;
        break;
      default:
        // The segments the reader never reads here are passed over.
        if ((reads & (claims ? READ_CLAIMS : READ_HEADER)) === 0) break;
        w = whole ? elements(w, f, t, index, separator, key) : generic(w, f, t, index);
    }
  }
  put(H_STOP, stop);
  put(H_AT, start);
  put(H_INDEX, index);
  put(H_KEY, key);
  put(H_END, w);
}

/**
 * The position of the terminator of the segment that starts at `start`, found 64 bytes at a time
 * (most segments are shorter: one round, no loop exit to mispredict); −1 when the input has
 * none from `start` on.
 */
@inline
function scanSegment(start: i32, length: i32, terminator: i32, terminator2: i32): i32 {
  const terminators = i8x16.splat(<i8>terminator);
  const second = i8x16.splat(<i8>terminator2);
  const two = terminator2 >= 0;
  let p = start;
  while (p < length) {
    const at = INPUT + <usize>p;
    let found = mask64(
      i8x16.eq(v128.load(at), terminators),
      i8x16.eq(v128.load(at, 16), terminators),
      i8x16.eq(v128.load(at, 32), terminators),
      i8x16.eq(v128.load(at, 48), terminators),
    );
    // A two-byte terminator (\r\n): its first byte followed by its second.
    if (two) {
      found &= mask64(
        i8x16.eq(v128.load(at, 1), second),
        i8x16.eq(v128.load(at, 17), second),
        i8x16.eq(v128.load(at, 33), second),
        i8x16.eq(v128.load(at, 49), second),
      );
    }
    if (found !== 0) {
      const end = p + <i32>ctz(found);
      // What lies past the input's end is not a terminator.
      return end + (two ? 1 : 0) < length ? end : -1;
    }
    p += 64;
  }
  return -1;
}

/**
 * Notes the positions of the separators of the segment [start, end) from SEPARATORS on, 64
 * bytes at a time; `separatorCount` is then their number (MAX_SEPARATORS + 1: more than noted).
 */
@inline
function collectSeparators(start: i32, end: i32, separator: i32): void {
  const separators = i8x16.splat(<i8>separator);
  let count = 0;
  let p = start;
  while (p < end) {
    const at = INPUT + <usize>p;
    let seps = mask64(
      i8x16.eq(v128.load(at), separators),
      i8x16.eq(v128.load(at, 16), separators),
      i8x16.eq(v128.load(at, 32), separators),
      i8x16.eq(v128.load(at, 48), separators),
    );
    if (end - p < 64) seps &= (<u64>1 << <u64>(end - p)) - 1;
    count = note(count, seps, p);
    p += 64;
  }
  separatorCount = count;
}

/** The 64-bit mask of four 16-byte comparisons (bit i: byte i of the 64). */
@inline
function mask64(a: v128, b: v128, c: v128, d: v128): u64 {
  return (
    <u64>i8x16.bitmask(a) |
    (<u64>i8x16.bitmask(b) << 16) |
    (<u64>i8x16.bitmask(c) << 32) |
    (<u64>i8x16.bitmask(d) << 48)
  );
}

/**
 * Notes the positions of the separators flagged in `mask` (bit i: position p + i) after the
 * `count` noted so far; returns the new count (MAX_SEPARATORS + 1 once there are more than that).
 */
@inline
function note(count: i32, mask: u64, p: i32): i32 {
  if (mask === 0 || count > MAX_SEPARATORS) return count;
  const n = <i32>popcnt(mask);
  if (count + n > MAX_SEPARATORS) return MAX_SEPARATORS + 1;
  // Eight stores whatever the count (the room allows it), then the rest one by one.
  let m = mask;
  let at = SEPARATORS + (<usize>count << 2);
  store<i32>(at, p + <i32>ctz(m));
  m &= m - 1;
  store<i32>(at, p + <i32>ctz(m), 4);
  m &= m - 1;
  store<i32>(at, p + <i32>ctz(m), 8);
  m &= m - 1;
  store<i32>(at, p + <i32>ctz(m), 12);
  m &= m - 1;
  store<i32>(at, p + <i32>ctz(m), 16);
  m &= m - 1;
  store<i32>(at, p + <i32>ctz(m), 20);
  m &= m - 1;
  store<i32>(at, p + <i32>ctz(m), 24);
  m &= m - 1;
  store<i32>(at, p + <i32>ctz(m), 28);
  m &= m - 1;
  at += 32;
  while (m !== 0) {
    store<i32>(at, p + <i32>ctz(m));
    m &= m - 1;
    at += 4;
  }
  return count + n;
}

/**
 * The key of the id of the segment [start, end) (what precedes its first separator): its two or
 * three characters, the first in the low byte, or −1 for an id of another length (or a
 * three-character id whose last character is NUL, which would read as a two-character key).
 */
@inline
function segmentKey(start: i32, end: i32, separator: i32): i32 {
  // The first separator among the first 16 bytes (bit 16: none there, the id is too long anyway).
  const first = i8x16.bitmask(i8x16.eq(v128.load(INPUT + <usize>start), i8x16.splat(<i8>separator)));
  const idEnd = min(start + <i32>ctz(first | 0x10000), end);
  const n = idEnd - start;
  if (n === 2) return <i32>load<u16>(INPUT + <usize>start);
  if (n !== 3) return -1;
  const c2 = byteAt(start + 2);
  return c2 !== 0 ? <i32>load<u16>(INPUT + <usize>start) | (c2 << 16) : -1;
}

@inline
function head(w: i32, kind: i32, start: i32, end: i32, index: i32): void {
  put(w, kind);
  put(w + 1, start);
  put(w + 2, end);
  put(w + 3, index);
}

@inline
function generic(w: i32, start: i32, end: i32, index: i32): i32 {
  head(w, RECORD_GENERIC, start, end, index);
  return w + WORDS_GENERIC;
}

/**
 * The interned id of code [start, end) (not blank), keyed by its bytes (up to seven ASCII
 * characters; the top bit set, so no NPI or procedure key is the same); −1 for another code.
 */
@inline
function codeId(start: i32, end: i32): i32 {
  const n = end - start;
  if (n > 7) return -1;
  const bytes = load<u64>(INPUT + <usize>start) & ((<u64>1 << (<u64>n << 3)) - 1);
  if ((bytes & 0x8080808080808080) !== 0) return -1;
  return intern(0x8000000000000000 | (<u64>n << 56) | bytes);
}

/** Writes element k as a code at words w..w+2 (start, end, interned id; start −1 when blank or absent); returns whether it is not blank. */
@inline
function putCode(w: i32, k: i32): bool {
  if (k <= separatorCount) {
    const start = elementStart(k);
    const end = elementEnd(k);
    if (end > start) {
      put(w, start);
      put(w + 1, end);
      put(w + 2, codeId(start, end));
      return true;
    }
  }
  put(w, -1);
  put(w + 1, 0);
  put(w + 2, -1);
  return false;
}

/**
 * The amount [start, end) in cents; NaN when it is not one (blank included). The reader's
 * parseCents: the usual shape (an optional minus, up to 8 digits, none or one or two decimals)
 * here, its eight digits converted at once; anything else in `parseCentsLoop`.
 */
@inline
function parseCents(start: i32, end: i32, separator: i32): f64 {
  const negative = start < end && byteAt(start) === 45;
  const from = negative ? start + 1 : start;
  let wholeEnd = end;
  let fraction: i64 = 0;
  let usual = true;
  if (end - from >= 3 && byteAt(end - 3) === 46) {
    const tens = byteAt(end - 2) - 48;
    const ones = byteAt(end - 1) - 48;
    usual = <u32>tens <= 9 && <u32>ones <= 9;
    fraction = <i64>(tens * 10 + ones);
    wholeEnd = end - 3;
  } else if (end - from >= 2 && byteAt(end - 2) === 46) {
    const tens = byteAt(end - 1) - 48;
    usual = <u32>tens <= 9;
    fraction = <i64>(tens * 10);
    wholeEnd = end - 2;
  }
  const digits = wholeEnd - from;
  if (usual && digits >= 1 && digits <= 8) {
    // The eight bytes that end the whole part, those before it read as zeros.
    const keep = <u64>-1 << (<u64>(8 - digits) << 3);
    let v = (load<u64>(INPUT + <usize>wholeEnd - 8) & keep) | (0x3030303030303030 & ~keep);
    if ((((v + 0x4646464646464646) | (v - 0x3030303030303030)) & 0x8080808080808080) === 0) {
      // D. Lemire's eight digits at once (the first in the low byte).
      v -= 0x3030303030303030;
      v = v * 10 + (v >> 8);
      v = ((v & 0x000000ff000000ff) * 0x000f424000000064 + ((v >> 16) & 0x000000ff000000ff) * 0x0000271000000001) >> 32;
      const cents = <f64>(<i64>(<u32>v) * 100 + fraction);
      return negative ? -cents : cents;
    }
  }
  return parseCentsLoop(start, end, separator);
}

/** `parseCents` digit by digit: the reader's quick path, then `parseCentsAny`. */
function parseCentsLoop(start: i32, end: i32, separator: i32): f64 {
  let i = start;
  const negative = i < end && byteAt(i) === 45 && separator !== 45;
  if (negative) i++;
  const wholeStart = i;
  let cents: i64 = 0;
  while (i < end) {
    const digit = byteAt(i) - 48;
    if (<u32>digit > 9) break;
    cents = cents * 10 + <i64>digit;
    i++;
  }
  const digits = i - wholeStart;
  cents *= 100;
  if (i + 1 < end && byteAt(i) === 46 && separator !== 46) {
    const tens = byteAt(i + 1) - 48;
    if (<u32>tens <= 9) {
      cents += <i64>(tens * 10);
      i += 2;
      const ones = i < end ? byteAt(i) - 48 : -1;
      if (<u32>ones <= 9) {
        cents += <i64>ones;
        i++;
      }
    }
  }
  if (digits === 0 || digits > 11 || i < end) return parseCentsAny(start, end, separator);
  return negative ? -<f64>cents : <f64>cents;
}

/** `parseCents` for any amount: signs, any number of decimals, up to 20 characters (in doubles, as JavaScript reads it). */
function parseCentsAny(start: i32, end: i32, separator: i32): f64 {
  let i = start;
  let negative = false;
  if (i < end) {
    const c0 = byteAt(i);
    if (c0 === 45) {
      negative = true;
      i++;
    } else if (c0 === 43) {
      i++;
    }
  }
  let whole: f64 = 0;
  let digits = 0;
  while (i < end) {
    const c = byteAt(i);
    if (c < 48 || c > 57) break;
    whole = whole * 10 + <f64>(c - 48);
    digits++;
    i++;
  }
  let fraction: f64 = 0;
  if (i < end && byteAt(i) === 46 && separator !== 46) {
    i++;
    let place = 0;
    while (i < end) {
      const c = byteAt(i);
      if (c < 48 || c > 57) break;
      if (place < 2) fraction = fraction * 10 + <f64>(c - 48);
      else if (c !== 48) return NaN;
      place++;
      digits++;
      i++;
    }
    if (place === 1) fraction *= 10;
  }
  if (i < end) return NaN;
  if (digits === 0 || i - start > 20) return NaN;
  const cents = whole * 100 + fraction;
  // Number.isSafeInteger: an integer no larger than 2^53 − 1.
  if (!(cents <= 9007199254740991.0) || Math.floor(cents) !== cents) return NaN;
  return negative ? -cents : cents;
}

/** Element k as an amount in cents (NaN when absent or not one). */
@inline
function amount(k: i32, separator: i32): f64 {
  if (k > separatorCount) return NaN;
  return parseCents(elementStart(k), elementEnd(k), separator);
}

@inline
function tooLarge(cents: f64): bool {
  return cents > MAX_AMOUNT_CENTS || cents < -MAX_AMOUNT_CENTS;
}

/**
 * A quantity of plain digits (at most 15, so exact), or −1 for any other text: the reader's
 * split path reads that one (as JavaScript's Number does).
 */
function plainDigits(start: i32, end: i32): f64 {
  if (end - start > 15) return -1;
  let value: f64 = 0;
  for (let i = start; i < end; i++) {
    const digit = byteAt(i) - 48;
    if (<u32>digit > 9) return -1;
    value = value * 10 + <f64>digit;
  }
  return value;
}

/**
 * CAS: the group (element 1), then up to six reason/amount/quantity triplets; a triplet's
 * quantity may be left off at the end. A triplet whose reason is blank is passed over.
 */
@inline
function cas(w: i32, start: i32, end: i32, index: i32, separator: i32): i32 {
  collectSeparators(start, end, separator);
  const elements = separatorCount;
  // Elements after the group: whole triplets, or a last one without its quantity.
  const rest = elements - 1;
  if (elements < 1 || elements > 19 || rest % 3 === 1) return generic(w, start, end, index);
  head(w, RECORD_CAS, start, end, index);
  if (!putCode(w + 4, 1)) return generic(w, start, end, index);
  let n = 0;
  for (let k = 2; k <= elements; k += 3) {
    const t = w + WORDS_CAS_HEAD + n * WORDS_CAS_TRIPLET;
    const reason = putCode(t, k);
    const amountStart = elementStart(k + 1);
    const amountEnd = elementEnd(k + 1);
    let quantity: f64 = NaN;
    if (k + 2 <= elements) {
      const quantityStart = elementStart(k + 2);
      const quantityEnd = elementEnd(k + 2);
      if (quantityEnd > quantityStart) {
        quantity = plainDigits(quantityStart, quantityEnd);
        if (quantity < 0) return generic(w, start, end, index);
      }
    }
    if (reason) {
      const cents = parseCents(amountStart, amountEnd, separator);
      if (isNaN(cents) || tooLarge(cents)) return generic(w, start, end, index);
      putNumber(t + 4, cents);
      putNumber(t + 6, quantity);
      n++;
    }
  }
  put(w + 7, n);
  return w + WORDS_CAS_HEAD + n * WORDS_CAS_TRIPLET;
}

// The open line, and where its claim's and its own records are on this tape (−1: not here),
// for the dates folded into them; and whether a date of each kind may still be folded (once one is
// left to the reader, the later ones are too, so that they apply in order).
let inService: i32 = 0;
let claimRecord: i32 = -1;
let serviceRecord: i32 = -1;
let fromFolds = true;
let toFolds = true;
let serviceDateFolds = true;

/**
 * DTM: the qualifier class (DTM01 of exactly three characters, a separator after them: the id
 * and its separator are the segment's first four bytes) and DTM02, when a date of eight digits
 * (digits are never a separator), as days. Inside a claim, what the reader would do with it is
 * done here where its claim's or line's record is on this tape: a date it would ignore is passed
 * over, a date it would take goes into the record (the line's first service date; the claim's
 * last statement dates); anything else, and an unusual date, is left to it as a DTM record.
 */
@inline
function dtm(w: i32, start: i32, end: i32, index: i32, separator: i32, inClaim: i32): i32 {
  const p = start + 4;
  if (end <= p + 3) return generic(w, start, end, index);
  const word = load<i32>(INPUT + <usize>p);
  const c0 = word & 0xff;
  const c1 = (word >> 8) & 0xff;
  const c2 = (word >> 16) & 0xff;
  if (<i32>(<u32>word >> 24) !== separator || c0 === separator || c1 === separator || c2 === separator) {
    return generic(w, start, end, index);
  }
  let kind = 0;
  if ((c0 === 52 && c1 === 55 && c2 === 50) || (c0 === 49 && c1 === 53 && c2 === 48)) kind = DATE_SERVICE;
  else if (c0 === 50 && c1 === 51 && c2 === 50) kind = DATE_FROM;
  else if (c0 === 50 && c1 === 51 && c2 === 51) kind = DATE_TO;
  const from = p + 4;
  const to = from + 8;
  let days: f64 = NaN;
  if (kind !== 0 && to <= end && (to === end || byteAt(to) === separator)) {
    days = daysOfWords(load<i32>(INPUT + <usize>from), load<i32>(INPUT + <usize>from, 4));
    if (days < earliestDay || days > latestDay) days = NaN;
  }
  if (inClaim !== 0) {
    if (kind === DATE_SERVICE) {
      // A service date outside a line, or after the line's first one, is ignored.
      if (inService === 0) return w;
      if (serviceRecord >= 0 && serviceDateFolds) {
        const at = serviceRecord + 12;
        if (!isNaN(load<f64>(<usize>at << 2))) return w;
        if (!isNaN(days)) {
          putNumber(at, days);
          return w;
        }
      }
      serviceDateFolds = false;
    } else if (kind !== 0) {
      // Statement dates are the claim's, not a line's.
      if (inService !== 0) return w;
      const folds = kind === DATE_FROM ? fromFolds : toFolds;
      if (claimRecord >= 0 && folds && !isNaN(days)) {
        putNumber(claimRecord + (kind === DATE_FROM ? 18 : 20), days);
        return w;
      }
      if (kind === DATE_FROM) fromFolds = false;
      else toFolds = false;
    } else return w;
  }
  head(w, RECORD_DTM, start, end, index);
  put(w + 4, kind);
  put(w + 5, 0);
  putNumber(w + 6, days);
  return w + WORDS_DTM;
}

// The last date read, and its day number: a claim's dates are mostly one date, read three times.
// The plausible dates (days since 1970-01-01): a date outside them is not folded into a claim or
// line record but handed over as a DTM record with no date, for the reader to warn of.
let earliestDay: f64 = -1e9;
let latestDay: f64 = 1e9;

/** Sets the window of plausible dates (the reader's, from its file's ingest date). */
export function setDateWindow(earliest: f64, latest: f64): void {
  earliestDay = earliest;
  latestDay = latest;
}

let lastLow: i32 = 0;
let lastHigh: i32 = 0;
let lastDays: f64 = NaN;

/** `CCYYMMDD` given as two little-endian words, as days since 1970-01-01; NaN when it is not a calendar date. */
function daysOfWords(low: i32, high: i32): f64 {
  if (low === lastLow && high === lastHigh) return lastDays;
  const days = computeDays(low, high);
  lastLow = low;
  lastHigh = high;
  lastDays = days;
  return days;
}

function computeDays(low: i32, high: i32): f64 {
  const check =
    low | (low - 0x30303030) | (low + 0x46464646) | high | (high - 0x30303030) | (high + 0x46464646);
  if ((check & 0x80808080) !== 0) return NaN;
  const year =
    (low & 0xff) * 1000 +
    ((low >> 8) & 0xff) * 100 +
    ((low >> 16) & 0xff) * 10 +
    <i32>(<u32>low >> 24) -
    48 * 1111;
  const month = (high & 0xff) * 10 + ((high >> 8) & 0xff) - 48 * 11;
  const day = ((high >> 16) & 0xff) * 10 + <i32>(<u32>high >> 24) - 48 * 11;
  if (year < 1900 || month < 1 || month > 12 || day < 1) return NaN;
  if (day > daysInMonth(year, month)) return NaN;
  // H. Hinnant's days_from_civil (the year is at least 1899 here, so division is floor division).
  const y = month <= 2 ? year - 1 : year;
  const era = y / 400;
  const yoe = y - era * 400;
  const doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return <f64>(era * 146097 + doe - 719468);
}

function daysInMonth(year: i32, month: i32): i32 {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** SVC: the composite's procedure code, charge and paid (SVC04 on is not read). */
@inline
function svc(w: i32, start: i32, end: i32, index: i32, separator: i32, component: i32): i32 {
  collectSeparators(start, end, separator);
  if (separatorCount < 3 || separatorCount > MAX_SEPARATORS) return generic(w, start, end, index);
  const compositeStart = sep(0) + 1;
  const compositeEnd = sep(1);
  let kind = PROCEDURE_NONE;
  let codeStart = compositeStart;
  let codeEnd = compositeEnd;
  let key = 0;
  // The usual HC:99213 (a two-character qualifier, the code, then any modifiers).
  if (compositeStart + 2 < compositeEnd && byteAt(compositeStart + 2) === component) {
    const q0 = byteAt(compositeStart);
    const q1 = byteAt(compositeStart + 1);
    if (q0 !== component && q1 !== component) {
      codeStart = compositeStart + 3;
      let i = codeStart;
      let keyed = true;
      while (i < compositeEnd) {
        const c = byteAt(i);
        if (c === component) break;
        const digit = c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 90 ? c - 55 : -1;
        if (digit < 0) keyed = false;
        key = key * 36 + digit;
        i++;
      }
      codeEnd = i;
      if (i > codeStart) kind = keyed && i - codeStart === 5 ? PROCEDURE_KEYED : PROCEDURE_TEXT;
    } else if (compositeEnd > compositeStart) kind = PROCEDURE_COMPOSITE;
  } else if (compositeEnd > compositeStart) kind = PROCEDURE_COMPOSITE;
  const charge = amount(2, separator);
  const paid = amount(3, separator);
  if (isNaN(charge) || isNaN(paid) || tooLarge(charge) || tooLarge(paid)) return generic(w, start, end, index);
  head(w, RECORD_SVC, start, end, index);
  put(w + 4, kind);
  put(w + 5, codeStart);
  put(w + 6, codeEnd);
  // Odd keys: procedure codes (NPIs have even ones).
  put(w + 7, kind === PROCEDURE_KEYED ? intern((<u64>key << 1) | 1) : -1);
  putNumber(w + 8, charge);
  putNumber(w + 10, paid);
  putNumber(w + 12, NaN);
  return w + WORDS_SVC;
}

/**
 * CLP: the id, status and amounts read, the positions of its separators for the other elements
 * (the reader takes those the map names), and the codes `setClpCodes` names interned.
 */
@inline
function clp(w: i32, start: i32, end: i32, index: i32, separator: i32): i32 {
  collectSeparators(start, end, separator);
  // The id, status, charge and paid are required, and each but the last is followed by another.
  if (separatorCount < 4 || separatorCount > MAX_CLP_ELEMENTS) return generic(w, start, end, index);
  const idStart = sep(0) + 1;
  const idEnd = sep(1);
  if (idEnd === idStart) return generic(w, start, end, index);
  if (!putCode(w + 6, 2)) return generic(w, start, end, index);
  const charge = amount(3, separator);
  const paid = amount(4, separator);
  if (isNaN(charge) || isNaN(paid) || tooLarge(charge) || tooLarge(paid)) return generic(w, start, end, index);
  let patient: f64 = NaN;
  if (separatorCount >= 5 && elementEnd(5) > elementStart(5)) {
    patient = amount(5, separator);
    if (isNaN(patient) || tooLarge(patient)) return generic(w, start, end, index);
  }
  head(w, RECORD_CLP, start, end, index);
  put(w + 4, idStart);
  put(w + 5, idEnd);
  const n = separatorCount;
  put(w + 9, n);
  put(w + 10, 0);
  put(w + 11, 0);
  putNumber(w + 12, charge);
  putNumber(w + 14, paid);
  putNumber(w + 16, patient);
  putNumber(w + 18, NaN);
  putNumber(w + 20, NaN);
  for (let k = 0; k < n; k++) put(w + CLP_SEPARATORS + k, sep(k));
  let codes = clpCodes;
  while (codes !== 0) {
    const k = <i32>ctz(codes);
    codes &= codes - 1;
    let id = -1;
    if (k >= 1 && k <= n) {
      const from = elementStart(k);
      const to = elementEnd(k);
      if (to > from) id = codeId(from, to);
    }
    put(w + CLP_CODES + k - 1, id);
  }
  return w + WORDS_CLP;
}

/**
 * A segment whose elements the map reads generically: its separators' positions and its element
 * 01 (a qualifier, as a rule) interned; one with more than MAX_ELEMENT_SEPARATORS is GENERIC.
 */
@inline
function elements(w: i32, start: i32, end: i32, index: i32, separator: i32, key: i32): i32 {
  collectSeparators(start, end, separator);
  const n = separatorCount;
  if (n > MAX_ELEMENT_SEPARATORS) return generic(w, start, end, index);
  head(w, RECORD_ELEMENTS, start, end, index);
  put(w + 4, key);
  put(w + 5, n);
  let qualifier = -1;
  if (n >= 1) {
    const from = elementStart(1);
    const to = elementEnd(1);
    if (to > from) qualifier = codeId(from, to);
  }
  put(w + 6, qualifier);
  for (let k = 0; k < n; k++) put(w + WORDS_ELEMENTS_HEAD + k, sep(k));
  // Records start at even words (their numbers are 64-bit).
  return w + ((WORDS_ELEMENTS_HEAD + n + 1) & ~1);
}

/** True for NM1*82: NM101 (after the id and its separator) is exactly `82`. */
function isRendering(start: i32, end: i32, separator: i32): bool {
  const p = start + 4;
  return end >= p + 2 && byteAt(p) === 56 && byteAt(p + 1) === 50 && (end === p + 2 || byteAt(p + 2) === separator);
}

/** NM1*82: NM108 is exactly XX and NM109 (the rendering NPI) is not blank. */
@inline
function rendering(w: i32, start: i32, end: i32, index: i32, separator: i32): i32 {
  collectSeparators(start, end, separator);
  if (separatorCount < 8 || separatorCount > MAX_SEPARATORS) return generic(w, start, end, index);
  const p = sep(7) + 1;
  const npiStart = sep(8) + 1;
  const npiEnd = elementEnd(9);
  if (npiStart !== p + 3 || byteAt(p) !== 88 || byteAt(p + 1) !== 88 || npiEnd === npiStart) {
    return generic(w, start, end, index);
  }
  head(w, RECORD_RENDERING, start, end, index);
  put(w + 4, npiStart);
  put(w + 5, npiEnd);
  // An NPI of digits is interned by its value and length (even keys: see svc).
  const value = plainDigits(npiStart, npiEnd);
  put(w + 6, value >= 0 ? intern(((<u64>value << 5) | <u64>(npiEnd - npiStart)) << 1) : -1);
  put(w + 7, 0);
  return w + WORDS_RENDERING;
}
