import type { GenericColumn } from './era/elementMap.ts';

/** Integer number of cents. Money never travels as a float. */
export type Cents = number;

/** ISO date `YYYY-MM-DD`. */
export type IsoDate = string;

/** Adjustment category, as DESIGN.md defines it. */
export type Category =
  | 'reversal'
  | 'offset'
  | 'refund'
  | 'forwarding_balance'
  | 'interest'
  | 'contractual'
  | 'patient_responsibility'
  | 'other';

/** Root cause of a takeback (DOMAIN.md section 7), plus the states a cause can be in. */
export type Cause =
  | 'duplicate'
  | 'coding'
  | 'eligibility'
  | 'documentation'
  | 'coordination_of_benefits'
  | 'prior_authorization'
  | 'non_covered'
  | 'audit'
  | 'incorrect_payee'
  | 'contract_rate'
  | 'other'
  | 'unspecified'
  | 'pending';

export type AdjustmentLevel = 'claim' | 'service' | 'provider';

/** One 835 transaction (ST..SE). `payer_id` and `payment_month` are the lake's partition keys. */
export interface RemittanceRow {
  /** `<remit_key>-<first 16 hex of content_sha256>`: one remittance; the same id is a duplicate. */
  remit_id: string;
  /** 32 hex: payer, payee, TRN02, BPR02 and BPR16 hashed; shared by a re-sent copy and by a key conflict. */
  remit_key: string;
  /** SHA-256 of the transaction's segments between ST and SE in canonical form (era/contentFingerprint.ts). */
  content_sha256: string;
  source_key: string;
  source_sha256: string;
  payer_id: string;
  payer_name: string | null;
  payee_id: string | null;
  payee_npi: string | null;
  payee_tin: string | null;
  payee_name: string | null;
  handling_code: string | null;
  payment_amount: Cents;
  credit_debit: string | null;
  payment_method: string | null;
  payment_date: IsoDate | null;
  payment_month: string;
  trace_number: string | null;
  production_date: IsoDate | null;
  x12_version: string | null;
  interchange_control: string | null;
  transaction_control: string | null;
  claim_count: number;
  plb_total: Cents;
  /** Σ CLP04 − Σ PLB − BPR02 (sign-adjusted for debits); 0 when the transaction balances. */
  balance_difference: Cents;
  unbalanced_claims: number;
  unbalanced_services: number;
  balanced: boolean;
  /** Tolerated deviations (wrong SE01 count, impossible dates, blank line amounts), `; ` separated. */
  warnings: string | null;
  ingested_at: string;
}

/** The claims columns the element map fills generically (CLP06-09/11, REF*F8, REF*EA, remark codes, …): text. */
export type MappedClaimFields = { [K in GenericColumn<'claims'>]: string | null };

/** The adjustments columns the element map fills generically from a service line (REF*6R, …): null on other rows. */
export type MappedAdjustmentFields = { [K in GenericColumn<'adjustments'>]: string | null };

/** One CLP loop. */
export type ClaimRow = ClaimRowCore & MappedClaimFields;

/** A claim row's columns other than the map's generic ones. */
export interface ClaimRowCore {
  remit_id: string;
  payer_id: string;
  claim_seq: number;
  claim_id: string;
  status_code: string;
  charge_amount: Cents;
  paid_amount: Cents;
  patient_responsibility: Cents | null;
  rendering_npi: string | null;
  payee_npi: string | null;
  /** Rendering NPI, else the payee NPI (DESIGN.md "Provider"). */
  provider_npi: string | null;
  service_date: IsoDate | null;
  statement_from: IsoDate | null;
  statement_to: IsoDate | null;
  payment_date: IsoDate | null;
  payment_month: string;
  is_reversal: boolean;
  service_count: number;
  balanced: boolean;
}

/** One CAS triplet (claim or service level) or one PLB pair (provider level). */
export type AdjustmentRow = AdjustmentRowCore & MappedAdjustmentFields;

