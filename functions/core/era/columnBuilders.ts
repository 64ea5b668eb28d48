import type { AdjustmentColumns, Cents, ClaimColumns } from '../types.ts';

/**
 * Growable columns for the claims of the transaction being read. Builders are pooled and serve
 * transaction after transaction: appends are stores into arrays that already have room, and
 * `finish` copies out exactly the transaction's rows (a block copy per column per transaction,
 * not an allocation per value).
 */
export class ClaimBuilder {
  length = 0;
  private claim_id: string[] = [];
  private status_code: string[] = [];
  private charge_amount = filled(64);
  private paid_amount = filled(64);
  private patient_responsibility = filled(64);
  private filing_indicator: (string | null)[] = [];
  payer_claim_control: (string | null)[] = [];
  private facility_code: (string | null)[] = [];
  private frequency_code: (string | null)[] = [];
  private drg_code: (string | null)[] = [];
  rendering_npi: (string | null)[] = [];
  provider_npi: (string | null)[] = [];
  private service_date = filled(64);
  private statement_from = filled(64);
  private statement_to = filled(64);
  private is_reversal = filled(64);
  private remark_codes: (string | null)[] = [];
  private service_count = filled(64);
  private balanced = filled(64);
  /** First and one-past-last adjustment row of each claim (claim-level CAS, then its lines'). */
  rowStart = filled(64);
  rowEnd = filled(64);
  /** Remark codes of each claim, as read (undefined when none). */
  remarkLists: (string[] | undefined)[] = [];

  /** Claim ids and statuses so far (read by the end-of-transaction linking). */
  get ids(): readonly string[] {
    return this.claim_id;
  }

  get statuses(): readonly string[] {
    return this.status_code;
  }

  add(
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
    rendering: string | null,
    provider: string | null,
    serviceDate: number,
    statementFrom: number,
    statementTo: number,
    isReversal: boolean,
    remarkList: string[] | undefined,
    services: number,
    balanced: boolean,
    rowStart: number,
    rowEnd: number,
  ): void {
    const i = this.length;
    this.claim_id[i] = id;
    this.status_code[i] = status;
    this.charge_amount[i] = charge;
    this.paid_amount[i] = paid;
    this.patient_responsibility[i] = patientResponsibility;
    this.filing_indicator[i] = filing;
    this.payer_claim_control[i] = icn;
    this.facility_code[i] = facility;
    this.frequency_code[i] = frequency;
    this.drg_code[i] = drg;
    this.rendering_npi[i] = rendering;
    this.provider_npi[i] = provider;
    this.service_date[i] = serviceDate;
    this.statement_from[i] = statementFrom;
    this.statement_to[i] = statementTo;
    this.is_reversal[i] = isReversal ? 1 : 0;
    this.remark_codes[i] = remarkList !== undefined ? [...new Set(remarkList)].join(',') : null;
    this.remarkLists[i] = remarkList;
    this.service_count[i] = services;
    this.balanced[i] = balanced ? 1 : 0;
    this.rowStart[i] = rowStart;
    this.rowEnd[i] = rowEnd;
    this.length = i + 1;
  }

  /** Copies out the transaction's claims and empties the builder for the next transaction. */
  finish(): ClaimColumns {
    const n = this.length;
    this.length = 0;
    this.remarkLists.fill(undefined, 0, n);
    return {
      length: n,
      claim_id: this.claim_id.slice(0, n),
      status_code: this.status_code.slice(0, n),
      charge_amount: this.charge_amount.slice(0, n),
      paid_amount: this.paid_amount.slice(0, n),
      patient_responsibility: this.patient_responsibility.slice(0, n),
      filing_indicator: this.filing_indicator.slice(0, n),
      payer_claim_control: this.payer_claim_control.slice(0, n),
      facility_code: this.facility_code.slice(0, n),
      frequency_code: this.frequency_code.slice(0, n),
      drg_code: this.drg_code.slice(0, n),
      rendering_npi: this.rendering_npi.slice(0, n),
      provider_npi: this.provider_npi.slice(0, n),
      service_date: this.service_date.slice(0, n),
      statement_from: this.statement_from.slice(0, n),
      statement_to: this.statement_to.slice(0, n),
      is_reversal: this.is_reversal.slice(0, n),
      remark_codes: this.remark_codes.slice(0, n),
      service_count: this.service_count.slice(0, n),
      balanced: this.balanced.slice(0, n),
    };
  }
}

