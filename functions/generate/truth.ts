import { formatCents } from '../core/money.ts';
import type { Cause, Cents } from '../core/types.ts';
import type { ClaimRef, PlbPair } from './model.ts';

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
  /** Reversals of an original that an earlier reversal already took back (over-recoupment). */
  double_reversals: number;
  /** Σ −CLP04 of those reversals: money taken back a second time. */
  over_recoupment: string;
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

/** Rule by which a correction names its reversal (the `link_rule` contract, tried in this order). */
export type CorrectionLinkRule = 'original_reference' | 'payer_claim_control' | 'claim_id_service_dates';
/** Rule by which a PLB reference names a claim (the `link_rule` contract). */
export type PlbLinkRule = 'icn' | 'claim_id' | 'composite_icn' | 'composite_claim_id';

/** A claim in the files: TRN02 of its transaction and its place (1-based, = claim_seq) there. */
export interface ClaimPlace {
  trace: string;
  claim: number;
  payment_date: string;
}

/** One reversal of the generator's event log, with the claims it truly belongs to. */
export interface ReversalLinkRow {
  payer_id: string;
  payee_npi: string;
  reversal: ClaimPlace;
  original: ClaimPlace;
  /** null: no correction in the data set (pending). */
  correction: ClaimPlace | null;
  /** The first rule of the contract's order by which the correction names this reversal. */
  link_rule: CorrectionLinkRule | null;
  cause: TruthCause;
  takeback: string;
  correction_repaid: string;
  /** A second reversal of an original already reversed (over-recoupment). */
  double_reversal: boolean;
}

/** One PLB recovery pair (WO, WU, OB, 72) of the event log, with the claim it truly names. */
export interface PlbLinkRow {
  payer_id: string;
  payee_npi: string;
  /** TRN02 and the pair's place (1-based) among the transaction's PLB pairs, in file order. */
  plb: { trace: string; pair: number; payment_date: string };
  reason_code: string;
  amount: string;
  /** The claim its reference names (the original; a correction that kept the ICN names it too). */
  claim: ClaimPlace | null;
  link_rule: PlbLinkRule | null;
  /** The cause of the reversal of the named claim, else unspecified. */
  cause: TruthCause;
}

/** Takebacks of a payer by the rule that links them (reversal: to its correction; PLB: to its claim). */
export interface LinkRuleRow {
  payer_id: string;
  kind: 'reversal' | 'plb';
  /** null: not linked (a pending reversal; a PLB reference that names no claim). */
  link_rule: CorrectionLinkRule | PlbLinkRule | null;
  takebacks: number;
  takeback: string;
  correction_repaid: string;
}

/** How often each habit of real payers occurs in the data set (all 0 unless realism is high). */
export interface RealismCounts {
  /** Claims carrying an account number (CLP01) of an earlier claim of the same payer and payee: a later visit. */
  reused_claim_ids_same_payee: number;
  /** Claims carrying an account number another payee already used with the same payer. */
  reused_claim_ids_other_payee: number;
  /** Payer × payee × payment dates paid in more than one 835, and the 835s of those dates. */
  split_payment_dates: number;
  split_transactions: number;
  /** Corrections in another 835 of the same payment date as their reversal. */
  corrections_same_day_other_835: number;
  /** Corrections carrying REF*F8; corrections with a new CLP07; corrections keeping the original's CLP07. */
  corrections_with_f8: number;
  corrections_new_icn: number;
  corrections_same_icn: number;
  /** PLB recovery pairs by the form of their reference. */
  plb_references_icn: number;
  plb_references_claim_id: number;
  plb_references_composite_icn: number;
  plb_references_composite_claim_id: number;
  double_reversals: number;
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
    realism: Realism;
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
  /** Takebacks by payer, kind and the link rule a correct linker uses. */
  by_payer_link_rule: LinkRuleRow[];
  realism: RealismCounts;
  /** The event log: every reversal and PLB recovery with what it truly links to. */
  links: { reversals: ReversalLinkRow[]; plb: PlbLinkRow[] };
}

/** `standard`: tidy payers; `high`: the habits of real payers that make linking hard (issue 24). */
export type Realism = 'standard' | 'high';

