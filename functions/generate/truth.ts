import { formatCents } from '../core/money.ts';
import type { Cause, Cents } from '../core/types.ts';

/**
 * Causes a takeback can carry in truth.json: DOMAIN.md section 7 causes, `pending` for a reversal
 * whose correction never arrived, `unspecified` for a PLB recovery linked to no reversal.
 */
export type TruthCause = Exclude<Cause, 'other'>;

/**
 * Takeback metrics of one slice (DESIGN.md "Metric definitions"). Money is a string with two
 * decimals ("1234.56", "-5.00"), summed from integer cents.
 */
export interface TakebackMetrics {
  /** Σ −CLP04 over CLP02 = 22. */
  reversal_takeback: string;
  /** Signed Σ PLB amounts with reason WO, WU, OB, 72 (positive = taken from the provider). */
  plb_recovery: string;
  /** reversal_takeback + plb_recovery. */
  takeback: string;
  /** Σ CLP04 of corrections (CLP02 ≠ 22, same payer and CLP01 as a reversal), where the correction is paid. */
  correction_repaid: string;
  /** takeback − correction_repaid. */
  net_takeback: string;
  /** −Σ PLB 72. */
  refunds: string;
  /** Number of CLP02 = 22 claims. */
  reversals: number;
  /** Number of corrections (CLP09 = 7 claims following a reversal). */
  corrections: number;
  /** Number of PLB pairs with reason WO, WU, OB or 72. */
  plb_recovery_pairs: number;
}

/** All metrics of a slice that is not cut by cause. */
export interface TruthMetrics extends TakebackMetrics {
  /** Σ CLP04 over CLP02 ≠ 22 (originals and corrections). */
  paid: string;
  /** −Σ PLB L6. */
  interest: string;
  /** −Σ PLB FB. */
  outstanding_fb: string;
  /** Number of CLP segments, reversals and corrections included. */
  claims: number;
  /** Number of PLB pairs of any reason. */
  plb_pairs: number;
}

/** One row of `by_payer`. */
export interface PayerRow extends TruthMetrics {
  payer_id: string;
  /** Distinct 835 transactions (ST..SE) of the payer, re-deliveries not counted. */
  transactions: number;
}
/** One row of `by_provider`: provider = rendering NPI, else payee NPI; PLB by link, else PLB01. */
export interface ProviderRow extends TruthMetrics {
  provider_npi: string;
}
/** One row of `by_payer_week`: week_start is the Monday of BPR16. Every payer × week is listed. */
export interface PayerWeekRow extends TruthMetrics {
  payer_id: string;
  week_start: string;
}
/** One row of `by_payer_cause` (only causes that occur). */
export interface PayerCauseRow extends TakebackMetrics {
  payer_id: string;
  cause: TruthCause;
}
/** One row of `by_cause`. */
export interface CauseRow extends TakebackMetrics {
  cause: TruthCause;
}

/** The expected answers for a generated data set: the contract the end-to-end test checks. */
export interface Truth {
  format: 'recoup-truth/1';
  /** How every number below is defined (DESIGN.md metric definitions, restated). */
  definitions: Record<string, string>;
  params: {
    seed: number;
    weeks: number;
    payers: number;
    providers: number;
    scale: number;
    /** Monday of the first and of the last week. */
    first_week: string;
    last_week: string;
    spikes: { payer_id: string; week_start: string; factor: number }[];
    duplicates: boolean;
  };
  payers: { payer_id: string; name: string; profile: string; filing_indicators: string[] }[];
  payees: { payee_npi: string; name: string; tin: string; rendering_npis: string[] }[];
  counts: {
    /** Files written (.835), re-deliveries included. */
    files: number;
    /** Files that re-deliver an earlier file (byte copy or re-wrapped envelope). */
    duplicate_files: number;
    bytes: number;
    /** Distinct transactions (ST..SE), re-deliveries not counted. */
    transactions: number;
    claims: number;
    reversals: number;
    corrections: number;
    plb_pairs: number;
  };
  /** Re-delivered files and the file they repeat. */
  duplicates: { file: string; original: string; kind: 'byte_copy' | 'rewrapped' }[];
  totals: TruthMetrics;
  by_payer: PayerRow[];
  by_cause: CauseRow[];
  by_payer_cause: PayerCauseRow[];
  by_provider: ProviderRow[];
  by_payer_week: PayerWeekRow[];
}

