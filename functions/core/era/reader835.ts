import { hash } from 'node:crypto';
import { partitionSafe } from '../lake/schema.ts';
import { parseCents, parseX12Date, parseX12Days } from '../money.ts';
import type { Cents, RemitColumns, RemittanceRow } from '../types.ts';
import { X12Error, type X12ErrorCode } from '../x12/errors.ts';
import {
  type Delimiters,
  type ScanBuffer,
  SEPARATORS,
  type SegmentBatchReader,
  segmentTooLong,
  separatorsOf,
} from '../x12/tokenizer.ts';
import {
  type AdjustmentBuilder,
  acquireBuilders,
  type ClaimBuilder,
  releaseBuilders,
} from './columnBuilders.ts';
import { ContentFingerprint } from './contentFingerprint.ts';
import {
  CLAIM_SLOTS,
  CLP_RULES,
  type ElementRule,
  LINE_SLOTS,
  READ_CLAIMS,
  READ_HEADER,
  RULES_BY_KEY,
  RULES_BY_SEGMENT,
  SEGMENT_READS,
  segmentKey,
} from './elementRules.ts';
import { plbReferenceTokens } from './plbReference.ts';
import {
  FIRST_RECORD,
  H_AT,
  H_END,
  H_INDEX,
  H_KEY,
  H_LENGTH,
  H_STOP,
  SegmentLexer,
  STATE_CLAIM,
  STATE_CLAIMS,
  STATE_SERVICE,
  STATE_TRANSACTION,
  STOP_IEA,
  STOP_NEED_MORE,
  STOP_TOO_LONG,
} from './segmentLexer.ts';
import { CATEGORY_INDEX, CAUSE_INDEX, casCategory, causeOfCarc, NO_CAUSE, plbCategory } from './taxonomy.ts';

/** Facts about the source that the rows carry. */
export interface SourceInfo {
  /** Where the file came from (path or object key). */
  key: string;
  sha256: string;
  /** ISO timestamp stamped on every remittance row. */
  ingestedAt: string;
}

interface Plb {
  provider: string | null;
  fiscalDate: number;
  code: string;
  reference: string | null;
  amount: Cents;
}

/** The header of the transaction being read, and its running totals. */
interface Transaction {
  startIndex: number;
  control: string | null;
  handling: string | null;
  amount: Cents | null;
  creditDebit: string | null;
  method: string | null;
  /** BPR16 as a date within the plausible window (else null, with a warning). */
  paymentDate: string | null;
  /** BPR16 as a calendar date, plausible or not (the remit_key hashes it). */
  paymentDateText: string | null;
  trace: string | null;
  originator: string | null;
  productionDate: string | null;
  payerName: string | null;
  payerId: string | null;
  payeeName: string | null;
  payeeNpi: string | null;
  payeeTin: string | null;
  payeeOther: string | null;
  context: 'header' | 'payer' | 'payee' | 'claims';
  /** Deviations tolerated rather than rejected (real payers send them); codes and positions only. */
  warnings: string[];
  plbs: Plb[];
  /** The payee NPI that claims without a rendering NPI were attributed to (undefined: none yet). */
  payeeUsed: string | null | undefined;
  /** True when claims were attributed to different payee NPIs (an N1*PE between claims). */
  payeeChanged: boolean;
  paidTotal: Cents;
  unbalancedClaims: number;
  unbalancedServices: number;
}

const NO_DATE = Number.NaN;

/** The first plausible date of a payment or service (DESIGN.md "Dates"). */
const EARLIEST_DATE = '1990-01-01';
const EARLIEST_DAY = parseX12Days('19900101');

/** One year after the ingest date (`ingestedAt`, ISO; now when it is not a date): the last plausible date. */
export function latestPlausibleDate(ingestedAt: string): string {
  const at = new Date(ingestedAt);
  const base = Number.isNaN(at.getTime()) ? new Date() : at;
  const next = new Date(Date.UTC(base.getUTCFullYear() + 1, base.getUTCMonth(), base.getUTCDate()));
  return next.toISOString().slice(0, 10);
}

/**
 * Reads 835 transactions from tokenized segments and normalizes each one (ST..SE) into lake
 * columns as it goes: claim and adjustment values are appended to arrays while their segments are
 * read, never gathered into intermediate objects, and what needs the whole transaction (PLB
 * links, balancing) is settled at SE. The reader decides no takeback's cause: a reversal's rows
 * and PLB rows leave `cause` NULL, the models decide it across files (docs/models.md "Cause of a
 * takeback"); other rows carry their CARC's class.
 * Pure: it sees only segments. Patient (QC), insured (IL) and corrected-insured (74) names and ids
 * are never read. Throws only `X12Error`, naming the segment and element.
 */
export class Era835Reader implements SegmentBatchReader {
  private tx: Transaction | null = null;
  private version: string | null = null;
  private interchangeControl: string | null = null;
  private index = 0;
  /** Id of the segment last split (`segment`); the error paths that name a segment all follow a split. */
  private id = '';
  /**
   * Key of the last segment read by the lexer or passed over (0 after a split), so that the end
   * of the file can name it: the lexer's records carry no id.
   */
  private lastKey = 0;
  private delimiters: Delimiters | null = null;
  private transactions = 0;
  /** Columns of the transaction being read (pooled builders, see `acquireBuilders`). */
  private builders: { claims: ClaimBuilder; adjustments: AdjustmentBuilder } | null = null;
  private claims!: ClaimBuilder;
  private adjustments!: AdjustmentBuilder;

  // The claim being read (CLP up to the next CLP, LX, PLB or SE).
  /** Compared `=== true` where segments are dispatched: V8 does not know a field holds only booleans, and a bare test checks for every falsy value. */
  private claimOpen = false;
  private cId = '';
  private cStatus = '';
  private cCharge: Cents = 0;
  private cPaid: Cents = 0;
  private cPatient: Cents = Number.NaN;
  private cRendering: string | null = null;
  private cFrom = NO_DATE;
  private cTo = NO_DATE;
  /** The claim's values of the element map's generic columns, by claim slot (CLAIM_SLOTS): first values, */
  private readonly cValues: (string | null)[] = CLAIM_SLOTS.map(() => null);
  /** and the lists of list slots (a new array per claim). */
  private readonly cLists: (string[] | undefined)[] = CLAIM_SLOTS.map(() => undefined);
  private cCasTotal: Cents = 0;
  private cServices = 0;
  private cFirstServiceDate = NO_DATE;
  /** True while the open claim is a reversal (CLP02 = 22): its rows have no cause in the lake. */
  private cReversal = false;

  // The service line being read (SVC up to the next SVC or the claim's end).
  /** Compared `=== true`, as `claimOpen` is. */
  private serviceOpen = false;
  private sCharge: Cents = 0;
  private sPaid: Cents = 0;
  private sCas: Cents = 0;
  private sDate = NO_DATE;
  private sProcedure: string | null = null;
  /** The line's first adjustment row, and its values of the map's generic line columns (LINE_SLOTS). */
  private sRowStart = 0;
  private readonly sValues: (string | null)[] = LINE_SLOTS.map(() => null);

