import { readFileSync } from 'node:fs';
import { openDuckDb } from '../../adapters/duckdb/openDuckDb.ts';
import { loadModelsConfig } from '../../adapters/modelsConfigFile.ts';
import { formatCents } from '../../core/money.ts';
import { BacktestError, MAX_BACKTEST_WEEKS, runBacktest } from '../../forecast/runBacktest.ts';
import type { InjectedSpike } from '../../forecast/scoreAlerts.ts';
import type { BacktestScore } from '../../forecast/scoreBacktest.ts';
import { ModelError } from '../../models/loadModels.ts';
import { duckDbBacktest } from '../../wiring/backtest.ts';
import { existingLake, parseCommandArgs, positiveInt } from '../args.ts';
import { CliError } from '../cliError.ts';
import { formatRows } from '../formatRows.ts';

const USAGE = `Usage: recoup backtest --lake DIR --weeks N [--truth FILE] [--json]

Judges the liquidity forecast on held-back weeks: builds the models as of N weeks before the
latest payment week, forecasts, and compares the first N forecast weeks with what was taken back.
Per payer, per horizon band (1–4, 5–8, 9–13 weeks after the cut) and overall: WAPE of
takeback_p50 next to the WAPE of a trailing 8-week mean (lower is better), and the share of
payer-weeks whose takeback fell inside p10–p90 (the aim is 80%).
With --truth (the truth.json of \`recoup generate\`), also judges the spike alerts of the whole
history against the spikes planted: precision and recall of the payer-level alerts, whether a
spike is the top alert, and false alerts per payer-year. Writes nothing to the lake.

Options:
  --lake DIR     the lake folder
  --weeks N      weeks to hold back, 1 to ${MAX_BACKTEST_WEEKS} (default 8)
  --truth FILE   truth.json of the generated data in the lake: judge the alerts too
  --json         print the result as JSON (money in integer cents, with every payer-week)
  -h, --help     show this help

Examples:
  recoup backtest --lake lake --weeks 13
  recoup generate --out data --seed 7 --spike 0:40 && recoup ingest data --lake lake && \\
    recoup backtest --lake lake --weeks 13 --truth data/truth.json
`;

/** `recoup backtest`: forecast from a cut of the history and score it against what happened. */
export async function backtestCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      lake: { type: 'string' },
      weeks: { type: 'string' },
      truth: { type: 'string' },
      json: { type: 'boolean' },
    },
    USAGE,
  );
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"\n\n${USAGE}`);
  const lake = existingLake(values.lake, USAGE);
  const weeks = positiveInt(values.weeks as string | undefined, 'weeks', 8);
  if (weeks > MAX_BACKTEST_WEEKS)
    throw new CliError(`--weeks must be at most ${MAX_BACKTEST_WEEKS}, got ${weeks}`);
  const config = loadModelsConfig({ lakeDir: lake });
  const spikes = values.truth === undefined ? undefined : readSpikes(String(values.truth));

  const db = await openDuckDb();
  try {
    if (process.stderr.isTTY)
      process.stderr.write(`backtest: building the models twice (full, and as of the cut)…\n`);
    const result = await runBacktest({ ...duckDbBacktest(db, lake, config), weeks, spikes }).catch(
      (error: unknown) => {
        if (error instanceof BacktestError || error instanceof ModelError)
          throw new CliError(error.message, 1);
        throw error;
      },
    );
    if (values.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return 0;
    }
    process.stdout.write(
      `Backtest: forecast as of ${result.as_of}, ${weeks} held-back week(s) from ${addWeek(result.as_of)} to ${addDaysIso(result.latest_week, 6)}\n\n`,
    );
    const rows = [...result.payers, result.total].map(tableRow);
    const columns = [
      'payer_id',
      'payer_name',
      'weeks',
      'actual',
      'forecast_p50',
      'wape',
      'baseline_wape',
      'coverage_p10_p90',
    ];
    process.stdout.write(formatRows({ columns, rows }, 'table'));
    const t = result.total;
    const verdict =
      t.wape === null || t.baseline_wape === null
        ? 'no takebacks in the held-back weeks: nothing to judge'
        : `WAPE ${pct(t.wape)} vs ${pct(t.baseline_wape)} for the trailing 8-week mean (${t.wape < t.baseline_wape ? 'better' : 'NOT better'}); ${pct(t.coverage)} of payer-weeks inside p10–p90 (aim 80%)`;
    process.stdout.write(`\n${verdict}\n`);
    if (result.bands.length > 0) {
      process.stdout.write('\nBy horizon (weeks after the cut):\n');
      process.stdout.write(
        formatRows(
          {
            columns: [
              'horizon',
              'weeks',
              'wape',
              'baseline_wape',
              'coverage_p10_p90',
              'below_p10',
              'above_p90',
            ],
            rows: result.bands.map((b) => ({
              horizon: `${b.band} weeks`,
              weeks: b.weeks,
              wape: b.wape === null ? null : pct(b.wape),
              baseline_wape: b.baseline_wape === null ? null : pct(b.baseline_wape),
              coverage_p10_p90: pct(b.coverage),
              below_p10: pct(b.below_p10),
              above_p90: pct(b.above_p90),
            })),
          },
          'table',
        ),
      );
    }
    const a = result.alerts;
    if (a !== undefined) {
      const ratio = (x: number | null) => (x === null ? 'n/a' : pct(x));
      process.stdout.write(
        `\nAlerts (payer level, whole history) against ${a.spikes} planted spike(s): ${a.alerts} alert(s), ` +
          `precision ${ratio(a.precision)}, recall ${ratio(a.recall)}; top alert is a spike: ` +
          `${a.top_is_spike === null ? 'n/a' : a.top_is_spike ? 'yes' : 'NO'}; ` +
          `false alerts at most ${a.max_false_per_payer_year.toFixed(1)} per payer-year\n`,
      );
    }
  } finally {
    db.closeSync();
  }
  return 0;
}

/** The planted spikes of a truth.json written by `recoup generate`. */
function readSpikes(file: string): InjectedSpike[] {
  let truth: unknown;
  try {
    truth = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(
      `cannot read --truth ${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const spikes = (truth as { params?: { spikes?: unknown } }).params?.spikes;
  if (!Array.isArray(spikes))
    throw new CliError(`--truth ${file} is not a truth.json of recoup generate (no params.spikes)`);
  return spikes.map((s: { payer_id: string; week_start: string }) => ({
    payer_id: String(s.payer_id),
    week_start: String(s.week_start),
  }));
}

function tableRow(s: BacktestScore): Record<string, unknown> {
  return {
    payer_id: s.payer_id ?? 'ALL',
    payer_name: s.payer_name ?? null,
    weeks: s.weeks,
    actual: formatCents(s.actual),
    forecast_p50: formatCents(s.forecast_p50),
    wape: s.wape === null ? null : pct(s.wape),
    baseline_wape: s.baseline_wape === null ? null : pct(s.baseline_wape),
    coverage_p10_p90: pct(s.coverage),
  };
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

function addDaysIso(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function addWeek(asOf: string): string {
  return addDaysIso(asOf, 1);
}