/** The DESIGN.md metric definitions as written into truth.json. */
export const TRUTH_DEFINITIONS: Record<string, string> = {
  amounts: 'Decimal strings with two places, summed from integer cents. Re-delivered files count once.',
  paid: 'Σ CLP04 over claims whose CLP02 ≠ 22 (originals and corrections).',
  reversal_takeback: 'Σ −CLP04 over CLP02 = 22.',
  plb_recovery: 'Signed Σ PLB amounts with reason WO, WU, OB or 72; positive = taken from the provider.',
  takeback: 'reversal_takeback + plb_recovery.',
  correction_repaid:
    'CLP04 of the correction (CLP02 ≠ 22, same payer and CLP01, CLP09 7, new CLP07) of a reversed claim, in the same 835 or a later one.',
  net_takeback: 'takeback − correction_repaid.',
  refunds: '−Σ PLB 72.',
  interest: '−Σ PLB L6.',
  outstanding_fb: '−Σ PLB FB.',
  cause:
    'Reversal: the CARC on its correction that reduced the payment, mapped by DOMAIN.md §7, audit when RARC N432 is on the correction (MOA or LQ), pending when no correction arrived. PLB recovery: the cause of the reversal whose CLP07 or CLP01 its reference names, else unspecified. A correction carries its reversal cause. Paid, interest and FB are not cut by cause.',
  provider:
    'Rendering NPI (NM1*82) of the claim, else the payee NPI (N1*PE XX). A PLB pair whose reference names a claim (CLP07 or CLP01, same payer) goes to that claim provider; otherwise to PLB01.',
  period: 'Payment date BPR16; weeks start Monday (week_start).',
  counts:
    'claims = CLP segments (reversals and corrections included); plb_pairs = all PLB pairs; plb_recovery_pairs = pairs with WO, WU, OB, 72.',
};

/** Mutable integer-cent sums of one slice. */
export interface Bucket {
  paid: Cents;
  reversalTakeback: Cents;
  plbRecovery: Cents;
  correctionRepaid: Cents;
  refunds: Cents;
  interest: Cents;
  outstandingFb: Cents;
  claims: number;
  reversals: number;
  corrections: number;
  plbPairs: number;
  plbRecoveryPairs: number;
  transactions: number;
}

/** A bucket with every sum at zero. */
export function emptyBucket(): Bucket {
  return {
    paid: 0,
    reversalTakeback: 0,
    plbRecovery: 0,
    correctionRepaid: 0,
    refunds: 0,
    interest: 0,
    outstandingFb: 0,
    claims: 0,
    reversals: 0,
    corrections: 0,
    plbPairs: 0,
    plbRecoveryPairs: 0,
    transactions: 0,
  };
}

/** The takeback part of a bucket, formatted. */
export function takebackMetrics(b: Bucket): TakebackMetrics {
  const takeback = b.reversalTakeback + b.plbRecovery;
  return {
    reversal_takeback: formatCents(b.reversalTakeback),
    plb_recovery: formatCents(b.plbRecovery),
    takeback: formatCents(takeback),
    correction_repaid: formatCents(b.correctionRepaid),
    net_takeback: formatCents(takeback - b.correctionRepaid),
    refunds: formatCents(b.refunds),
    reversals: b.reversals,
    corrections: b.corrections,
    plb_recovery_pairs: b.plbRecoveryPairs,
  };
}

/** All metrics of a bucket, formatted. */
export function truthMetrics(b: Bucket): TruthMetrics {
  return {
    paid: formatCents(b.paid),
    ...takebackMetrics(b),
    interest: formatCents(b.interest),
    outstanding_fb: formatCents(b.outstandingFb),
    claims: b.claims,
    plb_pairs: b.plbPairs,
  };
}

/** Where one fact lands: the slices it belongs to. */
export interface Slice {
  payerId: string;
  weekStart: string;
  provider: string;
  /** null for facts that are not cut by cause (paid of originals, interest, FB). */
  cause: TruthCause | null;
}

/** Sums facts into the truth slices as the generator emits them. */
export class TruthAccumulator {
  readonly total = emptyBucket();
  readonly byPayer = new Map<string, Bucket>();
  readonly byCause = new Map<TruthCause, Bucket>();
  readonly byPayerCause = new Map<string, Bucket>();
  readonly byProvider = new Map<string, Bucket>();
  readonly byPayerWeek = new Map<string, Bucket>();

  /** Applies `update` to every bucket the slice belongs to. */
  add(slice: Slice, update: (b: Bucket) => void): void {
    update(this.total);
    update(bucketOf(this.byPayer, slice.payerId));
    update(bucketOf(this.byProvider, slice.provider));
    update(bucketOf(this.byPayerWeek, `${slice.payerId}|${slice.weekStart}`));
    if (slice.cause !== null) {
      update(bucketOf(this.byCause, slice.cause));
      update(bucketOf(this.byPayerCause, `${slice.payerId}|${slice.cause}`));
    }
  }

  /** Counts one distinct transaction of a payer in a week. */
  addTransaction(payerId: string, weekStart: string): void {
    this.total.transactions++;
    bucketOf(this.byPayer, payerId).transactions++;
    bucketOf(this.byPayerWeek, `${payerId}|${weekStart}`).transactions++;
  }
}

function bucketOf<K>(map: Map<K, Bucket>, key: K): Bucket {
  let b = map.get(key);
  if (b === undefined) {
    b = emptyBucket();
    map.set(key, b);
  }
  return b;
}