  // The content fingerprint of the open transaction (contentFingerprint.ts): fed the raw bytes
  // from the end of its ST to the start of its SE, buffer by buffer, whatever path read them.
  private readonly fingerprint = new ContentFingerprint();
  /** The buffer the fingerprint has read up to `fingerprintFrom` in. */
  private fingerprintSource: ScanBuffer | null = null;
  private fingerprintFrom = 0;
  /** The segment being split, as a range of `splitSource` (null: split from elements, no buffer). */
  private splitSource: ScanBuffer | null = null;
  private splitStart = 0;
  private splitEnd = 0;
  /** The end of the last segment `scan` was given, in `fingerprintSource`. */
  private scanEnd = 0;

  /** The last plausible date: one year after the ingest (ISO, and as days since 1970-01-01). */
  private readonly latestDate: string;
  private readonly latestDay: number;

  constructor(
    private readonly source: SourceInfo,
    private readonly emit: (remit: RemitColumns) => void,
  ) {
    this.latestDate = latestPlausibleDate(source.ingestedAt);
    this.latestDay = parseX12Days(this.latestDate.replaceAll('-', ''));
  }

  /** Number of transactions emitted so far. */
  get transactionCount(): number {
    return this.transactions;
  }

  /** The number of the last segment read (the scanner's count, when the reader reads runs of segments). */
  get lastSegmentIndex(): number {
    return this.index;
  }

  /**
   * Consumes one segment as a range of the scanner's buffer: a last segment with no terminator
   * (the lexer reads every other one, see `readSegments`). What the lexer passes over (what the
   * element map and the reader do not read where the segment is: SEGMENT_READS) is passed over
   * here too; everything else goes through the split path.
   */
  scan(
    source: ScanBuffer,
    start: number,
    end: number,
    index: number,
    delimiters: Delimiters,
    separator: number,
  ): boolean {
    const key = segmentKeyAt(source, start, end, separator);
    const tx = this.tx;
    this.index = index;
    this.lastKey = key;
    if (this.fingerprint.open) {
      const previous = this.fingerprintSource;
      if (previous !== source) {
        // A new buffer (the scanner moved on): the last one's bytes up to its last segment go in,
        // with that segment's terminator; the new one is read from this segment on.
        if (previous !== null) {
          // From the buffer's text: its bytes may be a reader's chunk, refilled by now.
          const text = previous.text.slice(this.fingerprintFrom, this.scanEnd);
          this.fingerprint.bytes({ bytes: Buffer.from(text, 'latin1'), text }, 0, text.length);
          this.fingerprint.endSegment();
        }
        this.fingerprintSource = source;
        this.fingerprintFrom = start;
      }
      this.scanEnd = end;
    }
    if (tx !== null) {
      const claims = this.claimOpen === true || tx.context === 'claims';
      if (((SEGMENT_READS.get(key) ?? 0) & (claims ? READ_CLAIMS : READ_HEADER)) === 0) return false;
      if (key === KEY_NM1 && !isNm1Rendering(source.bytes, start, end, separator)) return false;
    }
    return this.split(source, start, end, index, delimiters, separator);
  }

  /**
   * Reads the complete segments of `source` from `pos` on, numbered from `index + 1` (the
   * scanner's `SegmentBatchReader`). The segment lexer (wasm/lexer.as.ts) reads them a run at a
   * time: it passes over the segments the lake never needs, reads the claim segments into records
   * of numbers, and hands everything else over whole; `applyRecords` applies them in order.
   * Returns the position after an IEA, or −(p + 1) where p starts the unterminated rest.
   */
  readSegments(source: ScanBuffer, pos: number, delimiters: Delimiters, index: number): number {
    const lexer = SegmentLexer.acquire();
    if (this.fingerprint.open) {
      this.fingerprintSource = source;
      this.fingerprintFrom = pos;
    }
    try {
      lexer.load(source);
      lexer.dateWindow(EARLIEST_DAY, this.latestDay);
      const separator = delimiters.element.charCodeAt(0);
      const terminator = delimiters.segment.charCodeAt(0);
      const terminator2 = delimiters.segment.length > 1 ? delimiters.segment.charCodeAt(1) : -1;
      const component = delimiters.component.charCodeAt(0);
      let at = pos;
      let last = index;
      for (;;) {
        lexer.run(at, separator, terminator, terminator2, component, this.lexerState(), last);
        const words = lexer.words;
        const iea = this.applyRecords(
          source,
          delimiters,
          separator,
          words,
          lexer.numbers,
          words[H_END] as number,
          lexer,
        );
        last = words[H_INDEX] as number;
        if (last > this.index) {
          // The run ended with segments passed over: the last of them is the last segment read.
          this.index = last;
          this.lastKey = words[H_KEY] as number;
        }
        at = words[H_AT] as number;
        switch (words[H_STOP]) {
          case STOP_NEED_MORE:
            // The transaction's bytes read so far go into its fingerprint: the buffer is dropped.
            if (this.fingerprint.open && this.fingerprintSource === source) {
              this.fingerprint.bytes(source, this.fingerprintFrom, at);
              this.fingerprintFrom = at;
            }
            return -(at + 1);
          case STOP_IEA:
            if (iea) return at;
            break;
          case STOP_TOO_LONG:
            throw segmentTooLong(this.source.key, words[H_LENGTH] as number, last + 1);
        }
      }
    } finally {
      lexer.release();
    }
  }