/** Growable columns for the adjustments of the transaction being read (see `ClaimBuilder`). */
export class AdjustmentBuilder {
  length = 0;
  private level = filled(256);
  private claim_seq = filled(256);
  private claim_id: (string | null)[] = [];
  private claim_status: (string | null)[] = [];
  private payer_claim_control: (string | null)[] = [];
  private procedure_code: (string | null)[] = [];
  private group_code: (string | null)[] = [];
  private reason_code: string[] = [];
  private reference_id: (string | null)[] = [];
  private amount = filled(256);
  private quantity = filled(256);
  private category = filled(256);
  cause = filled(256);
  provider_npi: (string | null)[] = [];
  private fiscal_period_date = filled(256);

  /** Group, reason and amount of row k (read when comparing a correction with its reversal). */
  groupOf(k: number): string {
    return this.group_code[k] as string;
  }

  reasonOf(k: number): string {
    return this.reason_code[k] as string;
  }

  amountOf(k: number): Cents {
    return this.amount[k] as number;
  }

  /** Appends a CAS row; its claim columns are filled by `setClaim` when the claim ends. */
  addCas(
    level: number,
    procedure: string | null,
    group: string,
    reason: string,
    amount: Cents,
    quantity: number,
    category: number,
    cause: number,
  ): void {
    const i = this.length;
    this.level[i] = level;
    this.procedure_code[i] = procedure;
    this.group_code[i] = group;
    this.reason_code[i] = reason;
    this.reference_id[i] = null;
    this.amount[i] = amount;
    this.quantity[i] = quantity;
    this.category[i] = category;
    this.cause[i] = cause;
    this.fiscal_period_date[i] = Number.NaN;
    this.length = i + 1;
  }

  /** Fills the claim columns of rows [from, to), all of one claim. */
  setClaim(
    from: number,
    to: number,
    seq: number,
    id: string,
    status: string,
    icn: string | null,
    provider: string | null,
  ): void {
    for (let i = from; i < to; i++) {
      this.claim_seq[i] = seq;
      this.claim_id[i] = id;
      this.claim_status[i] = status;
      this.payer_claim_control[i] = icn;
      this.provider_npi[i] = provider;
    }
  }

  /** Appends a PLB row (provider level), with the claim its reference names, if any. */
  addProvider(
    seq: number,
    id: string | null,
    status: string | null,
    icn: string | null,
    code: string,
    reference: string | null,
    amount: Cents,
    category: number,
    cause: number,
    provider: string | null,
    fiscalDate: number,
  ): void {
    const i = this.length;
    this.level[i] = LEVEL_PROVIDER;
    this.claim_seq[i] = seq;
    this.claim_id[i] = id;
    this.claim_status[i] = status;
    this.payer_claim_control[i] = icn;
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
    this.length = i + 1;
  }

  /** Copies out the transaction's adjustments and empties the builder for the next transaction. */
  finish(): AdjustmentColumns {
    const n = this.length;
    this.length = 0;
    return {
      length: n,
      level: this.level.slice(0, n),
      claim_seq: this.claim_seq.slice(0, n),
      claim_id: this.claim_id.slice(0, n),
      claim_status: this.claim_status.slice(0, n),
      payer_claim_control: this.payer_claim_control.slice(0, n),
      procedure_code: this.procedure_code.slice(0, n),
      group_code: this.group_code.slice(0, n),
      reason_code: this.reason_code.slice(0, n),
      reference_id: this.reference_id.slice(0, n),
      amount: this.amount.slice(0, n),
      quantity: this.quantity.slice(0, n),
      category: this.category.slice(0, n),
      cause: this.cause.slice(0, n),
      provider_npi: this.provider_npi.slice(0, n),
      fiscal_period_date: this.fiscal_period_date.slice(0, n),
    };
  }
}

/** Index of the provider level in LEVELS (taxonomy.ts). */
const LEVEL_PROVIDER = 2;

/** A number array with room for `n` values, to be overwritten (and grown past by appending). */
function filled(n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(0);
  return out;
}

const POOL: { claims: ClaimBuilder; adjustments: AdjustmentBuilder }[] = [];

/**
 * A pair of empty builders for one transaction, from a pool so their arrays keep the room they
 * grew in earlier transactions. Give them back with `releaseBuilders` after `finish`; a pair
 * never given back (the file failed half way) is simply garbage collected.
 */
export function acquireBuilders(): { claims: ClaimBuilder; adjustments: AdjustmentBuilder } {
  const pair = POOL.pop() ?? { claims: new ClaimBuilder(), adjustments: new AdjustmentBuilder() };
  pair.claims.length = 0;
  pair.adjustments.length = 0;
  return pair;
}

export function releaseBuilders(pair: { claims: ClaimBuilder; adjustments: AdjustmentBuilder }): void {
  if (POOL.length < 8) POOL.push(pair);
}
