import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createLakeViews } from '../../adapters/duckdb/lakeViews.ts';
import { openDuckDb } from '../../adapters/duckdb/openDuckDb.ts';
import { writeReport } from '../../wiring/writeReport.ts';
import { existingLake, parseCommandArgs, required } from '../args.ts';
import { CliError } from '../cliError.ts';
import { warnIfStale } from '../staleMarts.ts';

const USAGE = `Usage: recoup report --lake DIR --out FILE.html [--as-of YYYY-MM-DD] [--without-claim-ids] [--json]

Writes one self-contained HTML file (no network needed to open it) from the marts that
\`recoup build\` wrote: headline totals, the payer scorecard, weekly and monthly takeback trends,
cause and provider breakdowns, the 13-week liquidity forecast per payer, current alerts with
their drivers, and each payer's largest takebacks with their claims. A mart the lake does not
have leaves its section with a note instead of failing. When remittances were ingested after the
marts were built, a warning goes to stderr and the report carries it at the top.

Options:
  --lake DIR          the lake folder (with marts/ written by \`recoup build\`)
  --out FILE.html     the report to write (its folder is created)
  --as-of DATE        the report as of DATE (default: the date the marts were built to);
                      when the marts were built to another date, the models are built again
                      as of DATE in a temporary folder first, so that every section covers the
                      same dates (the lake's marts are left alone)
  --without-claim-ids a report to share beyond the finance team: no CLP01 (patient control
                      number) anywhere in it; claims are named by their ICN, and PLB references
                      lose the tokens that hold a CLP01 (the report the AWS stack publishes)
  --json              print a JSON summary instead of text
  -h, --help          show this help

Example:
  recoup build --lake lake && recoup report --lake lake --out report.html
`;

/** `recoup report`: writes the HTML report of a lake. */
export async function reportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      lake: { type: 'string' },
      out: { type: 'string' },
      'as-of': { type: 'string' },
      'without-claim-ids': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    USAGE,
  );
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"\n\n${USAGE}`);
  const lake = existingLake(values.lake, USAGE);
  const out = resolve(required(values.out as string | undefined, 'out', USAGE));
  const asOf = values['as-of'] as string | undefined;
  if (asOf !== undefined && !isIsoDate(asOf))
    throw new CliError(`--as-of must be a date YYYY-MM-DD, got "${asOf}"`);
  if (existsSync(out) && statSync(out).isDirectory())
    throw new CliError(`--out is a folder, expected a file: ${out}`);

  const db = await openDuckDb();
  try {
    await createLakeViews(db, lake);
    const stale = await warnIfStale(db, lake, 'report');
    const result = await writeReport({
      db,
      lakeDir: lake,
      out,
      ...(asOf !== undefined ? { asOf } : {}),
      ...(values['without-claim-ids'] === true ? { claimIds: false } : {}),
      ...(stale !== null ? { notices: [`Out of date: ${stale}.`] } : {}),
    });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      const kb = Math.round(result.bytes / 1024);
      process.stdout.write(
        `wrote ${result.out} (${kb} KB): ${result.payers} payers, ${result.current_alerts} current alerts, ` +
          `${result.flagged_forecast_weeks} flagged forecast weeks${result.as_of ? `, as of ${result.as_of}` : ''}\n`,
      );
      if (result.missing_marts.length > 0)
        process.stderr.write(
          `note: marts missing from the lake (their sections say so): ${result.missing_marts.join(', ')}; run \`recoup build --lake ${lake}\`\n`,
        );
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
