/**
 * `npm run -s bench:backtest`: the forecast and the spike alerts judged over many generated data
 * sets (docs/forecast.md quotes its figures). Not a test: it takes minutes.
 *
 * For each seed: generate a year of remittances (5 payers, --scale 3) with one spike, ingest, build
 * the models once, and keep the model layer's base tables (int_takebacks, int_claim_payments, the
 * provider-level adjustments) under .bench/backtest/<inputs hash>/ so later runs start from them.
 * Then, from those tables:
 *  - alerts: the payer-level rows of takeback_alerts against the planted spike: precision, recall,
 *    whether the spike is the top alert (by score), false alerts per payer-year;
 *  - forecast: liquidity_forecast as of several cuts (13, 17, 21 and 26 weeks before the latest
 *    week), each payer-week of the 13 after a cut against what happened: WAPE of p50 next to the
 *    trailing 8-week mean, and p10–p90 coverage, pooled by horizon band (1–4, 5–8, 9–13 weeks).
 * A cut forecasts from the tables of the full build with build_params.as_of set to the cut (the
 * models read nothing after it), which is what `recoup backtest` does with a second build, but
 * without reading the lake again.
 *
 *   npm run -s bench:backtest -- [--seeds N] [--first-seed N] [--cuts 13,17,21,26] [--json] [--help]
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { DuckDBConnection } from '@duckdb/node-api';
import { buildDuckDbModels } from '../functions/adapters/duckdb/buildDuckDbModels.ts';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { LocalFolderStore } from '../functions/adapters/localFolderStore.ts';
import { loadModels } from '../functions/adapters/localModelFiles.ts';
import { parseCents } from '../functions/core/money.ts';
import { FORECAST_MODELS, modelSql, UNNAMED_PAYERS_SQL } from '../functions/forecast/modelSql.ts';
import { type AlertScore, scoreAlerts } from '../functions/forecast/scoreAlerts.ts';
import {
  type BacktestWeek,
  type BandScore,
  scoreBacktest,
  scoreBands,
} from '../functions/forecast/scoreBacktest.ts';
import type { Truth } from '../functions/generate/index.ts';
import { writeDataset } from '../functions/generate/index.ts';
import { sqlIdent, sqlString } from '../functions/ports/warehouse.ts';
import { ingestToLake } from '../functions/wiring/ingestToLake.ts';

const root = resolve(import.meta.dirname, '..');
const USAGE = `usage: npm run -s bench:backtest -- [options]

The forecast (WAPE and p10–p90 coverage by horizon band, against a trailing 8-week mean) and the
spike alerts (precision, recall, top alert, false alerts per payer-year) over generated data sets,
one spike each (docs/forecast.md).

  --seeds N        data sets (default 20)
  --first-seed N   the first seed (default 1)
  --cuts LIST      weeks before the latest week where forecasts are made (default 13,17,21,26)
  --forecast-sql FILE, --alerts-sql FILE
                   judge this SQL instead of functions/forecast/liquidity_forecast.sql or functions/alerts/takeback_alerts.sql
  --weeks-out FILE write every scored payer-week (seed, cut, payer, week, actual, p10, p50, p90) as JSON
  --json           print one JSON object with every figure
  --help           this text

Inputs are generated into .bench/backtest/ the first time (about half a minute a seed).`;

const SCALE = 3;
const WEEKS = 52;
const PAYERS = 5;
const BASELINE_WEEKS = 8;

function options() {
  try {
    return parseArgs({
      options: {
        seeds: { type: 'string' },
        'first-seed': { type: 'string' },
        cuts: { type: 'string' },
        'weeks-out': { type: 'string' },
        'forecast-sql': { type: 'string' },
        'alerts-sql': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`bench:backtest: ${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
}

/** Where and how big the spike of a seed is: every payer in turn, a week in the second half. */
export function spikeFor(seed: number): { payer: number; week: number } {
  return { payer: (seed - 1) % PAYERS, week: 30 + ((seed * 7) % 20) };
}

/** A hash of what the cached base tables depend on: the generator, the parser, the upstream models. */
function inputsHash(): string {
  const hash = createHash('sha256');
  const mine = new Set(FORECAST_MODELS.map(([, name]) => `${name}.sql`));
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (!mine.has(entry.name) && /\.(ts|sql)$/.test(entry.name))
        hash.update(path).update(readFileSync(path));
    }
  };
  for (const dir of [
    'functions/generate',
    'functions/core',
    'functions/ingest',
    'sql/staging',
    'sql/intermediate',
  ])
    walk(join(root, dir));
  return hash.digest('hex').slice(0, 12);
}