  /**
   * Applies the lexer's records (words [FIRST_RECORD, end)) in order, as `scan` would have read
   * their segments: a claim segment's values where the transaction's state lets it be read in
   * place, else the split path (which owns every error). Returns true after an IEA. The record
   * kinds are literals (LEXER_LAYOUT): a constant kept in a module is loaded at every record.
   */
  private applyRecords(
    source: ScanBuffer,
    delimiters: Delimiters,
    separator: number,
    words: Int32Array,
    numbers: Float64Array,
    end: number,
    lexer: SegmentLexer,
  ): boolean {
    const interned = lexer.interned;
    // Records of claim segments come only while a transaction is open (the lexer is told).
    const tx = this.tx as Transaction;
    let w = FIRST_RECORD;
    while (w < end) {
      const start = words[w + 1] as number;
      const stop = words[w + 2] as number;
      const index = words[w + 3] as number;
      this.index = index;
      switch (words[w]) {
        case 7 /* RECORD_CAS */:
          {
            const triplets = words[w + 7] as number;
            if (this.claimOpen === true) {
              this.lastKey = KEY_CAS;
              const groupId = words[w + 6] as number;
              const group = codeIn(source, words, w + 4, interned) as string;
              const category = indexOfId(lexer.groupCategories, groupId, group, groupCategory);
              for (let t = w + 8, k = 0; k < triplets; k++, t += 8) {
                const reasonId = words[t + 2] as number;
                const reason = codeIn(source, words, t, interned) as string;
                this.addCas(
                  group,
                  reason,
                  numbers[(t + 4) >> 1] as number,
                  numbers[(t + 6) >> 1] as number,
                  category,
                  indexOfId(lexer.reasonCauses, reasonId, reason, reasonCause),
                );
              }
            } else this.split(source, start, stop, index, delimiters, separator);
            w += 8 + 8 * triplets;
            break;
          }
        case 4 /* RECORD_DTM */:
          if (this.claimOpen === true) {
            this.lastKey = KEY_DTM;
            this.applyDate(
              source,
              start,
              stop,
              index,
              delimiters,
              separator,
              words[w + 4] as number,
              numbers[(w + 6) >> 1] as number,
            );
          } else this.split(source, start, stop, index, delimiters, separator);
          w += 8;
          break;
        case 5 /* RECORD_SVC */:
          if (this.claimOpen === true) {
            this.lastKey = KEY_SVC;
            this.openService(
              tx,
              procedureAt(
                source,
                words[w + 4] as number,
                words[w + 5] as number,
                words[w + 6] as number,
                words[w + 7] as number,
                delimiters,
                interned,
              ),
              numbers[(w + 8) >> 1] as number,
              numbers[(w + 10) >> 1] as number,
              numbers[(w + 12) >> 1] as number,
            );
          } else this.split(source, start, stop, index, delimiters, separator);
          w += 14;
          break;
        case 6 /* RECORD_CLP */:
          this.lastKey = KEY_CLP;
          this.openClaim(
            tx,
            source.slice(words[w + 4] as number, words[w + 5] as number),
            codeIn(source, words, w + 6, interned) as string,
            numbers[(w + 12) >> 1] as number,
            numbers[(w + 14) >> 1] as number,
            numbers[(w + 16) >> 1] as number,
            numbers[(w + 18) >> 1] as number,
            numbers[(w + 20) >> 1] as number,
          );
          this.applyClpRecord(source, words, w, interned);
          w += 54;
          break;
        case 8 /* RECORD_ELEMENTS */:
          {
            const count = words[w + 5] as number;
            if (this.claimOpen === true) {
              this.lastKey = words[w + 4] as number;
              this.applyElements(source, words, w, count, delimiters, interned);
            } else this.split(source, start, stop, index, delimiters, separator);
            w += (7 + count + 1) & ~1;
            break;
          }
        case 3 /* RECORD_RENDERING */:
          if (this.claimOpen === true) {
            this.lastKey = KEY_NM1;
            this.cRendering = internedText(
              source,
              words[w + 4] as number,
              words[w + 5] as number,
              words[w + 6] as number,
              interned,
            );
          } else this.split(source, start, stop, index, delimiters, separator);
          w += 8;
          break;
        default:
          if (this.split(source, start, stop, index, delimiters, separator)) return true;
          w += 4;
      }
    }
    return false;
  }

  /**
   * The element map's CLP elements (CLP_RULES) from the lexer's CLP record at word w: element k
   * runs from its separator k − 1 (words from w + 22) to separator k or the segment's end; a
   * code's interned id is at w + 38 + k − 1.
   */
  private applyClpRecord(
    source: ScanBuffer,
    words: Int32Array,
    w: number,
    interned: (string | undefined)[],
  ): void {
    const count = words[w + 9] as number;
    const values = this.cValues;
    for (const rule of CLP_RULES) {
      const k = rule.position;
      if (k > count) continue;
      const from = (words[w + 21 + k] as number) + 1;
      const to = k < count ? (words[w + 22 + k] as number) : (words[w + 2] as number);
      if (to === from) continue;
      values[rule.slot] = rule.code
        ? internedText(source, from, to, words[w + 37 + k] as number, interned)
        : source.slice(from, to);
    }
  }

  /**
   * The element map's generic elements of a segment of the open claim, from the lexer's ELEMENTS
   * record at word w (`count` separators from w + 7; element 01's interned id at w + 6).
   */
  private applyElements(
    source: ScanBuffer,
    words: Int32Array,
    w: number,
    count: number,
    delimiters: Delimiters,
    interned: (string | undefined)[],
  ): void {
    const rules = RULES_BY_KEY.get(words[w + 4] as number);
    if (rules === undefined) return;
    const service = this.serviceOpen === true;
    const end = words[w + 2] as number;
    let qualifier: string | null | undefined;
    for (const rule of rules) {
      if (rule.service !== service || rule.position > count) continue;
      if (rule.qualifier !== null) {
        if (qualifier === undefined) {
          const from = (words[w + 7] as number) + 1;
          const to = count > 1 ? (words[w + 8] as number) : end;
          qualifier = to > from ? internedText(source, from, to, words[w + 6] as number, interned) : null;
        }
        if (qualifier !== rule.qualifier) continue;
      }
      const k = rule.position;
      const from = (words[w + 6 + k] as number) + 1;
      const to = k < count ? (words[w + 7 + k] as number) : end;
      if (to > from) this.take(rule, source.slice(from, to), delimiters);
    }
  }

  /** The element map's generic elements of a split segment of the open claim. */
  private applyRules(rules: readonly ElementRule[], el: string[], delimiters: Delimiters): void {
    const service = this.serviceOpen === true;
    for (const rule of rules) {
      if (rule.service !== service) continue;
      if (rule.qualifier !== null && el[1] !== rule.qualifier) continue;
      const value = el[rule.position];
      if (value !== undefined && value !== '') this.take(rule, value, delimiters);
    }
  }

  /** Keeps a generic element's value (not blank) in its slot: the first one, or every one of a list. */
  private take(rule: ElementRule, element: string, delimiters: Delimiters): void {
    let value = element;
    if (rule.component > 0) {
      value = element.split(delimiters.component)[rule.component - 1] ?? '';
      if (value === '') return;
    }
    if (rule.line) {
      if (this.sValues[rule.slot] === null) this.sValues[rule.slot] = value;
    } else if (rule.list) {
      const list = this.cLists[rule.slot];
      if (list === undefined) this.cLists[rule.slot] = [value];
      else list.push(value);
    } else if (this.cValues[rule.slot] === null) this.cValues[rule.slot] = value;
  }

  /** The reader's state as the lexer is told it (STATE_* of segmentLexer.ts). */
  private lexerState(): number {
    const tx = this.tx;
    if (tx === null) return 0;
    return (
      STATE_TRANSACTION |
      (this.claimOpen === true ? STATE_CLAIM : 0) |
      (tx.context === 'claims' ? STATE_CLAIMS : 0) |
      (this.serviceOpen === true ? STATE_SERVICE : 0)
    );
  }