/** An adjustment row's columns other than the map's generic ones. */
export interface AdjustmentRowCore {
  remit_id: string;
  payer_id: string;
  adjustment_seq: number;
  level: AdjustmentLevel;
  claim_seq: number | null;
  claim_id: string | null;
  claim_status: string | null;
  payer_claim_control: string | null;
  procedure_code: string | null;
  group_code: string | null;
  reason_code: string;
  reference_id: string | null;
  amount: Cents;
  quantity: number | null;
  category: Category;
  /**
   * The CARC class of the row's own reason code (taxonomy CARC_CAUSES; `other` for a CARC it does
   * not list); null on the rows of a reversal (CLP02 = 22) and on PLB rows, whose takeback cause
   * the models decide across files (docs/models.md "Cause of a takeback").
   */
  cause: Cause | null;
  provider_npi: string | null;
  fiscal_period_date: IsoDate | null;
  payment_date: IsoDate | null;
  payment_month: string;
}

/** Everything one transaction contributes to the lake. */
export interface NormalizedRemit {
  remittance: RemittanceRow;
  claims: ClaimRow[];
  adjustments: AdjustmentRow[];
}

/**
 * The claims of one transaction, column by column (index i is the claim with `claim_seq` i + 1).
 * Money is integer cents; dates are days since 1970-01-01; NaN marks an absent amount or date.
 * Booleans are 0 or 1. Values that are the same on every row (remit_id, payer_id, payee_npi,
 * payment date and month) are the remittance row's. Arrays may be longer than `length`: what
 * lies past it is left from an earlier transaction.
 */
export type ClaimColumns = ClaimCoreColumns & { [K in GenericColumn<'claims'>]: (string | null)[] };

/** The claims columns other than the map's generic ones (see `ClaimColumns`). */
export interface ClaimCoreColumns {
  length: number;
  claim_id: string[];
  status_code: string[];
  charge_amount: Float64Array;
  paid_amount: Float64Array;
  patient_responsibility: Float64Array;
  rendering_npi: (string | null)[];
  provider_npi: (string | null)[];
  service_date: Float64Array;
  statement_from: Float64Array;
  statement_to: Float64Array;
  is_reversal: Uint8Array;
  service_count: Int32Array;
  balanced: Uint8Array;
}

/**
 * The adjustments of one transaction, column by column (index i has `adjustment_seq` i + 1).
 * `level`, `category` and `cause` are indices into LEVELS, CATEGORIES and CAUSES (taxonomy.ts;
 * `cause` is NO_CAUSE, written null, on a reversal's rows and PLB rows);
 * `claim_seq`, `quantity` and `fiscal_period_date` are NaN when absent.
 */
export type AdjustmentColumns = AdjustmentCoreColumns & {
  [K in GenericColumn<'adjustments'>]: (string | null)[];
};

/** The adjustments columns other than the map's generic ones (see `AdjustmentColumns`). */
export interface AdjustmentCoreColumns {
  length: number;
  level: Uint8Array;
  /** The row's claim (1-based, NaN for none): its claim_id, claim_status, payer_claim_control and provider_npi are that claim's. */
  claim_seq: Float64Array;
  procedure_code: (string | null)[];
  group_code: (string | null)[];
  reason_code: string[];
  reference_id: (string | null)[];
  amount: Float64Array;
  quantity: Float64Array;
  category: Uint8Array;
  cause: Uint8Array;
  /** The provider of a row that names no claim (a PLB row); a row with a claim_seq has its claim's. */
  provider_npi: (string | null)[];
  fiscal_period_date: Float64Array;
}

/**
 * Everything one transaction contributes to the lake, as the reader produces it: columns, so a
 * transaction costs no object per row, and the Parquet encoder reads each column straight
 * through. The streaming parser's columns are its own arrays, valid during the callback that
 * receives them: `retainRemit` copies them, `remitRows` turns them into `NormalizedRemit` rows.
 */
export interface RemitColumns {
  remittance: RemittanceRow;
  claims: ClaimColumns;
  adjustments: AdjustmentColumns;
}
