import { listCloses } from '../../adapters/duckdb/closedPeriods.ts';
import { closePeriod } from '../../adapters/duckdb/closePeriod.ts';
import { openDuckDb } from '../../adapters/duckdb/openDuckDb.ts';
import { CloseError } from '../../close/periods.ts';
import { existingLake, parseCommandArgs } from '../args.ts';
import { CliError } from '../cliError.ts';
import { formatRows } from '../formatRows.ts';

const USAGE = `Usage: recoup close --lake DIR --period YYYY-MM [--force] [--json]
       recoup close --lake DIR --list [--json]

Closes a month: freezes the month's rows of the marts as they are reported now (recoupment_rates,
takeback_links, and takeback_trend and recoupment_cohorts) into DIR/closes/YYYY-MM/, beside the
marts. Every later \`recoup build\` compares the month with that snapshot: the period_restatements
mart shows each change as an explicit delta (what changed, why, and which late file caused it),
and the report marks the month restated. Build first: the close refuses marts older than the
latest ingest.

Options:
  --lake DIR        the lake folder
  --period YYYY-MM  the month to close (by payment date)
  --force           close a month again (the new snapshot replaces the old one)
  --list            list the closed months
  --json            print JSON
  -h, --help        show this help

Example:
  recoup build --lake lake && recoup close --lake lake --period 2025-03
`;

/** `recoup close`: freeze a month's marts as reported. */
export async function closeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      lake: { type: 'string' },
      period: { type: 'string' },
      force: { type: 'boolean' },
      list: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    USAGE,
  );
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"\n\n${USAGE}`);
  const lake = existingLake(values.lake, USAGE);
  if (values.list === true) {
    const closes = listCloses(lake);
    if (values.json === true) process.stdout.write(`${JSON.stringify(closes, null, 2)}\n`);
    else
      process.stdout.write(
        formatRows(
          {
            columns: ['period', 'closed_at', 'remittances', 'frozen_rows'],
            rows: closes.map((c) => ({
              period: c.period,
              closed_at: c.closed_at,
              remittances: c.remittances,
              frozen_rows: Object.values(c.marts).reduce((a, b) => a + b, 0),
            })),
          },
          'table',
        ),
      );
    return 0;
  }
  const period = values.period as string | undefined;
  if (period === undefined) throw new CliError(`missing --period (or --list)\n\n${USAGE}`);

  const db = await openDuckDb();
  try {
    const manifest = await closePeriod({ db, lakeDir: lake, period, force: values.force === true }).catch(
      (error: unknown) => {
        if (error instanceof CloseError) throw new CliError(error.message, 1);
        throw error;
      },
    );
    if (values.json === true) {
      process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
    } else {
      const frozen = Object.entries(manifest.marts)
        .map(([mart, n]) => `${mart} ${n}`)
        .join(', ');
      process.stdout.write(
        `Closed ${manifest.period} at ${manifest.closed_at}: froze ${frozen} row(s) in ${lake}/closes/${manifest.period}/\n` +
          'Later builds show any change to this month in the period_restatements mart.\n',
      );
    }
  } finally {
    db.closeSync();
  }
  return 0;
}
