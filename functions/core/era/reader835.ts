import { createHash } from 'node:crypto';
import { partitionSafe } from '../lake/schema.ts';
import { parseCents, parseCentsRange, parseX12Date, parseX12DateRange } from '../money.ts';
import type { AdjustmentRow, Cause, Cents, ClaimRow, NormalizedRemit, RemittanceRow } from '../types.ts';
import { X12Error, type X12ErrorCode } from '../x12/errors.ts';
import type { Delimiters } from '../x12/tokenizer.ts';
import {
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

interface Cas {
  group: string;
  reason: string;
  amount: Cents;
  quantity: number | null;
}

interface Service {
  procedure: string | null;
  charge: Cents;
  paid: Cents;
  date: string | null;
  cas: Cas[];
}

interface Claim {
  seq: number;
  id: string;
  status: string;
  charge: Cents;
  paid: Cents;
  patientResponsibility: Cents | null;
  filing: string | null;
  icn: string | null;
  facility: string | null;
  frequency: string | null;
  drg: string | null;
  renderingNpi: string | null;
  statementFrom: string | null;
  statementTo: string | null;
  remarks: string[];
  cas: Cas[];
  services: Service[];
}

/** The fields of a claim that come from its CLP segment. */
type ClpFields = Pick<
  Claim,
  | 'id'
  | 'status'
  | 'charge'
  | 'paid'
  | 'patientResponsibility'
  | 'filing'
  | 'icn'
  | 'facility'
  | 'frequency'
  | 'drg'
>;

interface Plb {
  provider: string | null;
  fiscalDate: string | null;
  code: string;
  reference: string | null;
  amount: Cents;
}

interface Transaction {
  startIndex: number;
  control: string | null;
  segments: number;
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
  claims: Claim[];
  plbs: Plb[];
}

/**
 * Reads 835 transactions from tokenized segments and normalizes each one (ST..SE) into lake rows.
 * Pure: it sees only segments. Patient (QC), insured (IL) and corrected-insured (74) names and ids
 * are never read. Throws only `X12Error`, naming the segment and element.
 */
export class Era835Reader {
  private tx: Transaction | null = null;
  private claim: Claim | null = null;
  private service: Service | null = null;
  private version: string | null = null;
  private interchangeControl: string | null = null;
  private index = 0;
  private id = '';
  /** Key of the segment last seen by `scan`, so errors can name a segment that was skipped unsplit. */
  private skippedKey = 0;
  private delimiters: Delimiters | null = null;
  private transactions = 0;

  constructor(
    private readonly source: SourceInfo,
    private readonly emit: (remit: NormalizedRemit) => void,
  ) {}

  /** Number of transactions emitted so far. */
  get transactionCount(): number {
    return this.transactions;
  }

  /**
   * Consumes one segment as a range of the scanner's buffer. Segments that carry nothing the lake
   * needs (addresses, contacts, informational amounts, patient and insured names) are counted for
   * SE01 and skipped without being split, which is most of the speed of this reader.
   */
  scan(buffer: string, start: number, end: number, index: number, delimiters: Delimiters): void {
    const sep = delimiters.element;
    let idEnd = buffer.indexOf(sep, start);
    if (idEnd === -1 || idEnd > end) idEnd = end;
    const length = idEnd - start;
    const key =
      length === 2
        ? (buffer.charCodeAt(start) << 8) | buffer.charCodeAt(start + 1)
        : length === 3
          ? (buffer.charCodeAt(start) << 16) |
            (buffer.charCodeAt(start + 1) << 8) |
            buffer.charCodeAt(start + 2)
          : -1;
    const tx = this.tx;
    this.index = index;
    this.skippedKey = key;
    if (tx !== null) {
      // Hot path first: the per-line segments inside a claim, read in place. Anything unusual
      // falls through to the split path, which owns every error message.
      let handled = false;
      if (key === KEY_CLP) handled = this.clpInPlace(tx, buffer, idEnd, end, sep);
      else if (this.claim !== null) {
        if (key === KEY_CAS) handled = this.casInPlace(buffer, idEnd, end, sep);
        else if (key === KEY_DTM) handled = this.dtmInPlace(buffer, idEnd, end, sep);
        else if (key === KEY_SVC) handled = this.svcInPlace(buffer, idEnd, end, sep, delimiters.component);
        else if (key === KEY_REF || key === KEY_AMT) handled = true;
        else if (key === KEY_NM1)
          handled =
            !isNm1Rendering(buffer, idEnd, end, sep) || this.renderingInPlace(buffer, idEnd, end, sep);
      }
      if (!handled) {
        handled =
          SKIPPED.has(key) ||
          (key === KEY_REF && tx.context === 'claims') ||
          (key === KEY_NM1 && !isNm1Rendering(buffer, idEnd, end, sep));
      }
      if (handled) {
        tx.segments++;
        this.delimiters = delimiters;
        return;
      }
    }
    this.segment(buffer.slice(start, end).split(sep), index, delimiters);
  }

  /** Element boundaries of the CLP being read in place: start and end of element k at 2(k−1). */
  private readonly ranges = new Int32Array(22);

  /** CLP without splitting: the first 11 elements (CLP12 on is not read). */
  private clpInPlace(tx: Transaction, buf: string, idEnd: number, end: number, sep: string): boolean {
    if (idEnd >= end) return false;
    const r = this.ranges;
    let p = idEnd + 1;
    let n = 0;
    for (;;) {
      const q = elementEnd(buf, p, end, sep);
      r[2 * n] = p;
      r[2 * n + 1] = q;
      n++;
      if (q >= end || n === 11) break;
      p = q + 1;
    }
    if (n < 4 || r[1] === r[0] || r[3] === r[2]) return false;
    const charge = parseCentsRange(buf, r[4] as number, r[5] as number);
    const paid = parseCentsRange(buf, r[6] as number, r[7] as number);
    if (charge === null || paid === null) return false;
    if (Math.abs(charge) > MAX_AMOUNT_CENTS || Math.abs(paid) > MAX_AMOUNT_CENTS) return false;
    let patientResponsibility: Cents | null = null;
    if (n >= 5 && (r[9] as number) > (r[8] as number)) {
      patientResponsibility = parseCentsRange(buf, r[8] as number, r[9] as number);
      if (patientResponsibility === null || Math.abs(patientResponsibility) > MAX_AMOUNT_CENTS) return false;
    }
    this.openClaim(tx, {
      id: buf.slice(r[0], r[1]),
      status: buf.slice(r[2], r[3]),
      charge,
      paid,
      patientResponsibility,
      filing: this.rangeText(buf, 6, n),
      icn: this.rangeText(buf, 7, n),
      facility: this.rangeText(buf, 8, n),
      frequency: this.rangeText(buf, 9, n),
      drg: this.rangeText(buf, 11, n),
    });
    this.id = 'CLP';
    return true;
  }

  /** Element k of the CLP read in place, or null when absent or blank. */
  private rangeText(buf: string, k: number, n: number): string | null {
    if (k > n) return null;
    const start = this.ranges[2 * (k - 1)] as number;
    const end = this.ranges[2 * (k - 1) + 1] as number;
    return end > start ? buf.slice(start, end) : null;
  }

  /** CAS without splitting: group, then reason/amount/quantity triplets. */
  private casInPlace(buf: string, idEnd: number, end: number, sep: string): boolean {
    let p = idEnd + 1;
    let q = elementEnd(buf, p, end, sep);
    if (q === p || idEnd >= end) return false;
    const group = buf.slice(p, q);
    const found: Cas[] = [];
    let triplets = 0;
    while (q < end && triplets < 6) {
      triplets++;
      p = q + 1;
      q = elementEnd(buf, p, end, sep);
      const reasonStart = p;
      const reasonEnd = q;
      if (q >= end) {
        if (reasonEnd > reasonStart) return false;
        break;
      }
      p = q + 1;
      q = elementEnd(buf, p, end, sep);
      const amountStart = p;
      const amountEnd = q;
      let quantity: number | null = null;
      if (q < end) {
        p = q + 1;
        q = elementEnd(buf, p, end, sep);
        if (q > p) {
          quantity = Number(buf.slice(p, q));
          if (!Number.isFinite(quantity)) return false;
        }
      }
      if (reasonEnd === reasonStart) continue;
      const amount = parseCentsRange(buf, amountStart, amountEnd);
      if (amount === null || amount > MAX_AMOUNT_CENTS || amount < -MAX_AMOUNT_CENTS) return false;
      found.push({ group, reason: buf.slice(reasonStart, reasonEnd), amount, quantity });
    }
    if (q < end) return false;
    const claim = this.claim as Claim;
    const target = this.service !== null ? this.service.cas : claim.cas;
    for (const a of found) target.push(a);
    this.id = 'CAS';
    return true;
  }

  /** SVC without splitting: composite procedure, charge, paid. */
  private svcInPlace(buf: string, idEnd: number, end: number, sep: string, component: string): boolean {
    let p = idEnd + 1;
    if (idEnd >= end) return false;
    let q = elementEnd(buf, p, end, sep);
    const composite = buf.slice(p, q);
    if (q >= end) return false;
    p = q + 1;
    q = elementEnd(buf, p, end, sep);
    const charge = parseCentsRange(buf, p, q);
    if (q >= end) return false;
    p = q + 1;
    q = elementEnd(buf, p, end, sep);
    const paid = parseCentsRange(buf, p, q);
    if (charge === null || paid === null) return false;
    if (Math.abs(charge) > MAX_AMOUNT_CENTS || Math.abs(paid) > MAX_AMOUNT_CENTS) return false;
    this.service = { procedure: procedureCode(composite, component), charge, paid, date: null, cas: [] };
    (this.claim as Claim).services.push(this.service);
    this.id = 'SVC';
    return true;
  }

  /** NM1*82 without splitting: only NM108 = XX and NM109 (the rendering NPI) are read. */
  private renderingInPlace(buf: string, idEnd: number, end: number, sep: string): boolean {
    let p = idEnd + 1;
    let q = p;
    for (let element = 1; element <= 8; element++) {
      q = elementEnd(buf, p, end, sep);
      if (element === 8) break;
      if (q >= end) return false;
      p = q + 1;
    }
    if (q >= end || q - p !== 2 || buf[p] !== 'X' || buf[p + 1] !== 'X') return false;
    const npiEnd = elementEnd(buf, q + 1, end, sep);
    if (npiEnd === q + 1) return false;
    (this.claim as Claim).renderingNpi = buf.slice(q + 1, npiEnd);
    this.id = 'NM1';
    return true;
  }

  /** DTM without splitting, for the qualifiers read inside a claim. */
  private dtmInPlace(buf: string, idEnd: number, end: number, sep: string): boolean {
    const p = idEnd + 1;
    const q = elementEnd(buf, p, end, sep);
    if (q - p !== 3 || q >= end) return false;
    const r = elementEnd(buf, q + 1, end, sep);
    const qualifier = buf.slice(p, q);
    const claim = this.claim as Claim;
    const service = this.service;
    let target: 'from' | 'to' | 'line' | null = null;
    if (qualifier === '472' || qualifier === '150') {
      if (service !== null && service.date === null) target = 'line';
    } else if (qualifier === '232' || qualifier === '233') {
      if (service === null) target = qualifier === '232' ? 'from' : 'to';
    }
    if (target === null) {
      this.id = 'DTM';
      return true;
    }
    const date = parseX12DateRange(buf, q + 1, r);
    if (date === null) return false;
    if (target === 'line') (service as Service).date = date;
    else if (target === 'from') claim.statementFrom = date;
    else claim.statementTo = date;
    this.id = 'DTM';
    return true;
  }

  /** Consumes one segment split into elements. */
  segment(el: string[], index: number, delimiters: Delimiters): void {
    this.index = index;
    this.skippedKey = 0;
    const raw = el[0] as string;
    // A garbled segment (e.g. delimiters changed without an IEA) must not smuggle text into errors.
    const id = SEGMENT_ID.test(raw) ? raw : '';
    this.id = id;
    this.delimiters = delimiters;
    const tx = this.tx;
    if (tx !== null) tx.segments++;
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
        tx.paymentDate = this.date(el, 16, false);
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
        this.closeClaim();
        tx.context = 'claims';
        return;
      case 'CLP':
        this.clp(tx, el);
        return;
      case 'CAS':
        this.cas(el);
        return;
      case 'NM1':
        if (el[1] === '82' && this.claim !== null && el[8] === 'XX' && el[9]) this.claim.renderingNpi = el[9];
        return;
      case 'MOA':
        if (this.claim !== null) this.remarks(el, [3, 4, 5, 6, 7]);
        return;
      case 'MIA':
        if (this.claim !== null) this.remarks(el, [5, 20, 21, 22, 23]);
        return;
      case 'LQ':
        if (this.claim !== null && el[1] === 'HE' && el[2]) this.claim.remarks.push(el[2]);
        return;
      case 'SVC':
        this.svc(el);
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
        segmentId: this.skippedKey > 0 ? keyToId(this.skippedKey) : this.id,
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
    this.tx = {
      startIndex: this.index,
      control: el[2] || null,
      segments: 1,
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
      claims: [],
      plbs: [],
    };
  }

  private dtm(tx: Transaction, el: string[]): void {
    switch (el[1]) {
      case '405':
        if (tx.context === 'header') tx.productionDate = this.date(el, 2, false);
        return;
      case '232':
        if (this.claim !== null && this.service === null) this.claim.statementFrom = this.date(el, 2, false);
        return;
      case '233':
        if (this.claim !== null && this.service === null) this.claim.statementTo = this.date(el, 2, false);
        return;
      case '472':
      case '150':
        if (this.service !== null && this.service.date === null) this.service.date = this.date(el, 2, false);
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
    this.openClaim(tx, {
      id,
      status,
      charge: this.money(el, 3, true),
      paid: this.money(el, 4, true),
      patientResponsibility: this.money(el, 5, false),
      filing: el[6] || null,
      icn: el[7] || null,
      facility: el[8] || null,
      frequency: el[9] || null,
      drg: el[11] || null,
    });
  }

  /** Starts a claim (closing the one before) from its CLP fields. */
  private openClaim(tx: Transaction, fields: ClpFields): void {
    this.closeClaim();
    tx.context = 'claims';
    this.claim = {
      seq: tx.claims.length + 1,
      ...fields,
      renderingNpi: null,
      statementFrom: null,
      statementTo: null,
      remarks: [],
      cas: [],
      services: [],
    };
    tx.claims.push(this.claim);
  }

  private cas(el: string[]): void {
    if (this.claim === null) this.fail('UNEXPECTED_SEGMENT', 'CAS before any CLP');
    const group = el[1];
    if (!group) this.fail('MISSING_ELEMENT', 'CAS01 group code is required', 'CAS01');
    const target = this.service !== null ? this.service.cas : this.claim.cas;
    for (let i = 2; i <= 17; i += 3) {
      const reason = el[i];
      if (!reason) continue;
      const amount = this.money(el, i + 1, true);
      const quantityText = el[i + 2];
      let quantity: number | null = null;
      if (quantityText) {
        quantity = Number(quantityText);
        if (!Number.isFinite(quantity))
          this.fail('BAD_NUMBER', 'quantity is not a number', elementName('CAS', i + 2));
      }
      target.push({ group, reason, amount, quantity });
    }
  }

  private svc(el: string[]): void {
    if (this.claim === null) this.fail('UNEXPECTED_SEGMENT', 'SVC before any CLP');
    const composite = el[1] ?? '';
    this.service = {
      procedure: procedureCode(composite, (this.delimiters as Delimiters).component),
      charge: this.lenientMoney(el, 2),
      paid: this.lenientMoney(el, 3),
      date: null,
      cas: [],
    };
    this.claim.services.push(this.service);
  }

  private remarks(el: string[], positions: number[]): void {
    const claim = this.claim as Claim;
    for (const p of positions) {
      const code = el[p];
      if (code) claim.remarks.push(code);
    }
  }

  private plb(tx: Transaction, el: string[]): void {
    this.closeClaim();
    const provider = el[1] || null;
    const fiscalDate = this.date(el, 2, false);
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

  private closeClaim(): void {
    this.claim = null;
    this.service = null;
  }

  private endTransaction(tx: Transaction, el: string[]): void {
    this.closeClaim();
    const declared = el[1];
    if (!declared || !/^\d+$/.test(declared))
      this.fail('MISSING_ELEMENT', 'SE01 segment count is required', 'SE01');
    if (Number(declared) !== tx.segments) {
      tx.warnings.push(`SE01 count ${declared} != ${tx.segments} segments`);
    }
    if (tx.amount === null) {
      throw new X12Error('MISSING_SEGMENT', 'transaction has no BPR segment', {
        file: this.source.key,
        segmentIndex: tx.startIndex,
        segmentId: 'ST',
      });
    }
    this.tx = null;
    const remit = normalize(tx, tx.amount, this.source, this.version, this.interchangeControl);
    const r = remit.remittance;
    if (!Number.isSafeInteger(r.plb_total) || !Number.isSafeInteger(r.balance_difference)) {
      this.fail(
        'BAD_AMOUNT',
        'transaction totals exceed the exact range of the lake (DECIMAL(18,2))',
        'SE01',
      );
    }
    this.transactions++;
    this.emit(remit);
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

  private date(el: string[], position: number, required: boolean): string | null {
    const text = el[position];
    if (text === undefined || text === '') {
      if (required) this.fail('MISSING_ELEMENT', 'date is required', elementName(this.id, position));
      return null;
    }
    const date = parseX12Date(text);
    if (date === null) {
      // Real payers send impossible dates (TR3 examples included): keep the transaction, drop the date.
      this.tx?.warnings.push(`segment ${this.index} ${elementName(this.id, position)} invalid date ignored`);
    }
    return date;
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

/** What a segment id looks like; anything else is reported without an id. */
const SEGMENT_ID = /^[A-Z][A-Z0-9]{1,2}$/;

/** Largest single amount accepted: $100 billion. Sums of many stay exact integers of cents. */
const MAX_AMOUNT_CENTS = 10_000_000_000_000;

function keyToId(key: number): string {
  let id = '';
  for (let k = key; k > 0; k = Math.floor(k / 256)) id = String.fromCharCode(k % 256) + id;
  return id;
}

function segmentKey(id: string): number {
  let key = 0;
  for (let i = 0; i < id.length; i++) key = (key << 8) | id.charCodeAt(i);
  return key;
}

/** Segments inside a transaction that the lake never needs. */
const SKIPPED_KEYS = ['N3', 'N4', 'PER', 'AMT', 'QTY', 'TS3', 'TS2', 'RDM', 'CUR'].map(segmentKey);
const SKIPPED = {
  has(key: number): boolean {
    for (let i = 0; i < SKIPPED_KEYS.length; i++) if (SKIPPED_KEYS[i] === key) return true;
    return false;
  },
};
const KEY_REF = segmentKey('REF');
const KEY_CAS = segmentKey('CAS');
const KEY_CLP = segmentKey('CLP');
const KEY_AMT = segmentKey('AMT');
const KEY_SVC = segmentKey('SVC');
const KEY_DTM = segmentKey('DTM');

/** End of the element that starts at `p` (the next separator, or the segment's end). */
function elementEnd(buf: string, p: number, end: number, sep: string): number {
  const i = buf.indexOf(sep, p);
  return i === -1 || i > end ? end : i;
}
const KEY_NM1 = segmentKey('NM1');

/** True for NM1*82 (rendering provider): the only NM1 read; patient and insured names never are. */
function isNm1Rendering(buffer: string, idEnd: number, end: number, sep: string): boolean {
  return (
    idEnd + 3 <= end &&
    buffer.charCodeAt(idEnd + 1) === 56 /* 8 */ &&
    buffer.charCodeAt(idEnd + 2) === 50 /* 2 */ &&
    (idEnd + 3 === end || buffer[idEnd + 3] === sep)
  );
}

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
  return createHash('sha256').update(text).digest('hex');
}

/** Turns one read transaction into lake rows, with balancing, categories and in-file causes. */
function normalize(
  tx: Transaction,
  amount: Cents,
  source: SourceInfo,
  version: string | null,
  interchangeControl: string | null,
): NormalizedRemit {
  const payerId = partitionSafe(tx.payerId ?? tx.originator ?? tx.payerName ?? 'unknown');
  const payeeId = tx.payeeNpi ?? tx.payeeTin ?? tx.payeeOther ?? tx.payeeName;
  const paymentDate = tx.paymentDate;
  // The partition comes from the same elements as remit_id (never the production date, which a
  // re-sent file changes), so a re-delivery always lands in the same folder and is found there.
  const paymentMonth = paymentDate?.slice(0, 7) ?? 'unknown';
  const remitId = sha256Hex(
    [payerId, payeeId ?? '', tx.trace ?? '', String(amount), paymentDate ?? ''].join('|'),
  ).slice(0, 32);

  const claims: ClaimRow[] = [];
  const adjustments: AdjustmentRow[] = [];
  let paidTotal = 0;
  let unbalancedClaims = 0;
  let unbalancedServices = 0;

  // Causes of reversals whose correction is in this same transaction; later files are linked in SQL.
  // Keyed by claim position (two reversals of one CLP01 each get their own correction's cause),
  // and by ICN or CLP01 for PLB references.
  const reversalCause = new Map<number, Cause>();
  const causeByRef = new Map<string, Cause>();
  const byId = new Map<string, Claim[]>();
  for (const c of tx.claims) {
    const list = byId.get(c.id);
    if (list === undefined) byId.set(c.id, [c]);
    else list.push(c);
  }
  const usedCorrections = new Set<Claim>();
  for (const c of tx.claims) {
    if (c.status !== '22') continue;
    const sameId = byId.get(c.id) ?? [];
    // The correction follows its reversal; an earlier claim with the same CLP01 is the original.
    const correction = sameId.find((o) => o.status !== '22' && o.seq > c.seq && !usedCorrections.has(o));
    if (correction !== undefined) usedCorrections.add(correction);
    const cause =
      correction === undefined
        ? 'pending'
        : correctionCause(allCas(c), allCas(correction), correction.remarks);
    reversalCause.set(c.seq, cause);
    if (c.icn !== null) causeByRef.set(c.icn, cause);
    if (!causeByRef.has(c.id)) causeByRef.set(c.id, cause);
  }

  const claimByRef = new Map<string, Claim>();
  for (const c of tx.claims) {
    if (c.icn !== null && !claimByRef.has(c.icn)) claimByRef.set(c.icn, c);
    if (!claimByRef.has(c.id)) claimByRef.set(c.id, c);
  }

  let seq = 0;
  for (const c of tx.claims) {
    paidTotal += c.paid;
    let casTotal = 0;
    let serviceDate: string | null = null;
    for (const s of c.services) {
      let lineCas = 0;
      for (const a of s.cas) lineCas += a.amount;
      if (s.charge - lineCas !== s.paid) unbalancedServices++;
      casTotal += lineCas;
      if (s.date !== null && (serviceDate === null || s.date < serviceDate)) serviceDate = s.date;
    }
    for (const a of c.cas) casTotal += a.amount;
    const balanced = c.charge - casTotal === c.paid;
    if (!balanced) unbalancedClaims++;
    const providerNpi = c.renderingNpi ?? tx.payeeNpi;
    const isReversal = c.status === '22';
    claims.push({
      remit_id: remitId,
      payer_id: payerId,
      claim_seq: c.seq,
      claim_id: c.id,
      status_code: c.status,
      charge_amount: c.charge,
      paid_amount: c.paid,
      patient_responsibility: c.patientResponsibility,
      filing_indicator: c.filing,
      payer_claim_control: c.icn,
      facility_code: c.facility,
      frequency_code: c.frequency,
      drg_code: c.drg,
      rendering_npi: c.renderingNpi,
      payee_npi: tx.payeeNpi,
      provider_npi: providerNpi,
      service_date: c.statementFrom ?? serviceDate,
      statement_from: c.statementFrom,
      statement_to: c.statementTo,
      payment_date: paymentDate,
      payment_month: paymentMonth,
      is_reversal: isReversal,
      remark_codes: c.remarks.length > 0 ? [...new Set(c.remarks)].join(',') : null,
      service_count: c.services.length,
      balanced,
    });
    const reversal = isReversal ? (reversalCause.get(c.seq) ?? 'pending') : null;
    const addCas = (a: Cas, level: 'claim' | 'service', procedure: string | null) => {
      adjustments.push({
        remit_id: remitId,
        payer_id: payerId,
        adjustment_seq: ++seq,
        level,
        claim_seq: c.seq,
        claim_id: c.id,
        claim_status: c.status,
        payer_claim_control: c.icn,
        procedure_code: procedure,
        group_code: a.group,
        reason_code: a.reason,
        reference_id: null,
        amount: a.amount,
        quantity: a.quantity,
        category: casCategory(a.group, c.status),
        cause: reversal ?? causeOfCarc(a.reason) ?? 'other',
        provider_npi: providerNpi,
        fiscal_period_date: null,
        payment_date: paymentDate,
        payment_month: paymentMonth,
      });
    };
    for (const a of c.cas) addCas(a, 'claim', null);
    for (const s of c.services) for (const a of s.cas) addCas(a, 'service', s.procedure);
  }

  let plbTotal = 0;
  for (const p of tx.plbs) {
    plbTotal += p.amount;
    const linked = p.reference !== null ? claimByRef.get(p.reference) : undefined;
    const cause: Cause =
      RECOVERY_PLB_CODES.has(p.code) && p.reference !== null
        ? (causeByRef.get(p.reference) ?? 'unspecified')
        : 'unspecified';
    adjustments.push({
      remit_id: remitId,
      payer_id: payerId,
      adjustment_seq: ++seq,
      level: 'provider',
      claim_seq: linked?.seq ?? null,
      claim_id: linked?.id ?? null,
      claim_status: linked?.status ?? null,
      payer_claim_control: linked?.icn ?? null,
      procedure_code: null,
      group_code: null,
      reason_code: p.code,
      reference_id: p.reference,
      amount: p.amount,
      quantity: null,
      category: plbCategory(p.code),
      cause,
      provider_npi: linked !== undefined ? (linked.renderingNpi ?? tx.payeeNpi) : p.provider,
      fiscal_period_date: p.fiscalDate,
      payment_date: paymentDate,
      payment_month: paymentMonth,
    });
  }

  const expected = tx.creditDebit === 'D' && amount > 0 ? -amount : amount;
  const balanceDifference = paidTotal - plbTotal - expected;
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
    claim_count: claims.length,
    plb_total: plbTotal,
    balance_difference: balanceDifference,
    unbalanced_claims: unbalancedClaims,
    unbalanced_services: unbalancedServices,
    balanced: balanceDifference === 0 && unbalancedClaims === 0 && unbalancedServices === 0,
    warnings: tx.warnings.length > 0 ? tx.warnings.join('; ') : null,
    ingested_at: source.ingestedAt,
  };
  return { remittance, claims, adjustments };
}

function allCas(c: Claim): CasAmount[] {
  const out: CasAmount[] = c.cas.map((a) => ({ group: a.group, reason: a.reason, amount: a.amount }));
  for (const s of c.services)
    for (const a of s.cas) out.push({ group: a.group, reason: a.reason, amount: a.amount });
  return out;
}
