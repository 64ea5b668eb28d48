/**
 * The data the report page reads: ReportData (loadReportData.ts) as the page receives it, embedded
 * as JSON, with each section's rows typed by the fields the page reads. Money is an exact decimal
 * string (DECIMAL), rates and counts are numbers, dates ISO strings; any of them may be null.
 */
import type { ReportData, Section } from '../loadReportData.ts';

/** An exact decimal string ("1234.50"); a number is read the same way. */
export type Money = string | number | null;
type Rate = number | null;
type Count = number | null;
/** An ISO date, "2025-03-05" (a month, "2025-03", in closed months). */
type IsoDate = string | null;

export type ScorecardRow = {
  payer_id: string;
  payer_name?: string | null;
  paid: Money;
  takeback: Money;
  net_takeback: Money;
  recoupment_rate: Rate;
  net_recoupment_rate: Rate;
  rank: Count;
  median_lag_days: Rate;
  linked_share: Rate;
  refunds: Money;
  interest: Money;
  outstanding_fb: Money;
  previous_recoupment_rate: Rate;
  trend: 'up' | 'down' | 'flat' | null;
  window_start: IsoDate;
  window_end: IsoDate;
  active: boolean | null;
  last_payment_date: IsoDate;
  reversal_count?: Count;
  corrected_share?: Rate;
  correction_share_original_reference?: Rate;
  correction_share_payer_claim_control?: Rate;
  correction_share_claim_id_service_dates?: Rate;
  correction_share_claim_id_charge?: Rate;
  correction_share_claim_id?: Rate;
  plb_recovery_count?: Count;
  plb_linked_share?: Rate;
  plb_share_icn?: Rate;
  plb_share_claim_id?: Rate;
  plb_share_composite_icn?: Rate;
  plb_share_composite_claim_id?: Rate;
  over_recoupment_count?: Count;
  over_recoupment_amount?: Money;
};

/** A payer's week or month in takeback_trend. */
export type TrendRow = {
  payer_id: string;
  period: string;
  takeback: Money;
  net_takeback: Money;
  /** The as-of date falls inside the period: its totals are of part of it. */
  partial?: boolean | null;
};

/** Takebacks by cause (recoupment_rates, grain cause / payer_cause). */
export type CauseRow = {
  payer_id?: string;
  cause: string | null;
  takeback: Money;
  net_takeback: Money;
  takeback_count: Count;
};

/** Takebacks by provider (recoupment_rates, grain provider / payer_provider). */
export type ProviderRow = {
  payer_id?: string;
  provider_npi: string | null;
  provider_name?: string | null;
  /** 'rendering' or 'billing' when the mart tells them apart. */
  provider_role?: string | null;
  takeback: Money;
  net_takeback: Money;
  takeback_count: Count;
};

export type ForecastRow = {
  payer_id: string;
  week_start: string;
  expected_payments: Money;
  takeback_p10: Money;
  takeback_p50: Money;
  takeback_p90: Money;
  scheduled_offsets: Money;
  net_cash_p50: Money;
  takeback_share: Rate;
  flag: boolean | null;
};

export type AlertRow = {
  grain: string | null;
  payer_id: string;
  cause: string | null;
  week_start: string;
  takeback: Money;
  baseline: Money;
  score: Rate;
  excess: Money;
  /** The claims' labels (CLP01 with the ICN, or a PLB reference). */
  top_claims: string[] | null;
  /** For each top claim, a PLB offset's reference (null for a reversal). */
  top_claim_references?: (string | null)[] | null;
  top_providers: string[] | null;
  top_causes: string[] | null;
};

/** A takeback in takeback_links, as the drill-down lists it. */
export type DrillRow = {
  payer_id: string;
  kind: string | null;
  payment_date: IsoDate;
  amount: Money;
  /** CLP01: shown in the page, never exported. */
  claim_id: string | null;
  payer_claim_control: string | null;
  original_payment_date: IsoDate;
  correction_payment_date: IsoDate;
  correction_repaid: Money;
  lag_days: Count;
  cause: string | null;
  cause_reason_code: string | null;
  reason_code: string | null;
  reference_id: string | null;
  /** The PLB reference without the tokens that are a CLP01 in the lake: what the CSV carries. */
  reference_export?: string | null;
  provider_npi: string | null;
  original_paid: Money;
  correction_payer_claim_control: string | null;
};

