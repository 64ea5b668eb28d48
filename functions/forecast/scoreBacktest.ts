import type { Cents, IsoDate } from '../core/types.ts';

/** One payer-week of a backtest: the forecast made at the cut, and what happened. */
export interface BacktestWeek {
  payer_id: string;
  week_start: IsoDate;
  /** Gross takeback actually taken that week. */
  actual: Cents;
  /** Forecast takeback quantiles, scheduled deferral repayments included. */
  p10: Cents;
  p50: Cents;
  p90: Cents;
  /** The naive forecast: mean weekly takeback of the 8 weeks before the cut. */
  baseline: Cents;
  /** Weeks after the cut (1 = the first forecast week). */
  horizon_week?: number;
}

/** Scores of one payer, or of all payers (`payer_id` = null). */
export interface BacktestScore {
  payer_id: string | null;
  /** The payer's name (dim_payers), when the caller knows it; absent on the total. */
  payer_name?: string | null;
  weeks: number;
  actual: Cents;
  forecast_p50: Cents;
  baseline: Cents;
  /** Σ|actual − p50| / Σ|actual|; null when nothing was taken back. */
  wape: number | null;
  /** The same for the trailing 8-week mean. */
  baseline_wape: number | null;
  /** Share of payer-weeks with p10 ≤ actual ≤ p90. */
  coverage: number;
}

/** Horizon bands the backtest reports separately: near, middle and far weeks of the 13. */
export const HORIZON_BANDS = [
  { band: '1-4', from: 1, to: 4 },
  { band: '5-8', from: 5, to: 8 },
  { band: '9-13', from: 9, to: 13 },
] as const;

/** Scores of the payer-weeks of one horizon band, with where the misses fell. */
export interface BandScore extends Omit<BacktestScore, 'payer_id'> {
  band: string;
  /** Share of payer-weeks below p10 and above p90. */
  below_p10: number;
  above_p90: number;
}

/** Scores by horizon band (1–4, 5–8, 9–13 weeks); a band without payer-weeks is left out. */
export function scoreBands(weeks: BacktestWeek[]): BandScore[] {
  const out: BandScore[] = [];
  for (const { band, from, to } of HORIZON_BANDS) {
    const inBand = weeks.filter(
      (w) => w.horizon_week !== undefined && w.horizon_week >= from && w.horizon_week <= to,
    );
    if (inBand.length === 0) continue;
    const { payer_id: _payer, ...scores } = score(null, inBand);
    out.push({
      band,
      ...scores,
      below_p10: inBand.filter((w) => w.actual < w.p10).length / inBand.length,
      above_p90: inBand.filter((w) => w.actual > w.p90).length / inBand.length,
    });
  }
  return out;
}

/** WAPE of the forecast and of the baseline, and the p10–p90 coverage, per payer and overall. */
export function scoreBacktest(weeks: BacktestWeek[]): { payers: BacktestScore[]; total: BacktestScore } {
  const byPayer = new Map<string, BacktestWeek[]>();
  for (const w of weeks) {
    const list = byPayer.get(w.payer_id) ?? [];
    list.push(w);
    byPayer.set(w.payer_id, list);
  }
  const payers = [...byPayer.keys()].sort().map((payer) => score(payer, byPayer.get(payer)!));
  return { payers, total: score(null, weeks) };
}

function score(payer: string | null, weeks: BacktestWeek[]): BacktestScore {
  let actual = 0;
  let absActual = 0;
  let forecast = 0;
  let baseline = 0;
  let error = 0;
  let baselineError = 0;
  let inside = 0;
  for (const w of weeks) {
    actual += w.actual;
    absActual += Math.abs(w.actual);
    forecast += w.p50;
    baseline += w.baseline;
    error += Math.abs(w.actual - w.p50);
    baselineError += Math.abs(w.actual - w.baseline);
    if (w.p10 <= w.actual && w.actual <= w.p90) inside++;
  }
  return {
    payer_id: payer,
    weeks: weeks.length,
    actual,
    forecast_p50: forecast,
    baseline,
    wape: absActual > 0 ? error / absActual : null,
    baseline_wape: absActual > 0 ? baselineError / absActual : null,
    coverage: weeks.length > 0 ? inside / weeks.length : 0,
  };
}