  /** A DTM of the open claim read by the lexer: `kind` is its qualifier's class (DATE_*), `days` DTM02 (NaN when not a plain date). */
  private applyDate(
    source: ScanBuffer,
    start: number,
    end: number,
    index: number,
    delimiters: Delimiters,
    separator: number,
    kind: number,
    days: number,
  ): void {
    // 472 / 150: service date (the first one wins); 232 / 233: claim statement period.
    let target = 0;
    if (kind === 1 /* DATE_SERVICE */) {
      if (this.serviceOpen === true && Number.isNaN(this.sDate)) target = kind;
    } else if (kind !== 0 && this.serviceOpen !== true) target = kind;
    if (target === 0) return;
    // An unusual or implausible date (the lexer hands those over with no date) is read, and
    // warned of, by the split path.
    if (Number.isNaN(days)) this.split(source, start, end, index, delimiters, separator);
    else if (target === 1) this.sDate = days;
    else if (target === 2 /* DATE_FROM */) this.cFrom = days;
    else this.cTo = days;
  }

  /** Consumes one segment through the split path: its elements cut at its separators. True for an IEA. */
  private split(
    source: ScanBuffer,
    start: number,
    end: number,
    index: number,
    delimiters: Delimiters,
    separator: number,
  ): boolean {
    const count = separatorsOf(source, start, end, separator);
    this.splitSource = source;
    this.splitStart = start;
    this.splitEnd = end;
    try {
      this.segment(elementsOf(source, start, end, SEPARATORS, count), index, delimiters);
    } finally {
      this.splitSource = null;
    }
    return this.id === 'IEA';
  }

  /** Consumes one segment split into elements. */
  segment(el: string[], index: number, delimiters: Delimiters): void {
    this.index = index;
    this.lastKey = 0;
    const raw = el[0] as string;
    // A garbled segment (e.g. delimiters changed without an IEA) must not smuggle text into errors.
    const id = SEGMENT_ID.test(raw) ? raw : '';
    this.id = id;
    this.delimiters = delimiters;
    const tx = this.tx;
    // The production date (DTM*405) is the file's, not the payment's: a re-sent 835 gets a new one.
    // It stays out of the content fingerprint, like the envelope's control numbers.
    const produced = id === 'DTM' && el[1] === '405' && tx !== null && tx.context === 'header';
    if (produced) this.leaveOutOfFingerprint();
    // Split from elements (no buffer): the fingerprint is fed the segments themselves.
    else if (this.splitSource === null && tx !== null && id !== 'SE') this.fingerprint.segment(el);
    switch (id) {
      case 'ISA':
        this.requireNoTransaction();
        this.interchangeControl = (el[13] ?? '').trim() || null;
        this.version = (el[12] ?? '').trim() || null;
        return;
      case 'GS':
        this.requireNoTransaction();
        if (el[8]) this.version = el[8].trim();
        return;
      case 'GE':
      case 'IEA':
      case 'TA1':
        this.requireNoTransaction();
        return;
      case 'ST':
        this.startTransaction(el);
        this.fingerprint.begin(delimiters);
        if (this.splitSource === null) this.fingerprint.afterSt();
        else {
          this.fingerprintSource = this.splitSource;
          this.fingerprintFrom = this.splitEnd;
          this.scanEnd = this.splitEnd;
        }
        return;
    }
    if (tx === null) {
      this.fail(
        'SEGMENT_OUTSIDE_TRANSACTION',
        `${id || 'a garbled segment'} appears outside an ST..SE transaction`,
      );
    }
    // What is not read where it is (in the header, among the claims) is passed over, as the lexer does.
    const claims = this.claimOpen === true || tx.context === 'claims';
    if (((SEGMENT_READS.get(segmentKey(id)) ?? 0) & (claims ? READ_CLAIMS : READ_HEADER)) === 0) return;
    switch (id) {
      case 'BPR':
        tx.handling = el[1] || null;
        tx.amount = this.money(el, 2, true);
        tx.creditDebit = el[3] || null;
        tx.method = el[4] || null;
        tx.paymentDateText = this.calendarDate(el, 16);
        tx.paymentDate = this.plausibleDate(tx.paymentDateText, 16);
        break;
      case 'TRN':
        if (tx.trace === null) {
          tx.trace = el[2] || null;
          tx.originator = el[3] || null;
        }
        break;
      case 'DTM':
        this.dtm(tx, el);
        break;
      case 'N1':
        this.n1(tx, el);
        break;
      case 'REF':
        if (tx.context === 'payer' && el[1] === '2U' && el[2]) tx.payerId = el[2];
        else if (tx.context === 'payee' && el[1] === 'TJ' && el[2]) tx.payeeTin = el[2];
        else if (tx.context === 'payee' && el[1] === 'PQ' && el[2] && tx.payeeOther === null)
          tx.payeeOther = el[2];
        break;
      case 'LX':
        this.closeClaim(tx);
        tx.context = 'claims';
        break;
      case 'CLP':
        this.clp(tx, el);
        break;
      case 'CAS':
        this.cas(el);
        break;
      case 'NM1':
        if (el[1] === '82' && this.claimOpen && el[8] === 'XX' && el[9]) this.cRendering = el[9];
        break;
      case 'SVC':
        this.svc(tx, el);
        break;
      case 'PLB':
        this.plb(tx, el);
        break;
      case 'SE':
        this.endTransaction(tx, el);
        return;
    }
    // The element map's generic elements (REF*F8, MOA remark codes, CLP07, …) of the open claim.
    if (this.claimOpen === true) {
      const rules = RULES_BY_SEGMENT.get(id);
      if (rules !== undefined) this.applyRules(rules, el, delimiters);
    }
  }

  /** Leaves the segment being split out of the fingerprint: the bytes before it go in, it is passed over. */
  private leaveOutOfFingerprint(): void {
    const split = this.splitSource;
    if (split === null || this.fingerprintSource !== split) return;
    this.fingerprint.bytes(split, this.fingerprintFrom, this.splitStart);
    this.fingerprintFrom = this.splitEnd;
  }

  /** Call after the last segment: a transaction still open means the file was cut short. */
  finish(): void {
    if (this.tx !== null) {
      throw new X12Error('MISSING_SE', 'file ends inside a transaction (no SE): truncated?', {
        file: this.source.key,
        segmentIndex: this.index,
        segmentId: this.lastKey === 0 ? this.id : idOfKey(this.lastKey),
      });
    }
  }

  private requireNoTransaction(): void {
    if (this.tx !== null)
      this.fail('MISSING_SE', `${this.id || 'a garbled segment'} before the SE that closes the transaction`);
  }

  private startTransaction(el: string[]): void {
    this.requireNoTransaction();
    if (el[1] !== '835') {
      this.fail('NOT_835', `transaction set ${el[1] ?? '(blank)'} is not an 835 remittance`, 'ST01');
    }
    this.claimOpen = false;
    this.serviceOpen = false;
    if (this.builders === null) {
      this.builders = acquireBuilders();
      this.claims = this.builders.claims;
      this.adjustments = this.builders.adjustments;
    }
    this.claims.reset();
    this.adjustments.reset();
    this.tx = {
      startIndex: this.index,
      control: el[2] || null,
      handling: null,
      amount: null,
      creditDebit: null,
      method: null,
      paymentDate: null,
      paymentDateText: null,
      trace: null,
      originator: null,
      productionDate: null,
      payerName: null,
      payerId: null,
      payeeName: null,
      payeeNpi: null,
      payeeTin: null,
      payeeOther: null,
      context: 'header',
      warnings: [],
      plbs: [],
      payeeUsed: undefined,
      payeeChanged: false,
      paidTotal: 0,
      unbalancedClaims: 0,
      unbalancedServices: 0,
    };
  }