export type DrillTotalRow = { payer_id: string; takeback_count: Count; takeback: Money };

export type AppealStatusRow = { status: string; appeals: number; recoverable: Money };

export type AppealRow = {
  rank: Count;
  status: string;
  days_left: Count;
  appeal_deadline: IsoDate;
  recoverable_amount: Money;
  amount: Money;
  payer_id: string;
  kind: string | null;
  reason_code: string | null;
  payer_claim_control: string | null;
  claim_id: string | null;
  cause: string | null;
  payment_date: IsoDate;
};

export type CohortRow = {
  payer_id: string;
  cohort_month: string;
  cohort_paid: Money;
  /** Cumulative share of the month's paid taken back, by week after payment. */
  shares: (number | null)[] | null;
  complete_weeks: number;
  cohort_rate: Rate;
  net_cohort_rate: Rate;
};

export type ClosedPeriodRow = { period: string; closed_at: string; restated: boolean; late_files: number };

export type RestatementRow = {
  period: string;
  payer_id: string;
  metric: string;
  cause: string | null;
  reason: string;
  source_key: string | null;
  delta: Money;
  reported_value: Money;
  current_value: Money;
};

/** ReportData with each section's rows as the page reads them. */
export type PageData = Omit<
  ReportData,
  | 'scorecard'
  | 'trend'
  | 'causes'
  | 'providers'
  | 'forecast'
  | 'alerts'
  | 'drill'
  | 'appeals'
  | 'cohorts'
  | 'closes'
> & {
  scorecard: Section<ScorecardRow[]>;
  trend: Section<{ weekly: TrendRow[]; monthly: TrendRow[] }>;
  causes: Section<{ all: CauseRow[]; by_payer: CauseRow[] }>;
  providers: Section<{ all: ProviderRow[]; by_payer: ProviderRow[] }>;
  forecast: Section<{ as_of: string | null; rows: ForecastRow[] }>;
  alerts: Section<{ current_since: string | null; current: AlertRow[]; earlier_count: number }>;
  drill: Section<{ cap: number; totals: DrillTotalRow[]; rows: DrillRow[] }>;
  appeals: Section<{ as_of: string | null; cap: number; by_status: AppealStatusRow[]; rows: AppealRow[] }>;
  cohorts: Section<{ maturity_weeks: number | null; rows: CohortRow[] }>;
  closes: Section<{ periods: ClosedPeriodRow[]; restatements: RestatementRow[] }>;
};

// ---------- compile-time checks against ReportData ----------
// `npm run typecheck` fails when the page and ReportData disagree:
// - PageData only narrows ReportData: the same sections and top-level fields.
// - Where ReportData types a section's rows (rather than leaving them an open record), they carry
//   every field the page reads, with a type the page accepts.

/** An open record (`Record<string, unknown>`): rows ReportData does not type yet. */
type Open<R> = string extends keyof R ? true : false;
/** True when R provides what the page reads as P, or when R is still an open record. */
type Provides<R, P> = Open<R> extends true ? true : [R] extends [P] ? true : false;
type Item<T> = T extends readonly (infer R)[] ? R : never;
/** A section's data: its rows, or an object of row lists (and other fields, checked as a whole). */
type DataProvides<D, P> = P extends unknown[]
  ? Provides<Item<D>, Item<P>>
  : false extends {
        [K in keyof P & keyof D]: P[K] extends unknown[] ? Provides<Item<D[K]>, Item<P[K]>> : true;
      }[keyof P & keyof D]
    ? false
    : true;
type SectionKey = {
  [K in keyof PageData]: PageData[K] extends Section<unknown> ? K : never;
}[keyof PageData];

const narrows: ReportData = {} as PageData;
const provides: { [K in SectionKey]: DataProvides<ReportData[K]['data'], PageData[K]['data']> } = {
  scorecard: true,
  trend: true,
  causes: true,
  providers: true,
  forecast: true,
  alerts: true,
  drill: true,
  appeals: true,
  cohorts: true,
  closes: true,
};
/** The checks above, kept so that they are compiled (they do nothing at run time; no page module imports them). */
export const TYPE_CHECKS = [narrows, provides] as const;
