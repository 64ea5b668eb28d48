import { parseCents } from '../core/money.ts';
import type { Model } from '../models/loadModels.ts';
import type { Warehouse } from '../ports/warehouse.ts';
import { modelSql } from './modelSql.ts';
import { type AlertScore, type InjectedSpike, type ScoredAlert, scoreAlerts } from './scoreAlerts.ts';
import {
  type BacktestScore,
  type BacktestWeek,
  type BandScore,
  scoreBacktest,
  scoreBands,
} from './scoreBacktest.ts';

/** The forecast horizon: a backtest can hold back at most this many weeks. */
export const MAX_BACKTEST_WEEKS = 13;
/** Weeks the naive baseline averages. */
export const BASELINE_WEEKS = 8;

export interface RunBacktestInput {
  /** Where the model layer is built and read; it is left holding the staging and intermediate models of the cut. */
  warehouse: Warehouse;
  /**
   * Builds the staging and intermediate models over the lake into the warehouse, as of a date
   * (everything without one), writing no mart (functions/wiring/backtest.ts wires the DuckDB build).
   */
  buildModelLayer: (asOf?: string) => Promise<void>;
  /** The models (the forecast and alert marts are run from their SQL at each cut). */
  models: readonly Model[];
  /** Weeks held back (1..13). */
  weeks: number;
  /**
   * Spikes planted in generated data (truth.json `params.spikes`): the payer-level alerts of the
   * full history are scored against them (precision, recall).
   */
  spikes?: readonly InjectedSpike[];
}

export interface BacktestResult {
  /** Monday of the latest payment week in the lake. */
  latest_week: string;
  /** The as-of date of the forecast: the Sunday `weeks` weeks before the latest week. */
  as_of: string;
  weeks: number;
  payers: BacktestScore[];
  total: BacktestScore;
  /** The same by horizon band (1–4, 5–8, 9–13 weeks after the cut). */
  bands: BandScore[];
  detail: BacktestWeek[];
  /** Payer-level alerts against the planted spikes, when spikes were given. */
  alerts?: AlertScore & { alert_rows: ScoredAlert[] };
}

/** A backtest that cannot run (too little history, bad arguments). */
export class BacktestError extends Error {
  override readonly name = 'BacktestError';
}

/**
 * Judges the liquidity forecast on held-back weeks: builds the model layer as of the Sunday
 * `weeks` weeks before the latest payment week (so the forecast sees only what was known then),
 * forecasts, and compares the first `weeks` forecast weeks with the takebacks of the full build:
 * WAPE of takeback_p50 (plus the deferral repayments it scheduled) next to the WAPE of a trailing
 * 8-week mean, and the share of payer-weeks inside p10–p90. Writes no mart.
 */
export async function runBacktest(input: RunBacktestInput): Promise<BacktestResult> {
  const { warehouse: db, weeks, models } = input;
  if (!Number.isInteger(weeks) || weeks < 1 || weeks > MAX_BACKTEST_WEEKS)
    throw new BacktestError(`weeks must be an integer from 1 to ${MAX_BACKTEST_WEEKS}, got ${weeks}`);
  // 1. Everything that happened: the full build.
  await input.buildModelLayer();
  const latest = await one(
    db,
    `SELECT CAST(date_trunc('week', as_of) AS DATE)::VARCHAR AS w FROM build_params`,
  );
  if (latest === null) throw new BacktestError('the lake has no payments');
  const cutWeek = addDays(latest, -7 * weeks);
  const asOf = addDays(cutWeek, 6);
  const first = await one(
    db,
    `SELECT min(week_start)::VARCHAR AS w FROM (
       SELECT week_start FROM int_weekly_payments UNION ALL SELECT week_start FROM int_weekly_takebacks)`,
  );
  if (first === null || daysBetween(first, cutWeek) / 7 + 1 < BASELINE_WEEKS)
    throw new BacktestError(
      `holding back ${weeks} weeks leaves less than ${BASELINE_WEEKS} weeks of history (lake starts ${first ?? 'never'})`,
    );
  const actuals = await weeklyTakebacks(db);
  let alerts: RunBacktestResultAlerts | undefined;
  if (input.spikes !== undefined) alerts = await judgeAlerts(db, models, input.spikes, first, latest);

  // 2. What was known at the cut: rebuild as of then, and forecast.
  await input.buildModelLayer(asOf);
  const forecast = await rows(
    db,
    `SELECT payer_id, week_start::VARCHAR AS week_start,
            CAST(takeback_p10 + scheduled_wo AS VARCHAR) AS p10,
            CAST(takeback_p50 + scheduled_wo AS VARCHAR) AS p50,
            CAST(takeback_p90 + scheduled_wo AS VARCHAR) AS p90, horizon_week
     FROM (${modelSql('marts', 'liquidity_forecast', models)})`,
  );

  const held = forecast.filter((f) => Number(f.horizon_week) <= weeks);
  const detail: BacktestWeek[] = held.map((f) => {
    const payer = String(f.payer_id);
    const week = String(f.week_start);
    return {
      payer_id: payer,
      week_start: week,
      actual: actuals.get(`${payer}|${week}`) ?? 0,
      p10: cents(f.p10),
      p50: cents(f.p50),
      p90: cents(f.p90),
      baseline: trailingMean(actuals, payer, cutWeek),
      horizon_week: Number(f.horizon_week),
    };
  });
  detail.sort((a, b) => (a.payer_id + a.week_start < b.payer_id + b.week_start ? -1 : 1));
  const { payers, total } = scoreBacktest(detail);
  // Payer names as every mart gives them (dim_payers of the build as of the cut).
  const names = new Map(
    (await rows(db, 'SELECT payer_id, payer_name FROM dim_payers')).map((r) => [
      String(r.payer_id),
      r.payer_name === null ? null : String(r.payer_name),
    ]),
  );
  for (const p of payers) p.payer_name = p.payer_id === null ? null : (names.get(p.payer_id) ?? null);
  const result: BacktestResult = {
    latest_week: latest,
    as_of: asOf,
    weeks,
    payers,
    total,
    bands: scoreBands(detail),
    detail,
  };
  if (alerts !== undefined) result.alerts = alerts;
  return result;
}