  private dtm(tx: Transaction, el: string[]): void {
    switch (el[1]) {
      case '405':
        if (tx.context === 'header') tx.productionDate = this.date(el, 2);
        return;
      case '232':
        if (this.claimOpen && !this.serviceOpen) this.cFrom = this.days(el, 2);
        return;
      case '233':
        if (this.claimOpen && !this.serviceOpen) this.cTo = this.days(el, 2);
        return;
      case '472':
      case '150':
        if (this.serviceOpen && Number.isNaN(this.sDate)) this.sDate = this.days(el, 2);
        return;
      default:
        return;
    }
  }

  private n1(tx: Transaction, el: string[]): void {
    if (el[1] === 'PR') {
      tx.context = 'payer';
      tx.payerName = el[2] || null;
      if (el[3] === 'XV' && el[4]) tx.payerId = el[4];
    } else if (el[1] === 'PE') {
      tx.context = 'payee';
      tx.payeeName = el[2] || null;
      const id = el[4] || null;
      if (el[3] === 'XX') tx.payeeNpi = id;
      else if (el[3] === 'FI') tx.payeeTin = id;
      else tx.payeeOther = id;
    } else {
      tx.context = 'header';
    }
  }

  private clp(tx: Transaction, el: string[]): void {
    const id = el[1];
    if (!id) this.fail('MISSING_ELEMENT', 'CLP01 claim id is required', 'CLP01');
    const status = el[2];
    if (!status) this.fail('MISSING_ELEMENT', 'CLP02 claim status is required', 'CLP02');
    this.openClaim(
      tx,
      id,
      status,
      this.money(el, 3, true),
      this.money(el, 4, true),
      this.money(el, 5, false) ?? Number.NaN,
      NO_DATE,
      NO_DATE,
    );
  }

  /**
   * Starts a claim (closing the one before) from its CLP amounts, and the statement dates the
   * lexer already read for it (NaN: none yet; its DTMs set them). The map's CLP elements are
   * taken after it (`applyRules`, `applyClpRecord`).
   */
  private openClaim(
    tx: Transaction,
    id: string,
    status: string,
    charge: Cents,
    paid: Cents,
    patientResponsibility: Cents,
    from: number,
    to: number,
  ): void {
    this.closeClaim(tx);
    tx.context = 'claims';
    this.claimOpen = true;
    this.cId = id;
    this.cStatus = status;
    this.cCharge = charge;
    this.cPaid = paid;
    this.cPatient = patientResponsibility;
    this.cRendering = null;
    this.cFrom = from;
    this.cTo = to;
    // Loops, not `fill`: a builtin call per claim costs more than these few stores.
    const values = this.cValues;
    for (let s = 0; s < values.length; s++) values[s] = null;
    const lists = this.cLists;
    for (let s = 0; s < lists.length; s++) lists[s] = undefined;
    this.cCasTotal = 0;
    this.cServices = 0;
    this.cFirstServiceDate = NO_DATE;
    this.cReversal = status === '22';
  }

  /**
   * Appends one CAS triplet of the open claim (or of its open service line); `category` and
   * `cause` are its group's and reason's (a reversal's rows have none: NULL in the lake).
   */
  private addCas(
    group: string,
    reason: string,
    amount: Cents,
    quantity: number,
    category: number,
    cause: number,
  ): void {
    const service = this.serviceOpen === true;
    const reversal = this.cReversal;
    this.adjustments.addCas(
      service ? LEVEL_SERVICE : LEVEL_CLAIM,
      this.claims.length + 1,
      service ? this.sProcedure : null,
      group,
      reason,
      amount,
      quantity,
      reversal ? CATEGORY_REVERSAL : category,
      reversal ? NO_CAUSE : cause,
    );
    this.cCasTotal += amount;
    if (service) this.sCas += amount;
  }

  /** Starts a service line, with the service date the lexer already read for it (NaN: none yet). */
  private openService(
    tx: Transaction,
    procedure: string | null,
    charge: Cents,
    paid: Cents,
    date: number,
  ): void {
    this.closeService(tx);
    this.serviceOpen = true;
    this.sProcedure = procedure;
    this.sCharge = charge;
    this.sPaid = paid;
    this.sCas = 0;
    this.sDate = date;
    this.sRowStart = this.adjustments.length;
    const values = this.sValues;
    for (let s = 0; s < values.length; s++) values[s] = null;
    this.cServices++;
  }

  private closeService(tx: Transaction): void {
    if (this.serviceOpen !== true) return;
    this.serviceOpen = false;
    if (this.sValues.length > 0)
      this.adjustments.setLine(this.sRowStart, this.adjustments.length, this.sValues);
    if (this.sCharge - this.sCas !== this.sPaid) tx.unbalancedServices++;
    const first = this.cFirstServiceDate;
    if (!Number.isNaN(this.sDate) && (Number.isNaN(first) || this.sDate < first))
      this.cFirstServiceDate = this.sDate;
  }

  /** Ends the open claim: appends its row (its adjustment rows name it by claim_seq already). */
  private closeClaim(tx: Transaction): void {
    if (!this.claimOpen) return;
    this.closeService(tx);
    this.claimOpen = false;
    const balanced = this.cCharge - this.cCasTotal === this.cPaid;
    if (!balanced) tx.unbalancedClaims++;
    tx.paidTotal += this.cPaid;
    let provider = this.cRendering;
    if (provider === null) {
      provider = tx.payeeNpi;
      if (tx.payeeUsed !== undefined && tx.payeeUsed !== provider) tx.payeeChanged = true;
      tx.payeeUsed = provider;
    }
    this.claims.add(
      this.cId,
      this.cStatus,
      this.cCharge,
      this.cPaid,
      this.cPatient,
      this.cRendering,
      provider,
      !Number.isNaN(this.cFrom) ? this.cFrom : this.cFirstServiceDate,
      this.cFrom,
      this.cTo,
      this.cReversal,
      this.cValues,
      this.cLists,
      this.cServices,
      balanced,
    );
  }

  private cas(el: string[]): void {
    if (!this.claimOpen) this.fail('UNEXPECTED_SEGMENT', 'CAS before any CLP');
    const group = el[1];
    if (!group) this.fail('MISSING_ELEMENT', 'CAS01 group code is required', 'CAS01');
    const found: [string, Cents, number][] = [];
    for (let i = 2; i <= 17; i += 3) {
      const reason = el[i];
      if (!reason) continue;
      const amount = this.money(el, i + 1, true);
      const quantityText = el[i + 2];
      let quantity = Number.NaN;
      if (quantityText) {
        quantity = Number(quantityText);
        if (!Number.isFinite(quantity))
          this.fail('BAD_NUMBER', 'quantity is not a number', elementName('CAS', i + 2));
      }
      found.push([reason, amount, quantity]);
    }
    const category = groupCategory(group);
    for (const [reason, amount, quantity] of found)
      this.addCas(group, reason, amount, quantity, category, reasonCause(reason));
  }

