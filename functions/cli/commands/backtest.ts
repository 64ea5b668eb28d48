import { openDuckDb } from '../../adapters/duckdb/openDuckDb.ts';
import { formatCents } from '../../core/money.ts';
import { BacktestError, MAX_BACKTEST_WEEKS, runBacktest } from '../../forecast/runBacktest.ts';
import type { BacktestScore } from '../../forecast/scoreBacktest.ts';
import { ModelError } from '../../models/loadModels.ts';
import { loadModelsConfig } from '../../models/modelsConfig.ts';
import { existingLake, parseCommandArgs, positiveInt } from '../args.ts';
import { CliError } from '../cliError.ts';
import { formatRows } from '../formatRows.ts';

const USAGE = `Usage: recoup backtest --lake DIR --weeks N [--json]

Judges the liquidity forecast on held-back weeks: builds the models as of N weeks before the
latest payment week, forecasts, and compares the first N forecast weeks with what was taken back.
Per payer and overall: WAPE of takeback_p50 next to the WAPE of a trailing 8-week mean (lower is
better), and the share of payer-weeks whose takeback fell inside p10–p90 (the aim is 80%).
Writes nothing to the lake.

Options:
  --lake DIR     the lake folder
  --weeks N      weeks to hold back, 1 to ${MAX_BACKTEST_WEEKS} (default 8)
  --json         print the result as JSON (money in integer cents, with every payer-week)
  -h, --help     show this help

Example:
  recoup backtest --lake lake --weeks 8
`;

/** `recoup backtest`: forecast from a cut of the history and score it against what happened. */
export async function backtestCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { lake: { type: 'string' }, weeks: { type: 'string' }, json: { type: 'boolean' } },
    USAGE,
  );
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"\n\n${USAGE}`);
  const lake = existingLake(values.lake, USAGE);
  const weeks = positiveInt(values.weeks as string | undefined, 'weeks', 8);
  if (weeks > MAX_BACKTEST_WEEKS)
    throw new CliError(`--weeks must be at most ${MAX_BACKTEST_WEEKS}, got ${weeks}`);
  const config = loadModelsConfig({ lakeDir: lake });

  const db = await openDuckDb();
  try {
    if (process.stderr.isTTY)
      process.stderr.write(`backtest: building the models twice (full, and as of the cut)…\n`);
    const result = await runBacktest({ db, lakeDir: lake, weeks, config }).catch((error: unknown) => {
      if (error instanceof BacktestError || error instanceof ModelError) throw new CliError(error.message, 1);
      throw error;
    });
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
  } finally {
    db.closeSync();
  }
  return 0;
}

function tableRow(s: BacktestScore): Record<string, unknown> {
  return {
    payer_id: s.payer_id ?? 'ALL',
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
