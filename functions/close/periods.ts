/**
 * Closed periods: what a close freezes and what its manifest says. Closing a month and reading the
 * closed months are operations on the lake's folder (functions/adapters/duckdb/closePeriod.ts,
 * closedPeriods.ts).
 */

/** Folder (under the lake, beside `marts/`) holding one folder per closed month. */
export const CLOSES_DIR = 'closes';

/** What `close.json` of a closed month says. */
export interface CloseManifest {
  format: 'recoup-close/1';
  /** YYYY-MM */
  period: string;
  /** When it was closed (ISO, UTC). Files ingested later are late files for this period. */
  closed_at: string;
  /** Rows frozen per mart. */
  marts: Record<string, number>;
  /** Remittances in the lake when it was closed, and the latest ingest time then. */
  remittances: number;
  latest_ingested_at: string | null;
}

/** A month folder name. */
export const PERIOD_PATTERN = /^\d{4}-(0[1-9]|1[0-2])$/;

/** The marts frozen by a close, each with the condition that picks the month's rows. */
export const FROZEN_MARTS: readonly { mart: string; where: string; required: boolean }[] = [
  { mart: 'recoupment_rates', where: 'period = $period', required: true },
  { mart: 'takeback_links', where: 'period = $period', required: true },
  { mart: 'takeback_trend', where: "grain = 'month' AND period_start = $period", required: false },
  { mart: 'recoupment_cohorts', where: 'cohort_month = $period', required: false },
];

/** A month that cannot be closed (not built, stale marts, already closed, bad period). */
export class CloseError extends Error {
  override readonly name = 'CloseError';
}