  private svc(tx: Transaction, el: string[]): void {
    if (!this.claimOpen) this.fail('UNEXPECTED_SEGMENT', 'SVC before any CLP');
    const composite = el[1] ?? '';
    const procedure = procedureCode(composite, (this.delimiters as Delimiters).component);
    const charge = this.lenientMoney(el, 2);
    const paid = this.lenientMoney(el, 3);
    this.openService(tx, procedure, charge, paid, NO_DATE);
  }

  private plb(tx: Transaction, el: string[]): void {
    this.closeClaim(tx);
    const provider = el[1] || null;
    const fiscalDate = this.days(el, 2);
    const component = (this.delimiters as Delimiters).component;
    for (let i = 3; i <= 13; i += 2) {
      const composite = el[i];
      if (!composite) continue;
      const [code, written] = splitReason(composite, component);
      // Only the tokens that name a claim: member ids (HIC, MBI, member numbers) never enter the lake.
      const reference = written === null ? null : plbReferenceTokens(written);
      if (code.length === 0)
        this.fail('MISSING_ELEMENT', 'adjustment reason code is blank', `${elementName('PLB', i)}-1`);
      const amount = this.money(el, i + 1, true);
      tx.plbs.push({ provider, fiscalDate, code, reference, amount });
    }
  }

  private endTransaction(tx: Transaction, el: string[]): void {
    this.closeClaim(tx);
    const declared = el[1];
    if (!declared || !/^\d+$/.test(declared))
      this.fail('MISSING_ELEMENT', 'SE01 segment count is required', 'SE01');
    // Every segment is numbered in turn, so the transaction's are counted by SE's and ST's positions.
    const segments = this.index - tx.startIndex + 1;
    if (Number(declared) !== segments) {
      tx.warnings.push(`SE01 count ${declared} != ${segments} segments`);
    }
    if (tx.amount === null) {
      throw new X12Error('MISSING_SEGMENT', 'transaction has no BPR segment', {
        file: this.source.key,
        segmentIndex: tx.startIndex,
        segmentId: 'ST',
      });
    }
    this.tx = null;
    const split = this.splitSource;
    if (split !== null) {
      // The bytes up to the SE: from where the fingerprint stopped, or from the start of a
      // buffer it has not seen (the last segment of a file, read on its own).
      const from = this.fingerprintSource === split ? this.fingerprintFrom : 0;
      this.fingerprint.bytes(split, from, this.splitStart);
    }
    this.fingerprintSource = null;
    const remit = normalize(
      tx,
      tx.amount,
      this.claims,
      this.adjustments,
      this.source,
      this.version,
      this.interchangeControl,
      this.fingerprint.finish(),
    );
    const r = remit.remittance;
    if (!Number.isSafeInteger(r.plb_total) || !Number.isSafeInteger(r.balance_difference)) {
      this.fail(
        'BAD_AMOUNT',
        'transaction totals exceed the exact range of the lake (DECIMAL(18,2))',
        'SE01',
      );
    }
    this.transactions++;
    const builders = this.builders;
    this.builders = null;
    this.emit(remit);
    // The columns are the builders' arrays: they go back to the pool once the callback is done.
    if (builders !== null) releaseBuilders(builders);
  }

  private money(el: string[], position: number, required: true): Cents;
  private money(el: string[], position: number, required: false): Cents | null;
  private money(el: string[], position: number, required: boolean): Cents | null {
    const text = el[position];
    if (text === undefined || text === '') {
      if (required) this.fail('MISSING_ELEMENT', 'amount is required', elementName(this.id, position));
      return null;
    }
    const cents = parseCents(text);
    if (cents === null) {
      this.fail('BAD_AMOUNT', `"${clip(text)}" is not a decimal amount`, elementName(this.id, position));
    }
    if (cents > MAX_AMOUNT_CENTS || cents < -MAX_AMOUNT_CENTS) {
      // Keeps every sum of a transaction an exact integer and within the lake's DECIMAL(18,2).
      this.fail(
        'BAD_AMOUNT',
        `"${clip(text)}" exceeds the largest amount accepted (100 billion)`,
        elementName(this.id, position),
      );
    }
    return cents;
  }

  /** An amount that some senders leave blank (SVC02/SVC03): blank reads as 0 with a warning. */
  private lenientMoney(el: string[], position: number): Cents {
    const cents = this.money(el, position, false);
    if (cents === null) {
      this.tx?.warnings.push(
        `segment ${this.index} ${elementName(this.id, position)} blank amount read as 0`,
      );
      return 0;
    }
    return cents;
  }

  /** An optional header date as ISO text; an impossible one is dropped with a warning. */
  /** An optional header date (ISO), within the plausible window, else null (with a warning). */
  private date(el: string[], position: number): string | null {
    return this.plausibleDate(this.calendarDate(el, position), position);
  }

  /** An optional date as written (ISO), null when absent or not a calendar date (with a warning). */
  private calendarDate(el: string[], position: number): string | null {
    const text = el[position];
    if (text === undefined || text === '') return null;
    const date = parseX12Date(text);
    if (date === null) this.invalidDate(position);
    return date;
  }

  /** `date` when it is within the plausible window; else null, with a warning. */
  private plausibleDate(date: string | null, position: number): string | null {
    if (date === null || (date >= EARLIEST_DATE && date <= this.latestDate)) return date;
    this.implausibleDate(`${elementName(this.id, position)}`);
    return null;
  }

  /**
   * A date outside 1990-01-01 .. one year after the ingest: real files carry years such as 7663.
   * It is stored as unknown, never as a period (no mart grows with the span of a bad date).
   * The warning names the segment and element only, never the date (a date of service is PHI).
   */
  private implausibleDate(element: string): void {
    this.tx?.warnings.push(
      `segment ${this.index} ${element} implausible date ignored (outside ${EARLIEST_DATE}..${this.latestDate})`,
    );
  }

  /** An optional claim or PLB date as a day number (NaN when absent or impossible, with a warning). */
  private days(el: string[], position: number): number {
    const text = el[position];
    if (text === undefined || text === '') return NO_DATE;
    const days = parseX12Days(text);
    if (Number.isNaN(days)) this.invalidDate(position);
    else if (days < EARLIEST_DAY || days > this.latestDay) {
      this.implausibleDate(elementName(this.id, position));
      return NO_DATE;
    }
    return days;
  }

  private invalidDate(position: number): void {
    // Real payers send impossible dates (TR3 examples included): keep the transaction, drop the date.
    this.tx?.warnings.push(`segment ${this.index} ${elementName(this.id, position)} invalid date ignored`);
  }

  private fail(code: X12ErrorCode, reason: string, element?: string): never {
    throw new X12Error(code, reason, {
      file: this.source.key,
      segmentIndex: this.index,
      segmentId: this.id,
      ...(element !== undefined ? { element } : {}),
    });
  }
}

