import { hash } from 'node:crypto';
import { partitionSafe } from '../lake/schema.ts';
import {
  centsStop,
  parseCents,
  parseCentsUntil,
  parseX12Date,
  parseX12Days,
  parseX12DaysWords,
} from '../money.ts';
import type { Cause, Cents, RemitColumns, RemittanceRow } from '../types.ts';
import { X12Error, type X12ErrorCode } from '../x12/errors.ts';
import { type Delimiters, type ScanBuffer, SEPARATORS, separatorsOf } from '../x12/tokenizer.ts';
import {
  type AdjustmentBuilder,
  acquireBuilders,
  type ClaimBuilder,
  releaseBuilders,
} from './columnBuilders.ts';
import {
  CATEGORY_INDEX,
  CAUSE_INDEX,
  type CasAmount,
  casCategory,
  causeOfCarc,
  correctionCause,
  plbCategory,
  RECOVERY_PLB_CODES,
} from './taxonomy.ts';

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
  paymentDate: string | null;
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
  /** Claim indices with CLP02 = 22, whose rows take their cause at SE. */
  reversals: number[];
  /** The payee NPI that claims without a rendering NPI were attributed to (undefined: none yet). */
  payeeUsed: string | null | undefined;
  /** True when claims were attributed to different payee NPIs (an N1*PE between claims). */
  payeeChanged: boolean;
  paidTotal: Cents;
  unbalancedClaims: number;
  unbalancedServices: number;
}

const NO_DATE = Number.NaN;

/**
 * Reads 835 transactions from tokenized segments and normalizes each one (ST..SE) into lake
 * columns as it goes: claim and adjustment values are appended to arrays while their segments are
 * read, never gathered into intermediate objects, and what needs the whole transaction (a
 * reversal's cause from its correction, PLB links, balancing) is settled at SE.
 * Pure: it sees only segments. Patient (QC), insured (IL) and corrected-insured (74) names and ids
 * are never read. Throws only `X12Error`, naming the segment and element.
 */
export class Era835Reader {
  private tx: Transaction | null = null;
  private version: string | null = null;
  private interchangeControl: string | null = null;
  private index = 0;
  /** Id of the segment last split (`segment`); the error paths that name a segment all follow a split. */
  private id = '';
  /**
   * Key of the segment last seen by `scan` when it was read in place or skipped (0 after a split),
   * so that the end of the file can name it: the in-place readers never store an id.
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
  private cFiling: string | null = null;
  private cIcn: string | null = null;
  private cFacility: string | null = null;
  private cFrequency: string | null = null;
  private cDrg: string | null = null;
  private cRendering: string | null = null;
  private cFrom = NO_DATE;
  private cTo = NO_DATE;
  private cRemarks: string[] | undefined = undefined;
  private cCasTotal: Cents = 0;
  private cServices = 0;
  private cFirstServiceDate = NO_DATE;
  private cRowStart = 0;
  /** True while the open claim is a reversal (CLP02 = 22): its rows take their cause at SE. */
  private cReversal = false;

  // The service line being read (SVC up to the next SVC or the claim's end).
  /** Compared `=== true`, as `claimOpen` is. */
  private serviceOpen = false;
  private sCharge: Cents = 0;
  private sPaid: Cents = 0;
  private sCas: Cents = 0;
  private sDate = NO_DATE;
  private sProcedure: string | null = null;

  constructor(
    private readonly source: SourceInfo,
    private readonly emit: (remit: RemitColumns) => void,
  ) {}

  /** Number of transactions emitted so far. */
  get transactionCount(): number {
    return this.transactions;
  }

