import type { AdjustmentColumns, Cents, ClaimColumns } from '../types.ts';
import { CLAIM_SLOT_LISTS, CLAIM_SLOTS, ICN_SLOT, LINE_SLOTS } from './elementRules.ts';

/**
 * Growable columns for the claims of the transaction being read. Builders are pooled and serve
 * transaction after transaction: appends are stores into arrays that already have room (typed
 * arrays for numbers), and `columns` hands the arrays themselves to the consumer, valid until
 * the builder is used again: no copy per transaction.
 */
export class ClaimBuilder {
  length = 0;
  private capacity = 64;
  private claim_id: string[] = [];
  private status_code: string[] = [];
  private charge_amount = new Float64Array(64);
  private paid_amount = new Float64Array(64);
  private patient_responsibility = new Float64Array(64);
  rendering_npi: (string | null)[] = [];
  provider_npi: (string | null)[] = [];
  private service_date = new Float64Array(64);
  private statement_from = new Float64Array(64);
  private statement_to = new Float64Array(64);
  private is_reversal = new Uint8Array(64);
  private service_count = new Int32Array(64);
  private balanced = new Uint8Array(64);
  /** The columns the element map fills generically (CLAIM_SLOTS), one array per slot. */
  private readonly slots: (string | null)[][] = CLAIM_SLOTS.map(() => []);

  /** Claim ids and statuses so far (read by the end-of-transaction linking). */
  get ids(): readonly string[] {
    return this.claim_id;
  }

  get statuses(): readonly string[] {
    return this.status_code;
  }

  /** Payer claim control numbers (CLP07) so far, by which reversals and PLBs are linked. */
  get icns(): readonly (string | null)[] {
    return this.slots[ICN_SLOT] as (string | null)[];
  }

  /**
   * Appends a claim. `values` and `lists` are its generic columns' values by slot (a list slot's
   * values are written as one text, its distinct values joined).
   */
  add(
    id: string,
    status: string,
    charge: Cents,
    paid: Cents,
    patientResponsibility: Cents,
    rendering: string | null,
    provider: string | null,
    serviceDate: number,
    statementFrom: number,
    statementTo: number,
    isReversal: boolean,
    values: readonly (string | null)[],
    lists: readonly (string[] | undefined)[],
    services: number,
    balanced: boolean,
  ): void {
    const i = this.length;
    if (i === this.capacity) this.grow();
    this.claim_id[i] = id;
    this.status_code[i] = status;
    this.charge_amount[i] = charge;
    this.paid_amount[i] = paid;
    this.patient_responsibility[i] = patientResponsibility;
    this.rendering_npi[i] = rendering;
    this.provider_npi[i] = provider;
    this.service_date[i] = serviceDate;
    this.statement_from[i] = statementFrom;
    this.statement_to[i] = statementTo;
    this.is_reversal[i] = isReversal ? 1 : 0;
    const slots = this.slots;
    for (let s = 0; s < slots.length; s++) {
      if (CLAIM_SLOT_LISTS[s] === true) {
        const list = lists[s];
        (slots[s] as (string | null)[])[i] = list !== undefined ? distinct(list) : null;
      } else (slots[s] as (string | null)[])[i] = values[s] ?? null;
    }
    this.service_count[i] = services;
    this.balanced[i] = balanced ? 1 : 0;
    this.length = i + 1;
  }

  /** The transaction's claims: the builder's own arrays (longer than `length` once they have grown). */
  columns(): ClaimColumns {
    const columns = {
      length: this.length,
      claim_id: this.claim_id,
      status_code: this.status_code,
      charge_amount: this.charge_amount,
      paid_amount: this.paid_amount,
      patient_responsibility: this.patient_responsibility,
      rendering_npi: this.rendering_npi,
      provider_npi: this.provider_npi,
      service_date: this.service_date,
      statement_from: this.statement_from,
      statement_to: this.statement_to,
      is_reversal: this.is_reversal,
      service_count: this.service_count,
      balanced: this.balanced,
    } as ClaimColumns;
    return withSlots(columns, CLAIM_SLOTS, this.slots);
  }

  /** Empties the builder for the next transaction. */
  reset(): void {
    this.length = 0;
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    this.charge_amount = grown(this.charge_amount, capacity);
    this.paid_amount = grown(this.paid_amount, capacity);
    this.patient_responsibility = grown(this.patient_responsibility, capacity);
    this.service_date = grown(this.service_date, capacity);
    this.statement_from = grown(this.statement_from, capacity);
    this.statement_to = grown(this.statement_to, capacity);
    this.is_reversal = grown(this.is_reversal, capacity);
    this.service_count = grown(this.service_count, capacity);
    this.balanced = grown(this.balanced, capacity);
    this.capacity = capacity;
  }
}

/** Growable columns for the adjustments of the transaction being read (see `ClaimBuilder`). */
export class AdjustmentBuilder {
  length = 0;
  private capacity = 256;
  private level = new Uint8Array(256);
  private claim_seq = new Float64Array(256);
  private procedure_code: (string | null)[] = [];
  private group_code: (string | null)[] = [];
  private reason_code: string[] = [];
  private reference_id: (string | null)[] = [];
  private amount = new Float64Array(256);
  private quantity = new Float64Array(256);
  private category = new Uint8Array(256);
  cause = new Uint8Array(256);
  provider_npi: (string | null)[] = [];
  private fiscal_period_date = new Float64Array(256);
  /** The columns the element map fills generically from a service line (LINE_SLOTS), one array per slot. */
  private readonly slots: (string | null)[][] = LINE_SLOTS.map(() => []);