const BASE_TABLES = ['int_takebacks', 'int_claim_payments', 'adjustments', 'build_params'] as const;

/** Generates, ingests and builds one seed once; returns the folder of its base tables and truth. */
async function prepare(seed: number, cache: string, log: (line: string) => void): Promise<string> {
  const dir = join(cache, `seed-${seed}`);
  if (existsSync(join(dir, 'done'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  const data = join(dir, 'data');
  const lake = join(dir, 'lake');
  const { payer, week } = spikeFor(seed);
  await writeDataset(data, { seed, weeks: WEEKS, payers: PAYERS, scale: SCALE, spikes: [{ payer, week }] });
  const inputs = readdirSync(data)
    .filter((n) => n.endsWith('.835'))
    .sort()
    .map((n) => ({ path: join(data, n), key: n, size: statSync(join(data, n)).size }));
  await ingestToLake(inputs, { lake: new LocalFolderStore(lake), scratch: dir });
  const db = await openDuckDb({ threads: 2 });
  try {
    await buildDuckDbModels({ db, lakeDir: lake });
    for (const table of BASE_TABLES) {
      const select =
        table === 'adjustments'
          ? "SELECT * FROM adjustments WHERE level = 'provider'"
          : `SELECT * FROM ${table}`;
      await db.run(`COPY (${select}) TO ${sqlString(join(dir, `${table}.parquet`))} (FORMAT parquet)`);
    }
  } finally {
    db.closeSync();
  }
  writeFileSync(join(dir, 'truth.json'), readFileSync(join(data, 'truth.json')));
  rmSync(data, { recursive: true, force: true });
  rmSync(lake, { recursive: true, force: true });
  writeFileSync(join(dir, 'done'), '');
  log(
    `  seed ${seed}: generated, ingested and built in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  return dir;
}

async function rows(db: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await db.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
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

interface SeedResult {
  seed: number;
  alerts: AlertScore;
  alert_rows: { payer_id: string; week_start: string; score: number; excess: number }[];
  spike: { payer_id: string; week_start: string };
  weeks: BacktestWeek[];
  /** Per payer-week (same order as weeks): the seasonal naive forecast, the week 4⌈h/4⌉ weeks earlier. */
  seasonal: number[];
}

/** Loads a seed's base tables, runs the forecast and alert models, scores both. */
async function evaluate(
  seed: number,
  dir: string,
  cuts: number[],
  sql: { forecast: string; alerts: string },
): Promise<SeedResult> {
  const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as Truth;
  const db = await openDuckDb({ threads: 2 });
  try {
    for (const table of BASE_TABLES)
      await db.run(
        `CREATE TABLE ${sqlIdent(table)} AS SELECT * FROM read_parquet(${sqlString(join(dir, `${table}.parquet`))})`,
      );
    await db.run(`CREATE OR REPLACE TABLE dim_payers AS ${UNNAMED_PAYERS_SQL}`);
    const models = loadModels();
    for (const [layer, name] of FORECAST_MODELS) {
      if (layer === 'marts') continue;
      await db.run(`CREATE OR REPLACE TABLE ${sqlIdent(name)} AS ${modelSql(layer, name, models)}`);
    }
    const [params] = await rows(
      db,
      `SELECT as_of::VARCHAR AS as_of, date_trunc('week', as_of)::DATE::VARCHAR AS w FROM build_params`,
    );
    const fullAsOf = String(params?.as_of);
    const latestWeek = String(params?.w);

    // Alerts of the full history.
    const alertRows = (
      await rows(
        db,
        `SELECT payer_id, week_start::VARCHAR AS week_start, score, excess::DOUBLE AS excess
         FROM (${sql.alerts}) WHERE grain = 'payer'`,
      )
    ).map((r) => ({
      payer_id: String(r.payer_id),
      week_start: String(r.week_start),
      score: Number(r.score),
      excess: Number(r.excess),
    }));
    const spikes = truth.params.spikes.map((s) => ({ payer_id: s.payer_id, week_start: s.week_start }));
    const alerts = scoreAlerts(
      alertRows,
      spikes,
      truth.payers.map((p) => p.payer_id),
      truth.params.weeks / 52,
    );

    // Forecasts at each cut.
    const actualRows = await rows(
      db,
      `SELECT payer_id, week_start::VARCHAR AS week_start, sum(takeback)::VARCHAR AS takeback
       FROM int_weekly_takebacks GROUP BY ALL`,
    );
    const actuals = new Map(actualRows.map((r) => [`${r.payer_id}|${r.week_start}`, cents(r.takeback)]));
    const weeks: BacktestWeek[] = [];
    const seasonal: number[] = [];
    const forecastSql = sql.forecast;
    for (const k of cuts) {
      const cutWeek = addDays(latestWeek, -7 * k);
      await db.run(`UPDATE build_params SET as_of = DATE ${sqlString(addDays(cutWeek, 6))}`);
      const forecast = await rows(
        db,
        `SELECT payer_id, week_start::VARCHAR AS week_start, horizon_week,
                CAST(takeback_p10 + scheduled_wo AS VARCHAR) AS p10, CAST(takeback_p50 + scheduled_wo AS VARCHAR) AS p50,
                CAST(takeback_p90 + scheduled_wo AS VARCHAR) AS p90
         FROM (${forecastSql})`,
      );
      for (const f of forecast) {
        const payer = String(f.payer_id);
        const week = String(f.week_start);
        if (week > latestWeek) continue;
        let sum = 0;
        for (let i = 0; i < BASELINE_WEEKS; i++)
          sum += actuals.get(`${payer}|${addDays(cutWeek, -7 * i)}`) ?? 0;
        weeks.push({
          payer_id: payer,
          week_start: week,
          horizon_week: Number(f.horizon_week),
          actual: actuals.get(`${payer}|${week}`) ?? 0,
          p10: cents(f.p10),
          p50: cents(f.p50),
          p90: cents(f.p90),
          baseline: Math.round(sum / BASELINE_WEEKS),
        });
        const h = Number(f.horizon_week);
        seasonal.push(actuals.get(`${payer}|${addDays(week, -7 * 4 * Math.ceil(h / 4))}`) ?? 0);
      }
    }
    await db.run(`UPDATE build_params SET as_of = DATE ${sqlString(fullAsOf)}`);
    return {
      seed,
      alerts,
      alert_rows: alertRows,
      spike: spikes[0] ?? { payer_id: '', week_start: '' },
      weeks,
      seasonal,
    };
  } finally {
    db.closeSync();
  }
}

function pct(x: number | null): string {
  return x === null ? '—' : `${(100 * x).toFixed(1)}%`;
}

async function main(): Promise<void> {
  const values = options();
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const seeds = Number(values.seeds ?? 20);
  const first = Number(values['first-seed'] ?? 1);
  const cuts = (values.cuts ?? '13,17,21,26').split(',').map(Number);
  if (
    !Number.isInteger(seeds) ||
    seeds < 1 ||
    !Number.isInteger(first) ||
    cuts.some((c) => !Number.isInteger(c) || c < 13)
  ) {
    process.stderr.write(`bench:backtest: --seeds, --first-seed and --cuts (each ≥ 13) are whole numbers\n`);
    process.exit(2);
  }
  const log = (line: string) => {
    if (!values.json) process.stderr.write(`${line}\n`);
  };
  const cache = join(root, '.bench', 'backtest', inputsHash());
  mkdirSync(cache, { recursive: true });
  log(`bench:backtest: ${seeds} seeds from ${first}, cuts ${cuts.join(', ')} weeks back; inputs in ${cache}`);

  const sqlOf = (file: string | undefined, name: string) =>
    file === undefined
      ? modelSql('marts', name, loadModels())
      : readFileSync(file, 'utf8').trim().replace(/;\s*$/, '');
  const sql = {
    forecast: sqlOf(values['forecast-sql'], 'liquidity_forecast'),
    alerts: sqlOf(values['alerts-sql'], 'takeback_alerts'),
  };
  const results: SeedResult[] = [];
  for (let seed = first; seed < first + seeds; seed++) {
    const dir = await prepare(seed, cache, log);
    results.push(await evaluate(seed, dir, cuts, sql));
  }

  const allWeeks = results.flatMap((r) => r.weeks);
  if (values['weeks-out'] !== undefined)
    writeFileSync(
      values['weeks-out'],
      JSON.stringify(results.flatMap((r) => r.weeks.map((w) => ({ seed: r.seed, ...w })))),
    );
  const bands: BandScore[] = scoreBands(allWeeks);
  // WAPE of the seasonal naive forecast (the same week 4, 8 or 16 weeks before), by band.
  const seasonalWape = (from: number, to: number) => {
    let err = 0;
    let abs = 0;
    for (const r of results)
      r.weeks.forEach((w, i) => {
        const h = w.horizon_week ?? 0;
        if (h < from || h > to) return;
        err += Math.abs(w.actual - (r.seasonal[i] ?? 0));
        abs += Math.abs(w.actual);
      });
    return abs > 0 ? err / abs : null;
  };
  const seasonal = Object.fromEntries(
    [
      ['1-4', 1, 4],
      ['5-8', 5, 8],
      ['9-13', 9, 13],
      ['all', 1, 13],
    ].map(([band, from, to]) => [band, seasonalWape(Number(from), Number(to))]),
  );
  const total = scoreBacktest(allWeeks).total;
  const alertSummary = {
    seeds: results.length,
    spike_is_top: results.filter((r) => r.alerts.top_is_spike === true).length,
    detected: results.reduce((s, r) => s + r.alerts.detected_spikes, 0),
    alerts: results.reduce((s, r) => s + r.alerts.alerts, 0),
    true_alerts: results.reduce((s, r) => s + r.alerts.true_alerts, 0),
    false_alerts: results.reduce((s, r) => s + r.alerts.alerts - r.alerts.true_alerts, 0),
    max_false_per_payer_year: Math.max(...results.map((r) => r.alerts.max_false_per_payer_year)),
  };
  const precision = alertSummary.alerts > 0 ? alertSummary.true_alerts / alertSummary.alerts : null;
  const recall = alertSummary.detected / results.length;

  if (values.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          seeds: results.map((r) => r.seed),
          cuts,
          forecast: { bands, total, seasonal_naive_wape: seasonal },
          alerts: {
            ...alertSummary,
            precision,
            recall,
            per_seed: results.map((r) => ({
              seed: r.seed,
              spike: r.spike,
              ...r.alerts,
              alert_rows: r.alert_rows,
            })),
          },
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  const out: string[] = [];
  out.push(
    '',
    `Forecast: ${allWeeks.length} payer-weeks (${results.length} seeds × ${cuts.length} cuts × payers × horizon)`,
    '',
  );
  out.push(
    '| horizon | payer-weeks | WAPE | trailing-mean WAPE | seasonal-naive WAPE | coverage p10–p90 | below p10 | above p90 |',
  );
  out.push('|---|---|---|---|---|---|---|---|');
  for (const b of bands)
    out.push(
      `| ${b.band} weeks | ${b.weeks} | ${pct(b.wape)} | ${pct(b.baseline_wape)} | ${pct(seasonal[b.band] ?? null)} | ${pct(b.coverage)} | ${pct(b.below_p10)} | ${pct(b.above_p90)} |`,
    );
  out.push(
    `| all | ${total.weeks} | ${pct(total.wape)} | ${pct(total.baseline_wape)} | ${pct(seasonal.all ?? null)} | ${pct(total.coverage)} | | |`,
  );
  out.push('', `Alerts (payer level): ${results.length} seeds, one spike each`, '');
  out.push(
    '| seed | spike (payer, week) | alerts | spike alerted | spike is top | false alerts (max per payer-year) |',
  );
  out.push('|---|---|---|---|---|---|');
  for (const r of results)
    out.push(
      `| ${r.seed} | ${r.spike.payer_id} ${r.spike.week_start} | ${r.alerts.alerts} | ${r.alerts.detected_spikes > 0 ? 'yes' : 'NO'} | ${r.alerts.top_is_spike ? 'yes' : 'NO'} | ${r.alerts.alerts - r.alerts.true_alerts} (${r.alerts.max_false_per_payer_year.toFixed(0)}) |`,
    );
  out.push(
    '',
    `spike is the top payer-level alert in ${alertSummary.spike_is_top} of ${results.length} seeds; recall ${pct(recall)}, precision ${pct(precision)}; ${alertSummary.false_alerts} false alerts in all, at most ${alertSummary.max_false_per_payer_year.toFixed(0)} per payer-year`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();
