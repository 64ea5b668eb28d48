import { duckDbWarehouse } from '../../adapters/duckdb/duckDbWarehouse.ts';
import { createLakeViews, listMarts } from '../../adapters/duckdb/lakeViews.ts';
import { openDuckDb } from '../../adapters/duckdb/openDuckDb.ts';
import { loadModelsConfig } from '../../adapters/modelsConfigFile.ts';
import { readAppeals } from '../../appeals/readAppeals.ts';
import { existingLake, parseCommandArgs } from '../args.ts';
import { CliError } from '../cliError.ts';
import { formatRows, type OutputFormat } from '../formatRows.ts';

const USAGE = `Usage: recoup appeals --lake DIR [--due-within N] [--as-of YYYY-MM-DD] [--payer ID] [--all]
                     [--format table|csv|json]

The appeals worklist: the takebacks a provider can dispute (reversals and PLB offsets; not
deferrals, their repayments or refunds), from the takeback_appeals mart written by
\`recoup build\`, ranked by the money an appeal could bring back (net of corrections repaid), then
by deadline. Days left and status count to --as-of (default today): open, due_7_days (due within
the config's dueSoonDays, 7 by default), expired, repaid_by_correction. By default only appeals
still open are listed.

The export is for the provider's own staff: it carries the payer's ICN, the claim's CLP01 (the
provider's patient control number) and the original claim's key in the lake, as the report's
drill-down does. Keep it inside the organization; nothing is logged.

Options:
  --lake DIR          the lake folder
  --due-within N      only open appeals whose deadline is at most N days away
  --as-of DATE        count days left to this date (default today)
  --payer ID          one payer only
  --all               also list expired appeals and takebacks repaid by a correction
  --format FORMAT     table (default), csv, or json (money as exact strings)
  -h, --help          show this help

Examples:
  recoup appeals --lake lake --due-within 14
  recoup appeals --lake lake --format csv > appeals.csv
`;

/** `recoup appeals`: exports the appeals worklist. */
export async function appealsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      lake: { type: 'string' },
      'due-within': { type: 'string' },
      'as-of': { type: 'string' },
      payer: { type: 'string' },
      all: { type: 'boolean' },
      format: { type: 'string' },
      json: { type: 'boolean' },
    },
    USAGE,
  );
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"\n\n${USAGE}`);
  const lake = existingLake(values.lake, USAGE);
  const format = (values.json ? 'json' : ((values.format as string | undefined) ?? 'table')) as OutputFormat;
  if (!['table', 'csv', 'json'].includes(format))
    throw new CliError(`--format must be table, csv or json, got "${format}"`);
  const dueText = values['due-within'] as string | undefined;
  let dueWithin: number | undefined;
  if (dueText !== undefined) {
    dueWithin = Number(dueText);
    if (!/^\d+$/.test(dueText) || !Number.isSafeInteger(dueWithin))
      throw new CliError(`--due-within must be a whole number of days, got "${dueText}"`);
  }
  const asOf = values['as-of'] as string | undefined;
  if (asOf !== undefined && !isIsoDate(asOf))
    throw new CliError(`--as-of must be a date YYYY-MM-DD, got "${asOf}"`);
  if (!listMarts(lake).includes('takeback_appeals'))
    throw new CliError(
      `the takeback_appeals mart is not in ${lake}; run \`recoup build --lake ${lake}\` first`,
    );
  let dueSoonDays: number;
  try {
    dueSoonDays = loadModelsConfig({ lakeDir: lake }).dueSoonDays;
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error));
  }

  const db = await openDuckDb();
  try {
    await createLakeViews(db, lake);
    const result = await readAppeals(duckDbWarehouse(db), {
      asOf,
      dueWithin,
      all: values.all === true,
      payerId: values.payer as string | undefined,
      dueSoonDays,
    });
    process.stdout.write(formatRows(result, format));
    if (format === 'table' && process.stdout.isTTY) {
      process.stdout.write(`Days left as of ${result.as_of}.\n`);
    }
  } finally {
    db.closeSync();
  }
  return 0;
}

function isIsoDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}