const LEVEL_CLAIM = 0;
const LEVEL_SERVICE = 1;
const CATEGORY_REVERSAL = CATEGORY_INDEX.reversal;

/** Category indexes of CAS groups (on claims that are not reversals) and cause indexes of CARCs, by code, as met. */
const GROUP_CATEGORY = new Map<string, number>();
const REASON_CAUSE = new Map<string, number>();

/** The category index of CAS group `group`. */
function groupCategory(group: string): number {
  return indexOfCode(GROUP_CATEGORY, group, CATEGORY_OF_GROUP);
}

/** The cause index of CARC `reason`. */
function reasonCause(reason: string): number {
  return indexOfCode(REASON_CAUSE, reason, CAUSE_OF_REASON);
}

const CATEGORY_OF_GROUP = (group: string): number => CATEGORY_INDEX[casCategory(group, '')];
const CAUSE_OF_REASON = (reason: string): number => CAUSE_INDEX[causeOfCarc(reason) ?? 'other'];

/** The index `compute` gives a code, computed once per code (up to 4,096 codes are kept). */
function indexOfCode(table: Map<string, number>, code: string, compute: (code: string) => number): number {
  let index = table.get(code);
  if (index === undefined) {
    index = compute(code);
    if (table.size < 4096) table.set(code, index);
  }
  return index;
}

/**
 * `groupCategory` or `reasonCause` (`byCode`) of a code the lexer interned as `id`, kept in
 * `byId` (the lexer instance's: ids are its own); a code with no id (−1) is looked up by name.
 */
function indexOfId(byId: Int16Array, id: number, code: string, byCode: (code: string) => number): number {
  if (id < 0) return byCode(code);
  let index = byId[id] as number;
  if (index < 0) {
    index = byCode(code);
    byId[id] = index;
  }
  return index;
}

/** The code the lexer read at [start, end) (see `internedText`); null when `start` is −1 (a blank element). */
function codeAt(
  source: ScanBuffer,
  start: number,
  end: number,
  id: number,
  interned: (string | undefined)[],
): string | null {
  return start < 0 ? null : internedText(source, start, end, id, interned);
}

/** The code whose start, end and id are a record's words at..at + 2 (see `codeAt`). */
function codeIn(
  source: ScanBuffer,
  words: Int32Array,
  at: number,
  interned: (string | undefined)[],
): string | null {
  return codeAt(source, words[at] as number, words[at + 1] as number, words[at + 2] as number, interned);
}

/** The procedure code of an SVC the lexer read: its PROCEDURE_* kind, range and interned id. */
function procedureAt(
  source: ScanBuffer,
  kind: number,
  start: number,
  end: number,
  id: number,
  delimiters: Delimiters,
  interned: (string | undefined)[],
): string | null {
  switch (kind) {
    case 1 /* PROCEDURE_KEYED: five letters or digits */:
      return internedText(source, start, end, id, interned);
    case 2 /* PROCEDURE_TEXT */:
      return source.slice(start, end);
    case 3 /* PROCEDURE_COMPOSITE: another layout, read here */:
      return procedureCode(source.slice(start, end), delimiters.component);
    default:
      return null;
  }
}

/** The text [start, end), kept in `interned` by its id the first time (an id of −1: not interned). */
function internedText(
  source: ScanBuffer,
  start: number,
  end: number,
  id: number,
  interned: (string | undefined)[],
): string {
  if (id < 0) return source.slice(start, end);
  let text = interned[id];
  if (text === undefined) {
    text = source.slice(start, end);
    interned[id] = text;
  }
  return text;
}

/**
 * The key of the id of the segment at `start` (what precedes its first separator): its two or
 * three characters, the first in the low byte (`segmentKey`), or −1 for an id of another length.
 */
function segmentKeyAt(source: ScanBuffer, start: number, end: number, separator: number): number {
  if (end - start >= 4) {
    // The id and the separator after it, read as one word.
    const word = source.view.getInt32(start, true);
    const c2 = (word >> 16) & 0xff;
    if ((word & 0xff) === separator || ((word >> 8) & 0xff) === separator) return -1;
    if (c2 === separator) return word & 0xffff;
    return word >>> 24 === separator && c2 !== 0 ? word & 0xffffff : -1;
  }
  const bytes = source.bytes;
  const length = end - start;
  if (length < 2) return -1;
  const c0 = bytes[start] as number;
  const c1 = bytes[start + 1] as number;
  if (c0 === separator || c1 === separator) return -1;
  const c2 = length === 3 ? (bytes[start + 2] as number) : separator;
  if (c2 === separator) return c0 | (c1 << 8);
  return c2 !== 0 ? c0 | (c1 << 8) | (c2 << 16) : -1;
}

/** True for NM1*82 (rendering provider): the only NM1 read; patient and insured names never are. */
function isNm1Rendering(bytes: Uint8Array, start: number, end: number, separator: number): boolean {
  // NM101 starts after `NM1*` and is exactly `82`.
  const p = start + 4;
  return (
    end >= p + 2 &&
    (bytes[p] as number) === 56 /* 8 */ &&
    (bytes[p + 1] as number) === 50 /* 2 */ &&
    (end === p + 2 || (bytes[p + 2] as number) === separator)
  );
}

/** A segment's elements (the id first), cut at the separators the scanner found: `split` without a second pass. */
function elementsOf(
  source: ScanBuffer,
  start: number,
  end: number,
  separators: Int32Array,
  count: number,
): string[] {
  const el = new Array<string>(count + 1);
  let from = start;
  for (let k = 0; k < count; k++) {
    const at = separators[k] as number;
    el[k] = source.slice(from, at);
    from = at + 1;
  }
  el[count] = source.slice(from, end);
  return el;
}

/** What a segment id looks like; anything else is reported without an id. */
const SEGMENT_ID = /^[A-Z][A-Z0-9]{1,2}$/;

/** Largest single amount accepted: $100 billion. Sums of many stay exact integers of cents. */
const MAX_AMOUNT_CENTS = 10_000_000_000_000;

/** The id of a segment key, as the split path names it (blank for a garbled id or a key of −1). */
function idOfKey(key: number): string {
  let id = '';
  for (let k = key; k > 0; k = Math.floor(k / 256)) id += String.fromCharCode(k % 256);
  return SEGMENT_ID.test(id) ? id : '';
}

const KEY_CAS = segmentKey('CAS');
const KEY_DTM = segmentKey('DTM');
const KEY_SVC = segmentKey('SVC');
const KEY_CLP = segmentKey('CLP');
const KEY_NM1 = segmentKey('NM1');

function elementName(id: string, position: number): string {
  return `${id}${position < 10 ? '0' : ''}${position}`;
}

/** Values quoted in errors are amounts, dates or codes; clipped so a runaway element cannot flood logs. */
function clip(text: string): string {
  if (!/^[-+0-9.]*$/.test(text)) return '(non-numeric text)';
  return text.length > 24 ? `${text.slice(0, 24)}…` : text;
}