type RunBacktestResultAlerts = NonNullable<BacktestResult['alerts']>;

/** Scores the payer-level alerts of the full build (the alert model over its tables) against the spikes. */
async function judgeAlerts(
  db: Warehouse,
  models: readonly Model[],
  spikes: readonly InjectedSpike[],
  firstWeek: string,
  latestWeek: string,
): Promise<RunBacktestResultAlerts> {
  const list = await rows(
    db,
    `SELECT payer_id, week_start::VARCHAR AS week_start, score, excess::DOUBLE AS excess
     FROM (${modelSql('marts', 'takeback_alerts', models)}) WHERE grain = 'payer' ORDER BY score DESC`,
  );
  const alertRows: ScoredAlert[] = list.map((r) => ({
    payer_id: String(r.payer_id),
    week_start: String(r.week_start),
    score: Number(r.score),
    excess: Number(r.excess),
  }));
  const payers = (await rows(db, 'SELECT DISTINCT payer_id FROM int_weekly_payments ORDER BY 1')).map((r) =>
    String(r.payer_id),
  );
  const years = (daysBetween(firstWeek, latestWeek) / 7 + 1) / 52;
  return { ...scoreAlerts(alertRows, spikes, payers, years), alert_rows: alertRows };
}

/** Gross takeback per `payer|week` of the current build. */
async function weeklyTakebacks(db: Warehouse): Promise<Map<string, number>> {
  const list = await rows(
    db,
    `SELECT payer_id, week_start::VARCHAR AS week_start, CAST(sum(takeback) AS VARCHAR) AS takeback
     FROM int_weekly_takebacks GROUP BY payer_id, week_start`,
  );
  return new Map(list.map((r) => [`${r.payer_id}|${r.week_start}`, cents(r.takeback)]));
}

/** Mean weekly takeback of the payer over the 8 weeks ending with `cutWeek` (quiet weeks count as 0). */
function trailingMean(actuals: Map<string, number>, payer: string, cutWeek: string): number {
  let sum = 0;
  for (let i = 0; i < BASELINE_WEEKS; i++) sum += actuals.get(`${payer}|${addDays(cutWeek, -7 * i)}`) ?? 0;
  return Math.round(sum / BASELINE_WEEKS);
}

async function rows(db: Warehouse, sql: string): Promise<Record<string, unknown>[]> {
  return (await db.query(sql)).rows;
}

async function one(db: Warehouse, sql: string): Promise<string | null> {
  const value = (await rows(db, sql))[0]?.w;
  return typeof value === 'string' ? value : null;
}

function cents(value: unknown): number {
  const parsed = parseCents(String(value));
  if (parsed === null) throw new Error(`not an amount: ${String(value)}`);
  return parsed;
}

function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}