  /**
   * Appends a CAS row of claim `seq` (1-based: the claim being read becomes claim `seq` when it
   * ends). Its other claim columns, the provider included, are its claim's, found by claim_seq.
   */
  addCas(
    level: number,
    seq: number,
    procedure: string | null,
    group: string,
    reason: string,
    amount: Cents,
    quantity: number,
    category: number,
    cause: number,
  ): void {
    const i = this.length;
    if (i === this.capacity) this.grow();
    this.level[i] = level;
    this.claim_seq[i] = seq;
    this.procedure_code[i] = procedure;
    this.group_code[i] = group;
    this.reason_code[i] = reason;
    this.reference_id[i] = null;
    this.amount[i] = amount;
    this.quantity[i] = quantity;
    this.category[i] = category;
    this.cause[i] = cause;
    this.provider_npi[i] = null;
    this.fiscal_period_date[i] = Number.NaN;
    this.clearSlots(i);
    this.length = i + 1;
  }

  /**
   * Appends a PLB row (provider level), with the claim its reference names, if any (its
   * claim_seq; the row's provider is then that claim's, and `provider` is null).
   */
  addProvider(
    seq: number,
    code: string,
    reference: string | null,
    amount: Cents,
    category: number,
    cause: number,
    provider: string | null,
    fiscalDate: number,
  ): void {
    const i = this.length;
    if (i === this.capacity) this.grow();
    this.level[i] = LEVEL_PROVIDER;
    this.claim_seq[i] = seq;
    this.procedure_code[i] = null;
    this.group_code[i] = null;
    this.reason_code[i] = code;
    this.reference_id[i] = reference;
    this.amount[i] = amount;
    this.quantity[i] = Number.NaN;
    this.category[i] = category;
    this.cause[i] = cause;
    this.provider_npi[i] = provider;
    this.fiscal_period_date[i] = fiscalDate;
    this.clearSlots(i);
    this.length = i + 1;
  }

  private clearSlots(i: number): void {
    const slots = this.slots;
    for (let s = 0; s < slots.length; s++) (slots[s] as (string | null)[])[i] = null;
  }

  /** Gives rows [from, to) (a service line's CAS rows) its generic values, by line slot. */
  setLine(from: number, to: number, values: readonly (string | null)[]): void {
    const slots = this.slots;
    for (let s = 0; s < slots.length; s++) {
      const value = values[s] ?? null;
      if (value === null) continue;
      const column = slots[s] as (string | null)[];
      for (let k = from; k < to; k++) column[k] = value;
    }
  }

  /** The transaction's adjustments: the builder's own arrays (see `ClaimBuilder.columns`). */
  columns(): AdjustmentColumns {
    const columns = {
      length: this.length,
      level: this.level,
      claim_seq: this.claim_seq,
      procedure_code: this.procedure_code,
      group_code: this.group_code,
      reason_code: this.reason_code,
      reference_id: this.reference_id,
      amount: this.amount,
      quantity: this.quantity,
      category: this.category,
      cause: this.cause,
      provider_npi: this.provider_npi,
      fiscal_period_date: this.fiscal_period_date,
    } as AdjustmentColumns;
    return withSlots(columns, LINE_SLOTS, this.slots);
  }

  /** Empties the builder for the next transaction. */
  reset(): void {
    this.length = 0;
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    this.level = grown(this.level, capacity);
    this.claim_seq = grown(this.claim_seq, capacity);
    this.amount = grown(this.amount, capacity);
    this.quantity = grown(this.quantity, capacity);
    this.category = grown(this.category, capacity);
    this.cause = grown(this.cause, capacity);
    this.fiscal_period_date = grown(this.fiscal_period_date, capacity);
    this.capacity = capacity;
  }
}

/** `columns` with each slot's array under its column's name. */
function withSlots<T extends object>(columns: T, names: readonly string[], slots: (string | null)[][]): T {
  const out = columns as Record<string, unknown>;
  for (let s = 0; s < names.length; s++) out[names[s] as string] = slots[s];
  return columns;
}

/** The distinct values of a list, comma separated, in order. */
function distinct(list: readonly string[]): string {
  return list.length === 1 ? (list[0] as string) : [...new Set(list)].join(',');
}

/** Index of the provider level in LEVELS (taxonomy.ts). */
const LEVEL_PROVIDER = 2;

function grown<T extends Float64Array | Int32Array | Uint8Array>(array: T, capacity: number): T {
  const next = new (array.constructor as new (n: number) => T)(capacity);
  next.set(array);
  return next;
}

interface Builders {
  claims: ClaimBuilder;
  adjustments: AdjustmentBuilder;
}

const POOL: Builders[] = [];

/**
 * A pair of empty builders for one transaction, from a pool so their arrays keep the room they
 * grew in earlier transactions. Give them back with `releaseBuilders` once the transaction's
 * columns are no longer read; a pair never given back (the file failed half way) is simply
 * garbage collected.
 */
export function acquireBuilders(): Builders {
  const pair = POOL.pop() ?? { claims: new ClaimBuilder(), adjustments: new AdjustmentBuilder() };
  pair.claims.reset();
  pair.adjustments.reset();
  return pair;
}

export function releaseBuilders(pair: Builders): void {
  if (POOL.length < 8) POOL.push(pair);
}
