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
}

/** Scores of one payer, or of all payers (`payer_id` = null). */
export interface BacktestScore {
  payer_id: string | null;
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