  /**
   * Consumes one segment as a range of the scanner's buffer. Segments that carry nothing the lake
   * needs (addresses, contacts, informational amounts, patient and insured names) are counted for
   * SE01 and skipped without looking for their separators, and the per-claim segments are read in
   * place: that is most of the speed of this reader.
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
    if (tx !== null) {
      // The per-claim segments are read in place; anything unusual in them falls through to the
      // split path, which owns every error message. This stays small, so that the scanner's loop
      // takes it in and calls the readers itself. The keys are literals (`segmentKey` of each id):
      // a key kept in a module constant would be loaded and checked on every segment.
      let handled: boolean;
      switch (key) {
        case 0x534143 /* CAS */:
          handled = this.claimOpen === true && this.casInPlace(source, start, end, separator);
          break;
        case 0x4d5444 /* DTM */:
          handled = this.claimOpen === true && this.dtmInPlace(source, start, end, separator);
          break;
        case 0x435653 /* SVC */:
          handled =
            this.claimOpen === true &&
            this.svcInPlace(tx, source, start, end, separator, delimiters.component);
          break;
        case 0x504c43 /* CLP */:
          handled = this.clpInPlace(tx, source, start, end, separator);
          break;
        case 0x314d4e /* NM1 */:
          // Patient and insured names are never read; NM1*82 names the rendering provider.
          handled =
            !isNm1Rendering(source.bytes, start, end, separator) ||
            (this.claimOpen === true && this.renderingInPlace(source, start, end, separator));
          break;
        case 0x464552 /* REF */:
          handled = this.claimOpen === true || tx.context === 'claims';
          break;
        default:
          handled = SKIPPED.has(key);
      }
      // Counted for SE01 by position: SE's index less ST's.
      if (handled === true) return false;
    }
    return this.split(source, start, end, index, delimiters, separator);
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
    this.segment(elementsOf(source, start, end, SEPARATORS, count), index, delimiters);
    return this.id === 'IEA';
  }

  /**
   * CLP without splitting, in one pass: the first 11 elements (CLP12 on is not read). Anything
   * unusual returns false for the split path.
   */
  private clpInPlace(
    tx: Transaction,
    source: ScanBuffer,
    start: number,
    end: number,
    separator: number,
  ): boolean {
    const bytes = source.bytes;
    const idStart = start + 4;
    if (idStart > end) return false;
    const idEnd = nextSeparatorWide(source, idStart, end, separator);
    if (idEnd === end || idEnd === idStart) return false;
    const status = readCode(source, idEnd + 1, end, separator);
    const statusEnd = codeStop.at;
    if (status === null || statusEnd === end) return false;
    const charge = parseCentsUntil(bytes, statusEnd + 1, end, separator);
    if (Number.isNaN(charge) || centsStop.at === end) return false;
    const paid = parseCentsUntil(bytes, centsStop.at + 1, end, separator);
    if (Number.isNaN(paid)) return false;
    if (Math.abs(charge) > MAX_AMOUNT_CENTS || Math.abs(paid) > MAX_AMOUNT_CENTS) return false;
    let at = centsStop.at;
    let patientResponsibility = Number.NaN;
    if (at < end) {
      const p = at + 1;
      if (p < end && (bytes[p] as number) !== separator) {
        const pr = parseCentsUntil(bytes, p, end, separator);
        if (Number.isNaN(pr) || Math.abs(pr) > MAX_AMOUNT_CENTS) return false;
        patientResponsibility = pr;
        at = centsStop.at;
      } else at = p;
    }
    this.at = at;
    const filing = this.nextCode(source, end, separator);
    const icn = this.nextText(source, end, separator);
    const facility = this.nextCode(source, end, separator);
    const frequency = this.nextCode(source, end, separator);
    // CLP10, patient status, is not read.
    if (this.at < end) this.at = nextSeparator(bytes, this.at + 1, end, separator);
    const drg = this.nextText(source, end, separator);
    this.openClaim(
      tx,
      source.slice(idStart, idEnd),
      status,
      charge,
      paid,
      patientResponsibility,
      filing,
      icn,
      facility,
      frequency,
      drg,
    );
    return true;
  }

  /** End of the element last read in place by `nextCode` or `nextText` (its separator, or the segment's end). */
  private at = 0;

  /**
   * The code after the element that ends at `this.at` (a shared string), or null when it is
   * blank or absent; `this.at` moves to its end.
   */
  private nextCode(source: ScanBuffer, end: number, separator: number): string | null {
    const at = this.at;
    if (at >= end) return null;
    const value = readCode(source, at + 1, end, separator);
    this.at = codeStop.at;
    return value;
  }

  /** `nextCode` for an element that is not a code (an id): its text, sliced. */
  private nextText(source: ScanBuffer, end: number, separator: number): string | null {
    const at = this.at;
    if (at >= end) return null;
    const p = at + 1;
    const q = nextSeparatorWide(source, p, end, separator);
    this.at = q;
    return q === p ? null : source.slice(p, q);
  }

  /**
   * CAS without splitting, in one pass: group, then reason/amount/quantity triplets, each
   * element read as its end is found. Anything unusual returns false for the split path.
   */
  private casInPlace(source: ScanBuffer, start: number, end: number, separator: number): boolean {
    const bytes = source.bytes;
    // Element 1 (the group) starts after `CAS*`.
    if (start + 4 > end) return false;
    const group = readCode(source, start + 4, end, separator);
    if (group === null) return false;
    const groupSlot = codeStop.slot;
    let q = codeStop.at;
    // Rows are appended as their triplets are read; a bad triplet takes them back, so the split
    // path starts from a clean slate.
    const rows = this.adjustments.length;
    const casTotal = this.cCasTotal;
    const serviceCas = this.sCas;
    let triplets = 0;
    // q < end: the last element read ended at a separator, so another one follows.
    while (q < end && triplets < 6) {
      triplets++;
      const reason = readCode(source, q + 1, end, separator);
      const reasonSlot = codeStop.slot;
      q = codeStop.at;
      // A reason with no amount after it, or a blank last element.
      if (q === end) return this.takeBackCas(rows, casTotal, serviceCas);
      let cents = 0;
      if (reason === null) q = nextSeparator(bytes, q + 1, end, separator);
      else {
        cents = parseCentsUntil(bytes, q + 1, end, separator);
        if (Number.isNaN(cents) || cents > MAX_AMOUNT_CENTS || cents < -MAX_AMOUNT_CENTS)
          return this.takeBackCas(rows, casTotal, serviceCas);
        q = centsStop.at;
      }
      let quantity = Number.NaN;
      if (q < end) {
        const p = q + 1;
        q = nextSeparator(bytes, p, end, separator);
        if (q > p) {
          quantity = Number(source.slice(p, q));
          if (!Number.isFinite(quantity)) return this.takeBackCas(rows, casTotal, serviceCas);
        }
      }
      if (reason !== null) this.addCas(group, groupSlot, reason, reasonSlot, cents, quantity);
    }
    // More than six triplets.
    if (q < end) return this.takeBackCas(rows, casTotal, serviceCas);
    return true;
  }

  /** Undoes the rows a CAS read in place appended before it met something unusual; returns false. */
  private takeBackCas(rows: number, casTotal: Cents, serviceCas: Cents): false {
    this.adjustments.length = rows;
    this.cCasTotal = casTotal;
    this.sCas = serviceCas;
    return false;
  }

  /** SVC without splitting, in one pass: composite procedure, charge, paid (SVC04 on is not read). */
  private svcInPlace(
    tx: Transaction,
    source: ScanBuffer,
    start: number,
    end: number,
    separator: number,
    component: string,
  ): boolean {
    const bytes = source.bytes;
    const compositeStart = start + 4;
    if (compositeStart > end) return false;
    const procedure = procedureUntil(source, compositeStart, end, separator, component);
    const compositeEnd = codeStop.at;
    if (compositeEnd === end) return false;
    const charge = parseCentsUntil(bytes, compositeEnd + 1, end, separator);
    if (Number.isNaN(charge) || centsStop.at === end) return false;
    const paid = parseCentsUntil(bytes, centsStop.at + 1, end, separator);
    if (Number.isNaN(paid)) return false;
    if (Math.abs(charge) > MAX_AMOUNT_CENTS || Math.abs(paid) > MAX_AMOUNT_CENTS) return false;
    this.openService(tx, procedure, charge, paid);
    return true;
  }

  /** NM1*82 without splitting: only NM108 = XX and NM109 (the rendering NPI) are read. */
  private renderingInPlace(source: ScanBuffer, start: number, end: number, separator: number): boolean {
    const bytes = source.bytes;
    // NM101 (`82`, checked by isNm1Rendering) ends here; NM102 to NM107 are passed over.
    let q = start + 6;
    for (let k = 2; k <= 7; k++) {
      if (q >= end) return false;
      q = nextSeparator(bytes, q + 1, end, separator);
    }
    // NM108 is exactly XX, and NM109 follows it.
    const p = q + 1;
    if (p + 2 >= end || (bytes[p] as number) !== 88 || (bytes[p + 1] as number) !== 88) return false;
    if ((bytes[p + 2] as number) !== separator) return false;
    const npiStart = p + 3;
    const npiEnd = nextSeparatorWide(source, npiStart, end, separator);
    if (npiEnd === npiStart) return false;
    this.cRendering = source.slice(npiStart, npiEnd);
    return true;
  }

  /**
   * DTM without splitting or looking for every separator, for the qualifiers read inside a claim:
   * DTM01 is the three characters after `DTM*` (a separator follows), DTM02 runs to the next one.
   */
  private dtmInPlace(source: ScanBuffer, start: number, end: number, separator: number): boolean {
    const p = start + 4;
    if (end <= p + 3) return false;
    // DTM01 and its separator, read as one word (the first character in the low byte).
    const word = source.view.getInt32(p, true);
    if (word >>> 24 !== separator) return false;
    const c0 = word & 0xff;
    const c1 = (word >> 8) & 0xff;
    const c2 = (word >> 16) & 0xff;
    if (c0 === separator || c1 === separator || c2 === separator) return false;
    // 472 / 150: service date (the first one wins); 232 / 233: claim statement period.
    let target = 0;
    if ((c0 === 52 && c1 === 55 && c2 === 50) || (c0 === 49 && c1 === 53 && c2 === 48)) {
      if (this.serviceOpen === true && Number.isNaN(this.sDate)) target = 1;
    } else if (c0 === 50 && c1 === 51 && (c2 === 50 || c2 === 51)) {
      if (this.serviceOpen !== true) target = c2 === 50 ? 2 : 3;
    }
    if (target === 0) return true;
    // DTM02 is a date of eight digits, then the segment's end or a separator.
    const from = p + 4;
    const to = from + 8;
    if (to > end || (to !== end && (source.bytes[to] as number) !== separator)) return false;
    const days = parseX12DaysWords(source.view.getInt32(from, true), source.view.getInt32(from + 4, true));
    if (Number.isNaN(days)) return false;
    if (target === 1) this.sDate = days;
    else if (target === 2) this.cFrom = days;
    else this.cTo = days;
    return true;
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
        return;
    }
    if (tx === null) {
      this.fail(
        'SEGMENT_OUTSIDE_TRANSACTION',
        `${id || 'a garbled segment'} appears outside an ST..SE transaction`,
      );
    }
    switch (id) {
      case 'BPR':
        tx.handling = el[1] || null;
        tx.amount = this.money(el, 2, true);
        tx.creditDebit = el[3] || null;
        tx.method = el[4] || null;
        tx.paymentDate = this.date(el, 16);
        return;
      case 'TRN':
        if (tx.trace === null) {
          tx.trace = el[2] || null;
          tx.originator = el[3] || null;
        }
        return;
      case 'DTM':
        this.dtm(tx, el);
        return;
      case 'N1':
        this.n1(tx, el);
        return;
      case 'REF':
        if (tx.context === 'payer' && el[1] === '2U' && el[2]) tx.payerId = el[2];
        else if (tx.context === 'payee' && el[1] === 'TJ' && el[2]) tx.payeeTin = el[2];
        else if (tx.context === 'payee' && el[1] === 'PQ' && el[2] && tx.payeeOther === null)
          tx.payeeOther = el[2];
        return;
      case 'LX':
        this.closeClaim(tx);
        tx.context = 'claims';
        return;
      case 'CLP':
        this.clp(tx, el);
        return;
      case 'CAS':
        this.cas(el);
        return;
      case 'NM1':
        if (el[1] === '82' && this.claimOpen && el[8] === 'XX' && el[9]) this.cRendering = el[9];
        return;
      case 'MOA':
        if (this.claimOpen) this.remarks(el, [3, 4, 5, 6, 7]);
        return;
      case 'MIA':
        if (this.claimOpen) this.remarks(el, [5, 20, 21, 22, 23]);
        return;
      case 'LQ':
        if (this.claimOpen && el[1] === 'HE' && el[2]) this.remark(el[2]);
        return;
      case 'SVC':
        this.svc(tx, el);
        return;
      case 'PLB':
        this.plb(tx, el);
        return;
      case 'SE':
        this.endTransaction(tx, el);
        return;
      default:
        return;
    }
  }

  /** Call after the last segment: a transaction still open means the file was cut short. */
  finish(): void {
    if (this.tx !== null) {
      throw new X12Error('MISSING_SE', 'file ends inside a transaction (no SE): truncated?', {
        file: this.source.key,
        segmentIndex: this.index,
        segmentId: this.lastKey > 0 ? keyToId(this.lastKey) : this.id,
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
      reversals: [],
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
      el[6] || null,
      el[7] || null,
      el[8] || null,
      el[9] || null,
      el[11] || null,
    );
  }

  /** Starts a claim (closing the one before) from its CLP fields. */
  private openClaim(
    tx: Transaction,
    id: string,
    status: string,
    charge: Cents,
    paid: Cents,
    patientResponsibility: Cents,
    filing: string | null,
    icn: string | null,
    facility: string | null,
    frequency: string | null,
    drg: string | null,
  ): void {
    this.closeClaim(tx);
    tx.context = 'claims';
    this.claimOpen = true;
    this.cId = id;
    this.cStatus = status;
    this.cCharge = charge;
    this.cPaid = paid;
    this.cPatient = patientResponsibility;
    this.cFiling = filing;
    this.cIcn = icn;
    this.cFacility = facility;
    this.cFrequency = frequency;
    this.cDrg = drg;
    this.cRendering = null;
    this.cFrom = NO_DATE;
    this.cTo = NO_DATE;
    this.cRemarks = undefined;
    this.cCasTotal = 0;
    this.cServices = 0;
    this.cFirstServiceDate = NO_DATE;
    this.cRowStart = this.adjustments.length;
    this.cReversal = status === '22';
  }

  /**
   * Appends one CAS triplet of the open claim (or of its open service line). The codes' slots
   * (`shortCodeSlot`) find their category and cause without a lookup by name.
   */
  private addCas(
    group: string,
    groupSlot: number,
    reason: string,
    reasonSlot: number,
    amount: Cents,
    quantity: number,
  ): void {
    const service = this.serviceOpen === true;
    this.adjustments.addCas(
      service ? LEVEL_SERVICE : LEVEL_CLAIM,
      this.claims.length + 1,
      service ? this.sProcedure : null,
      group,
      reason,
      amount,
      quantity,
      this.cReversal ? CATEGORY_REVERSAL : groupCategory(group, groupSlot),
      this.cReversal ? CAUSE_PENDING : reasonCause(reason, reasonSlot),
    );
    this.cCasTotal += amount;
    if (service) this.sCas += amount;
  }

  private openService(tx: Transaction, procedure: string | null, charge: Cents, paid: Cents): void {
    this.closeService(tx);
    this.serviceOpen = true;
    this.sProcedure = procedure;
    this.sCharge = charge;
    this.sPaid = paid;
    this.sCas = 0;
    this.sDate = NO_DATE;
    this.cServices++;
  }

  private closeService(tx: Transaction): void {
    if (this.serviceOpen !== true) return;
    this.serviceOpen = false;
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
    const end = this.adjustments.length;
    this.claims.add(
      this.cId,
      this.cStatus,
      this.cCharge,
      this.cPaid,
      this.cPatient,
      this.cFiling,
      this.cIcn,
      this.cFacility,
      this.cFrequency,
      this.cDrg,
      this.cRendering,
      provider,
      !Number.isNaN(this.cFrom) ? this.cFrom : this.cFirstServiceDate,
      this.cFrom,
      this.cTo,
      this.cReversal,
      this.cRemarks,
      this.cServices,
      balanced,
      this.cRowStart,
      end,
    );
    if (this.cReversal) tx.reversals.push(this.claims.length - 1);
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
    const groupSlot = shortCodeSlot(group);
    for (const [reason, amount, quantity] of found)
      this.addCas(group, groupSlot, reason, shortCodeSlot(reason), amount, quantity);
  }

  private svc(tx: Transaction, el: string[]): void {
    if (!this.claimOpen) this.fail('UNEXPECTED_SEGMENT', 'SVC before any CLP');
    const composite = el[1] ?? '';
    const procedure = procedureCode(composite, (this.delimiters as Delimiters).component);
    const charge = this.lenientMoney(el, 2);
    const paid = this.lenientMoney(el, 3);
    this.openService(tx, procedure, charge, paid);
  }

  private remarks(el: string[], positions: number[]): void {
    for (const p of positions) {
      const code = el[p];
      if (code) this.remark(code);
    }
  }

  /** Notes a remark code (RARC) of the open claim. */
  private remark(code: string): void {
    if (this.cRemarks === undefined) this.cRemarks = [code];
    else this.cRemarks.push(code);
  }

  private plb(tx: Transaction, el: string[]): void {
    this.closeClaim(tx);
    const provider = el[1] || null;
    const fiscalDate = this.days(el, 2);
    const component = (this.delimiters as Delimiters).component;
    for (let i = 3; i <= 13; i += 2) {
      const composite = el[i];
      if (!composite) continue;
      const [code, reference] = splitReason(composite, component);
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
    const remit = normalize(
      tx,
      tx.amount,
      this.claims,
      this.adjustments,
      this.source,
      this.version,
      this.interchangeControl,
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
  private date(el: string[], position: number): string | null {
    const text = el[position];
    if (text === undefined || text === '') return null;
    const date = parseX12Date(text);
    if (date === null) this.invalidDate(position);
    return date;
  }

  /** An optional claim or PLB date as a day number (NaN when absent or impossible, with a warning). */
  private days(el: string[], position: number): number {
    const text = el[position];
    if (text === undefined || text === '') return NO_DATE;
    const days = parseX12Days(text);
    if (Number.isNaN(days)) this.invalidDate(position);
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
const CAUSE_PENDING = CAUSE_INDEX.pending;

/**
 * Category indexes of CAS groups (on claims that are not reversals) and cause indexes of CARCs,
 * as met: by `shortCodeSlot` for one- and two-character codes, else in a map.
 */
const GROUP_CATEGORY = { slots: new Int16Array(128 * 128 + 128).fill(-1), others: new Map<string, number>() };
const REASON_CAUSE = { slots: new Int16Array(128 * 128 + 128).fill(-1), others: new Map<string, number>() };

/** The category index of CAS group `group`, whose `shortCodeSlot` is `slot`. */
function groupCategory(group: string, slot: number): number {
  const index = slot >= 0 ? (GROUP_CATEGORY.slots[slot] as number) : -1;
  return index >= 0 ? index : indexOfCode(GROUP_CATEGORY, group, slot, CATEGORY_OF_GROUP);
}

/** The cause index of CARC `reason`, whose `shortCodeSlot` is `slot`. */
function reasonCause(reason: string, slot: number): number {
  const index = slot >= 0 ? (REASON_CAUSE.slots[slot] as number) : -1;
  return index >= 0 ? index : indexOfCode(REASON_CAUSE, reason, slot, CAUSE_OF_REASON);
}

const CATEGORY_OF_GROUP = (group: string): number => CATEGORY_INDEX[casCategory(group, '')];
const CAUSE_OF_REASON = (reason: string): number => CAUSE_INDEX[causeOfCarc(reason) ?? 'other'];

/**
 * The index `compute` gives a code (its `shortCodeSlot` is `slot`), computed once per code. The
 * callers look a slot up themselves first: that small test is inlined where rows are read.
 */
function indexOfCode(
  table: { slots: Int16Array; others: Map<string, number> },
  text: string,
  slot: number,
  compute: (text: string) => number,
): number {
  let index = slot >= 0 ? (table.slots[slot] as number) : (table.others.get(text) ?? -1);
  if (index < 0) {
    index = compute(text);
    if (slot >= 0) table.slots[slot] = index;
    else if (table.others.size < 4096) table.others.set(text, index);
  }
  return index;
}

/** Strings of one- and two-character codes seen, by `shortCodeSlot`. */
const SHORT_CODES: (string | undefined)[] = new Array(128 * 128 + 128);
/** Strings of three- and four-character codes seen, keyed by their characters. */
const CODES = new Map<number, string>();

/** The slot of the one- or two-character ASCII code `code` (c0 * 128 + c1, or 128 * 128 + c0), else −1. */
function shortCodeSlot(code: string): number {
  const n = code.length;
  if (n !== 1 && n !== 2) return -1;
  const c0 = code.charCodeAt(0);
  const c1 = n === 2 ? code.charCodeAt(1) : 0;
  if (c0 >= 128 || c1 >= 128) return -1;
  return n === 1 ? 128 * 128 + c0 : c0 * 128 + c1;
}

/** The string kept for `key`, or `source.slice(start, end)` kept for it (up to 65,536 per table). */
function shared(
  table: Map<number, string>,
  key: number,
  source: ScanBuffer,
  start: number,
  end: number,
): string {
  let s = table.get(key);
  if (s === undefined) {
    s = source.slice(start, end);
    if (table.size < 65_536) table.set(key, s);
  }
  return s;
}

/** Where the last `codeUntil` stopped (the separator after the code, or the end), and its slot. */
const codeStop = { at: 0, slot: -1 };

/**
 * `code` for the element that starts at `start` and runs to the next `separator` or to `end`,
 * found while reading it; null when the element is blank. Sets `codeStop`: the element's end,
 * and its `shortCodeSlot` (−1 when it has none).
 */
function codeUntil(source: ScanBuffer, start: number, end: number, separator: number): string | null {
  const bytes = source.bytes;
  const c0 = start < end ? (bytes[start] as number) : separator;
  if (c0 === separator) {
    codeStop.at = start;
    codeStop.slot = -1;
    return null;
  }
  const c1 = start + 1 < end ? (bytes[start + 1] as number) : separator;
  if (c1 === separator) return shortCodeAt(source, start, 1, c0 < 128 ? 128 * 128 + c0 : -1);
  const c2 = start + 2 < end ? (bytes[start + 2] as number) : separator;
  if (c2 === separator) return shortCodeAt(source, start, 2, c0 < 128 && c1 < 128 ? c0 * 128 + c1 : -1);
  return longCodeUntil(source, start, end, separator);
}

/** `codeUntil`, the usual code of one or two characters seen before read inline by word first. */
function readCode(source: ScanBuffer, start: number, end: number, separator: number): string | null {
  return shortCodeWord(source, start, end, separator) ?? codeUntil(source, start, end, separator);
}

/**
 * `codeUntil` for the usual code of one or two ASCII characters seen before, read as one word;
 * undefined for anything else (then `codeUntil` reads it). Small, so that it is inlined.
 */
function shortCodeWord(
  source: ScanBuffer,
  start: number,
  end: number,
  separator: number,
): string | undefined {
  if (start + 4 > end) return undefined;
  const word = source.view.getInt32(start, true);
  const c0 = word & 0xff;
  const c1 = (word >> 8) & 0xff;
  if (c0 === separator || (word & 0x8080) !== 0) return undefined;
  let slot: number;
  let at: number;
  if (c1 === separator) {
    slot = 128 * 128 + c0;
    at = start + 1;
  } else if (((word >> 16) & 0xff) === separator) {
    slot = c0 * 128 + c1;
    at = start + 2;
  } else return undefined;
  const code = SHORT_CODES[slot];
  if (code !== undefined) {
    codeStop.at = at;
    codeStop.slot = slot;
  }
  return code;
}

/** `codeUntil` for a code of one or two characters at `start` whose slot is `slot` (−1: none). */
function shortCodeAt(source: ScanBuffer, start: number, length: number, slot: number): string {
  codeStop.at = start + length;
  codeStop.slot = slot;
  if (slot < 0) return source.slice(start, start + length);
  let s = SHORT_CODES[slot];
  if (s === undefined) {
    s = source.slice(start, start + length);
    SHORT_CODES[slot] = s;
  }
  return s;
}

/**
 * `codeUntil` for a code of three characters or more (they have no slot). Codes of three or four
 * ASCII characters (CARCs such as 253, DRGs) are shared strings too, keyed by their characters.
 */
function longCodeUntil(source: ScanBuffer, start: number, end: number, separator: number): string {
  const bytes = source.bytes;
  const q = nextSeparator(bytes, start + 3, end, separator);
  codeStop.at = q;
  codeStop.slot = -1;
  const n = q - start;
  if (n > 4) return source.slice(start, q);
  let key = n;
  for (let i = start; i < q; i++) {
    const c = bytes[i] as number;
    if (c >= 128) return source.slice(start, q);
    key = key * 128 + c;
  }
  return shared(CODES, key, source, start, q);
}

/**
 * `procedureCode` over the composite that starts at `start` and runs to the next `separator` or
 * to `end`, found while reading it; sets `codeStop.at` to the composite's end. The usual
 * HC:99213 (a two-character qualifier, the code, then any modifiers) is read in one pass, its
 * code a shared string; any other layout is cut out and read by `procedureCode`.
 */
function procedureUntil(
  source: ScanBuffer,
  start: number,
  end: number,
  separator: number,
  component: string,
): string | null {
  const bytes = source.bytes;
  const sub = component.charCodeAt(0);
  if (start + 2 < end && (bytes[start + 2] as number) === sub) {
    const q0 = bytes[start] as number;
    const q1 = bytes[start + 1] as number;
    if (q0 !== sub && q1 !== sub && q0 !== separator && q1 !== separator) {
      const from = start + 3;
      let i = from;
      // CPT and HCPCS codes are five letters or digits: a base-36 key finds the shared string.
      let key = 0;
      let keyed = true;
      while (i < end) {
        const c = bytes[i] as number;
        if (c === separator || c === sub) break;
        const digit = c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 90 ? c - 55 : -1;
        if (digit < 0) keyed = false;
        key = key * 36 + digit;
        i++;
      }
      const codeEnd = i;
      codeStop.at = i < end && (bytes[i] as number) === sub ? nextSeparator(bytes, i, end, separator) : i;
      if (codeEnd === from) return null;
      return keyed && codeEnd - from === 5
        ? shared(PROCEDURES, key, source, from, codeEnd)
        : source.slice(from, codeEnd);
    }
  }
  const q = nextSeparator(bytes, start, end, separator);
  codeStop.at = q;
  return q > start ? procedureCode(source.slice(start, q), component) : null;
}

/** Procedure codes seen, by their base-36 key (a few dozen codes fill a payer's service lines). */
const PROCEDURES = new Map<number, string>();

/** The position of the first `separator` in `buf` from `from`, or `end`. */
function nextSeparator(bytes: Uint8Array, from: number, end: number, separator: number): number {
  let i = from;
  while (i < end && (bytes[i] as number) !== separator) i++;
  return i;
}

/**
 * `nextSeparator` for an element that is usually long (a claim id, an ICN, an NPI): four bytes
 * at a time, a third of the instructions a byte of the loop above takes.
 */
function nextSeparatorWide(source: ScanBuffer, from: number, end: number, separator: number): number {
  const view = source.view;
  const pattern = separator * 0x01010101;
  let i = from;
  while (i + 4 <= end) {
    // A byte equal to the separator is a zero byte of x; the lowest flagged byte is the first
    // zero (a borrow can flag only bytes above one).
    const x = view.getInt32(i, true) ^ pattern;
    const zero = (x - 0x01010101) & ~x & 0x80808080;
    if (zero !== 0) return i + ((31 - Math.clz32(zero & -zero)) >> 3);
    i += 4;
  }
  return nextSeparator(source.bytes, i, end, separator);
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

function keyToId(key: number): string {
  let id = '';
  for (let k = key; k > 0; k = Math.floor(k / 256)) id += String.fromCharCode(k % 256);
  return id;
}

/** The key of a segment id of two or three characters: the first in the low byte, as `segmentKeyAt` reads it. */
function segmentKey(id: string): number {
  let key = 0;
  for (let i = id.length - 1; i >= 0; i--) key = (key << 8) | id.charCodeAt(i);
  return key;
}

/** Segments inside a transaction that the lake never needs. */
const SKIPPED_KEYS = ['N3', 'N4', 'PER', 'AMT', 'QTY', 'TS3', 'TS2', 'RDM', 'CUR'].map(segmentKey);
const SKIPPED = new Set(SKIPPED_KEYS);

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

/** Marks the hashes (`referenceHash`) of the PLB references, or reversed claim ids, being looked for; cleared after each use. */
const REFERENCE_FILTER = new Uint8Array(1024);

/** A cheap hash of a reference or claim id: its length and last two characters. */
function referenceHash(text: string): number {
  const n = text.length;
  return (n * 961 + text.charCodeAt(n - 1) * 31 + text.charCodeAt(n - 2)) & 1023;
}

/** Settles what needs the whole transaction: reversal causes, PLB rows and links, the remittance row. */
function normalize(
  tx: Transaction,
  amount: Cents,
  c: ClaimBuilder,
  a: AdjustmentBuilder,
  source: SourceInfo,
  version: string | null,
  interchangeControl: string | null,
): RemitColumns {
  const payerId = partitionSafe(tx.payerId ?? tx.originator ?? tx.payerName ?? 'unknown');
  const payeeId = tx.payeeNpi ?? tx.payeeTin ?? tx.payeeOther ?? tx.payeeName;
  const paymentDate = tx.paymentDate;
  // The partition comes from the same elements as remit_id (never the production date, which a
  // re-sent file changes), so a re-delivery always lands in the same folder and is found there.
  const paymentMonth = paymentDate?.slice(0, 7) ?? 'unknown';
  const remitId = sha256Hex(
    [payerId, payeeId ?? '', tx.trace ?? '', String(amount), paymentDate ?? ''].join('|'),
  ).slice(0, 32);
  const ids = c.ids;

  // Claims without a rendering NPI belong to the payee; an N1*PE read after claims (rare and
  // malformed, but tolerated) changes whom they belong to, as the final header says.
  if (tx.payeeChanged || (tx.payeeUsed !== undefined && tx.payeeUsed !== tx.payeeNpi)) {
    for (let i = 0; i < c.length; i++) {
      if (c.rendering_npi[i] !== null) continue;
      c.provider_npi[i] = tx.payeeNpi;
    }
  }

  // Causes of reversals whose correction is in this same transaction; later files are linked in SQL.
  // By claim position (two reversals of one CLP01 each get their own correction's cause), and by
  // ICN or CLP01 for PLB references.
  const causeByRef = new Map<string, Cause>();
  if (tx.reversals.length > 0) {
    const used = new Set<number>();
    let candidates: Map<string, number[]> | null = null;
    for (const r of tx.reversals) {
      // The correction follows its reversal (an earlier claim with the same CLP01 is the
      // original), nearly always right after it: look a few claims ahead, then in an index.
      const id = ids[r] as string;
      let correction: number | undefined;
      const near = Math.min(c.length, r + 1 + NEAR_CLAIMS);
      for (let o = r + 1; o < near; o++) {
        if (ids[o] === id && c.statuses[o] !== '22' && !used.has(o)) {
          correction = o;
          break;
        }
      }
      if (correction === undefined && near < c.length) {
        candidates ??= correctionCandidates(c, tx.reversals);
        correction = (candidates.get(id) ?? []).find((o) => o > r && !used.has(o));
      }
      if (correction !== undefined) used.add(correction);
      const cause =
        correction === undefined
          ? 'pending'
          : correctionCause(casOf(c, a, r), casOf(c, a, correction), c.remarkLists[correction] ?? []);
      const index = CAUSE_INDEX[cause];
      for (let k = c.rowStart[r] as number; k < (c.rowEnd[r] as number); k++) a.cause[k] = index;
      const icn = c.payer_claim_control[r] ?? null;
      if (icn !== null) causeByRef.set(icn, cause);
      if (!causeByRef.has(id)) causeByRef.set(id, cause);
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
      pending.add(p.reference);
      filter[referenceHash(p.reference)] = 1;
    }
    for (let i = 0; i < c.length && pending.size > 0; i++) {
      const icn = c.payer_claim_control[i];
      if (icn != null && filter[referenceHash(icn)] === 1 && pending.delete(icn)) claimByRef.set(icn, i);
      const id = ids[i] as string;
      if (filter[referenceHash(id)] === 1 && pending.delete(id)) claimByRef.set(id, i);
    }
    for (const p of tx.plbs) if (p.reference !== null) filter[referenceHash(p.reference)] = 0;
    for (const p of tx.plbs) {
      plbTotal += p.amount;
      const linked = p.reference !== null ? claimByRef.get(p.reference) : undefined;
      const cause: Cause =
        RECOVERY_PLB_CODES.has(p.code) && p.reference !== null
          ? (causeByRef.get(p.reference) ?? 'unspecified')
          : 'unspecified';
      a.addProvider(
        linked !== undefined ? linked + 1 : Number.NaN,
        p.code,
        p.reference,
        p.amount,
        CATEGORY_INDEX[plbCategory(p.code)],
        CAUSE_INDEX[cause],
        linked !== undefined ? null : p.provider,
        p.fiscalDate,
      );
    }
  }

  const expected = tx.creditDebit === 'D' && amount > 0 ? -amount : amount;
  const balanceDifference = tx.paidTotal - plbTotal - expected;
  const remittance: RemittanceRow = {
    remit_id: remitId,
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

/** How far after a reversal its correction is looked for claim by claim, before an index is built. */
const NEAR_CLAIMS = 8;

/** Claims that can correct a reversal, by CLP01: CLP02 ≠ 22 and the CLP01 of some reversal. */
function correctionCandidates(c: ClaimBuilder, reversals: readonly number[]): Map<string, number[]> {
  const ids = c.ids;
  const reversed = new Set<string>();
  // The reference filter (free until the PLBs are linked) spares most claims the set lookup.
  const filter = REFERENCE_FILTER;
  for (const r of reversals) {
    reversed.add(ids[r] as string);
    filter[referenceHash(ids[r] as string)] = 1;
  }
  const candidates = new Map<string, number[]>();
  for (let i = 0; i < c.length; i++) {
    const id = ids[i] as string;
    if (filter[referenceHash(id)] === 0 || c.statuses[i] === '22' || !reversed.has(id)) continue;
    const list = candidates.get(id);
    if (list === undefined) candidates.set(id, [i]);
    else list.push(i);
  }
  for (const r of reversals) filter[referenceHash(ids[r] as string)] = 0;
  return candidates;
}

/** A claim's CAS amounts (claim level, then its lines'), for comparing a correction with its reversal. */
function casOf(c: ClaimBuilder, a: AdjustmentBuilder, claim: number): CasAmount[] {
  const out: CasAmount[] = [];
  for (let k = c.rowStart[claim] as number; k < (c.rowEnd[claim] as number); k++)
    out.push({ group: a.groupOf(k), reason: a.reasonOf(k), amount: a.amountOf(k) });
  return out;
}