/** The DESIGN.md metric definitions as written into truth.json. */
export const TRUTH_DEFINITIONS: Record<string, string> = {
  amounts: 'Decimal strings with two places, summed from integer cents. Re-delivered files count once.',
  paid: 'Σ CLP04 over claims whose CLP02 ≠ 22 (originals and corrections).',
  reversal_takeback: 'Σ −CLP04 over CLP02 = 22.',
  plb_recovery: 'Signed Σ PLB amounts with reason WO, WU, OB or 72; positive = taken from the provider.',
  takeback: 'reversal_takeback + plb_recovery.',
  correction_repaid:
    'CLP04 of the correction of a reversed claim (the paid claim that names it: by REF*F8 or CLP07 where the payer sends them, else payer + payee + CLP01 + service dates), in the same 835, another 835 of the same day or a later one; booked on the reversal (its week, provider and cause).',
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
    'claims = CLP segments (reversals and corrections included); plb_pairs = all PLB pairs; plb_recovery_pairs = pairs with WO, WU, OB, 72; corrections = reversals with a correction, booked with the reversal.',
  over_recoupment:
    'A reversal of an original claim that an earlier reversal already took back (double_reversals), and Σ −CLP04 of those reversals (over_recoupment).',
  link_rule:
    'Reversal → correction: original_reference (REF*F8 names the reversed ICN), payer_claim_control (same CLP07), claim_id_service_dates (same payer, payee, CLP01 and service dates), first that holds; null when pending. PLB → claim: icn, claim_id (same payee), by the reference as the lake keeps it (a member id written after the claim token is dropped when the file is read, so such a reference links by icn or claim_id too; composite_icn and composite_claim_id are left for references that keep several claim tokens); null when it names no claim. counts.plb_references_composite_* count the references written with a member id.',
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
  doubleReversals: number;
  overRecoupment: Cents;
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
    doubleReversals: 0,
    overRecoupment: 0,
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
    double_reversals: b.doubleReversals,
    over_recoupment: formatCents(b.overRecoupment),
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

/** A reversal as the simulation knows it; its refs are filled when the transactions close. */
export interface ReversalEvent {
  payerId: string;
  payeeNpi: string;
  reversal: ClaimRef;
  original: ClaimRef;
  correction: ClaimRef | null;
  rule: CorrectionLinkRule | null;
  cause: TruthCause;
  takeback: Cents;
  repaid: Cents;
  double: boolean;
}

/** A PLB recovery pair as the simulation knows it. */
export interface PlbEvent {
  payerId: string;
  payeeNpi: string;
  pair: PlbPair;
  claim: ClaimRef | null;
  rule: PlbLinkRule | null;
  cause: TruthCause;
}

/** Realism counts, all zero. */
export function emptyRealismCounts(): RealismCounts {
  return {
    reused_claim_ids_same_payee: 0,
    reused_claim_ids_other_payee: 0,
    split_payment_dates: 0,
    split_transactions: 0,
    corrections_same_day_other_835: 0,
    corrections_with_f8: 0,
    corrections_new_icn: 0,
    corrections_same_icn: 0,
    plb_references_icn: 0,
    plb_references_claim_id: 0,
    plb_references_composite_icn: 0,
    plb_references_composite_claim_id: 0,
    double_reversals: 0,
  };
}

function place(ref: ClaimRef): ClaimPlace {
  if (ref.index === 0) throw new Error('truth: a linked claim was never written');
  return { trace: ref.trace, claim: ref.index, payment_date: ref.paymentDate };
}

/** The event log as written into truth.json (every ref must be placed by now). */
export function linkRows(reversals: readonly ReversalEvent[], plb: readonly PlbEvent[]): Truth['links'] {
  return {
    reversals: reversals.map((r) => ({
      payer_id: r.payerId,
      payee_npi: r.payeeNpi,
      reversal: place(r.reversal),
      original: place(r.original),
      correction: r.correction === null ? null : place(r.correction),
      link_rule: r.rule,
      cause: r.cause,
      takeback: formatCents(r.takeback),
      correction_repaid: formatCents(r.repaid),
      double_reversal: r.double,
    })),
    plb: plb.map((e) => {
      const at = place(e.pair.ref ?? { trace: '', index: 0, paymentDate: '' });
      return {
        payer_id: e.payerId,
        payee_npi: e.payeeNpi,
        plb: { trace: at.trace, pair: at.claim, payment_date: at.payment_date },
        reason_code: e.pair.code,
        amount: formatCents(e.pair.amount),
        claim: e.claim === null ? null : place(e.claim),
        link_rule: e.rule,
        cause: e.cause,
      };
    }),
  };
}

/** Takebacks by payer, kind and link rule, from the event log. */
export function linkRuleRows(
  payerIds: readonly string[],
  reversals: readonly ReversalEvent[],
  plb: readonly PlbEvent[],
): LinkRuleRow[] {
  const sums = new Map<string, { takebacks: number; takeback: Cents; repaid: Cents }>();
  const add = (key: string, takeback: Cents, repaid: Cents) => {
    const s = sums.get(key) ?? { takebacks: 0, takeback: 0, repaid: 0 };
    s.takebacks++;
    s.takeback += takeback;
    s.repaid += repaid;
    sums.set(key, s);
  };
  for (const r of reversals) add(`${r.payerId}|reversal|${r.rule ?? ''}`, r.takeback, r.repaid);
  for (const e of plb) add(`${e.payerId}|plb|${e.rule ?? ''}`, e.pair.amount, 0);
  const rows: LinkRuleRow[] = [];
  for (const payerId of payerIds) {
    for (const kind of ['reversal', 'plb'] as const) {
      const keys = [...sums.keys()].filter((k) => k.startsWith(`${payerId}|${kind}|`)).sort();
      for (const key of keys) {
        const s = sums.get(key);
        if (s === undefined) continue;
        const rule = key.slice(`${payerId}|${kind}|`.length);
        rows.push({
          payer_id: payerId,
          kind,
          link_rule: rule === '' ? null : (rule as CorrectionLinkRule | PlbLinkRule),
          takebacks: s.takebacks,
          takeback: formatCents(s.takeback),
          correction_repaid: formatCents(s.repaid),
        });
      }
    }
  }
  return rows;
}

/** Sums facts into the truth slices as the generator emits them. */
export class TruthAccumulator {
  readonly reversalEvents: ReversalEvent[] = [];
  readonly plbEvents: PlbEvent[] = [];
  readonly realism = emptyRealismCounts();
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