/** Procedure code from an SVC01 composite; tolerates a sender using another component separator. */
function procedureCode(composite: string, component: string): string | null {
  if (composite.length === 0) return null;
  let at = composite.indexOf(component);
  let separator = component;
  if (at === -1) {
    const m = /^(HC|NU|AD|ER|IV|N4|WK|ZZ)([^A-Za-z0-9])/.exec(composite);
    if (m === null) return composite;
    separator = m[2] as string;
    at = 2;
  }
  const next = composite.indexOf(separator, at + 1);
  const code = next === -1 ? composite.slice(at + 1) : composite.slice(at + 1, next);
  return code.length > 0 ? code : null;
}

/** The names a kept PLB reference can link by: itself, then each of its tokens. */
function namesOf(reference: string): string[] {
  return reference.includes(' ') ? [reference, ...reference.split(' ')] : [reference];
}

/** Splits PLB03 `code:reference`; tolerates a different component separator after a 2-character code. */
function splitReason(composite: string, component: string): [string, string | null] {
  let at = composite.indexOf(component);
  if (at === -1 && composite.length > 3 && /[:>^]/.test(composite[2] as string)) at = 2;
  if (at === -1) return [composite.trim(), null];
  const reference = composite.slice(at + 1).trim();
  return [composite.slice(0, at).trim(), reference.length > 0 ? reference : null];
}

function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/** Marks the hashes (`referenceHash`) of the PLB references being looked for; cleared after each use. */
const REFERENCE_FILTER = new Uint8Array(1024);

/** A cheap hash of a reference or claim id: its length and last two characters. */
function referenceHash(text: string): number {
  const n = text.length;
  return (n * 961 + text.charCodeAt(n - 1) * 31 + text.charCodeAt(n - 2)) & 1023;
}

/** Settles what needs the whole transaction: PLB rows and links, the remittance row. */
function normalize(
  tx: Transaction,
  amount: Cents,
  c: ClaimBuilder,
  a: AdjustmentBuilder,
  source: SourceInfo,
  version: string | null,
  interchangeControl: string | null,
  contentSha256: string,
): RemitColumns {
  const payerId = partitionSafe(tx.payerId ?? tx.originator ?? tx.payerName ?? 'unknown');
  const payeeId = tx.payeeNpi ?? tx.payeeTin ?? tx.payeeOther ?? tx.payeeName;
  const paymentDate = tx.paymentDate;
  // The partition comes from the same elements as remit_id (never the production date, which a
  // re-sent file changes), so a re-delivery always lands in the same folder and is found there.
  const paymentMonth = paymentDate?.slice(0, 7) ?? 'unknown';
  // The remittance's key: who paid whom, the trace number, the amount and BPR16 as written (an
  // implausible date, stored as unknown, still tells two remittances apart). Two transactions
  // with one key and other content are both kept: the content fingerprint tells them apart.
  const remitKey = sha256Hex(
    [payerId, payeeId ?? '', tx.trace ?? '', String(amount), tx.paymentDateText ?? ''].join('|'),
  ).slice(0, 32);
  const remitId = `${remitKey}-${contentSha256.slice(0, 16)}`;
  const ids = c.ids;

  // Claims without a rendering NPI belong to the payee; an N1*PE read after claims (rare and
  // malformed, but tolerated) changes whom they belong to, as the final header says.
  if (tx.payeeChanged || (tx.payeeUsed !== undefined && tx.payeeUsed !== tx.payeeNpi)) {
    for (let i = 0; i < c.length; i++) {
      if (c.rendering_npi[i] !== null) continue;
      c.provider_npi[i] = tx.payeeNpi;
    }
  }

  let plbTotal = 0;
  if (tx.plbs.length > 0) {
    // The first claim whose ICN or CLP01 a PLB reference names (a transaction has few references).
    // One pass over the claims for all references, stopping once each one is found.
    // A takeback usually names a claim of an earlier remittance, so every claim is looked at:
    // a filter by length and last characters spares most of them the set lookup.
    const claimByRef = new Map<string, number>();
    const pending = new Set<string>();
    const filter = REFERENCE_FILTER;
    for (const p of tx.plbs) {
      if (p.reference === null) continue;
      for (const name of namesOf(p.reference)) {
        pending.add(name);
        filter[referenceHash(name)] = 1;
      }
    }
    for (let i = 0; i < c.length && pending.size > 0; i++) {
      const icn = c.icns[i];
      if (icn != null && filter[referenceHash(icn)] === 1 && pending.delete(icn)) claimByRef.set(icn, i);
      const id = ids[i] as string;
      if (filter[referenceHash(id)] === 1 && pending.delete(id)) claimByRef.set(id, i);
    }
    for (const p of tx.plbs)
      if (p.reference !== null) for (const name of namesOf(p.reference)) filter[referenceHash(name)] = 0;
    for (const p of tx.plbs) {
      plbTotal += p.amount;
      // The first of its names (the whole reference, then each token) that a claim here answers to.
      // Its cause is the models' (a takeback's cause depends on links across files): NULL here.
      let linked: number | undefined;
      if (p.reference !== null) {
        for (const name of namesOf(p.reference)) {
          linked = claimByRef.get(name);
          if (linked !== undefined) break;
        }
      }
      a.addProvider(
        linked !== undefined ? linked + 1 : Number.NaN,
        p.code,
        p.reference,
        p.amount,
        CATEGORY_INDEX[plbCategory(p.code)],
        NO_CAUSE,
        linked !== undefined ? null : p.provider,
        p.fiscalDate,
      );
    }
  }

  const expected = tx.creditDebit === 'D' && amount > 0 ? -amount : amount;
  const balanceDifference = tx.paidTotal - plbTotal - expected;
  const remittance: RemittanceRow = {
    remit_id: remitId,
    remit_key: remitKey,
    content_sha256: contentSha256,
    source_key: source.key,
    source_sha256: source.sha256,
    payer_id: payerId,
    payer_name: tx.payerName,
    payee_id: payeeId,
    payee_npi: tx.payeeNpi,
    payee_tin: tx.payeeTin,
    payee_name: tx.payeeName,
    handling_code: tx.handling,
    payment_amount: amount,
    credit_debit: tx.creditDebit,
    payment_method: tx.method,
    payment_date: paymentDate,
    payment_month: paymentMonth,
    trace_number: tx.trace,
    production_date: tx.productionDate,
    x12_version: version,
    interchange_control: interchangeControl,
    transaction_control: tx.control,
    claim_count: c.length,
    plb_total: plbTotal,
    balance_difference: balanceDifference,
    unbalanced_claims: tx.unbalancedClaims,
    unbalanced_services: tx.unbalancedServices,
    balanced: balanceDifference === 0 && tx.unbalancedClaims === 0 && tx.unbalancedServices === 0,
    warnings: tx.warnings.length > 0 ? tx.warnings.join('; ') : null,
    ingested_at: source.ingestedAt,
  };
  return { remittance, claims: c.columns(), adjustments: a.columns() };
}
