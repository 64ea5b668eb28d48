import { createLakeViews } from '../../adapters/duckdb/lakeViews.ts';
import { openDuckDb } from '../../adapters/duckdb/openDuckDb.ts';
import { runQuery } from '../../adapters/duckdb/runQuery.ts';
import { existingLake, parseCommandArgs } from '../args.ts';
import { CliError } from '../cliError.ts';
import { formatRows, type OutputFormat } from '../formatRows.ts';

const USAGE = `Usage: recoup query --lake DIR "SQL" [--format table|csv|json]

Runs SQL (DuckDB dialect) over the lake. Views: remittances, claims, adjustments, and every mart
written by \`recoup build\` (recoupment_rates, payer_scorecard, takeback_trend, …).

Examples:
  recoup query --lake lake "SELECT payer_id, sum(paid_amount) FROM claims WHERE NOT is_reversal GROUP BY 1"
  recoup query --lake lake "SELECT * FROM payer_scorecard" --format csv

Options:
  --lake DIR        the lake folder
  --format FORMAT   table (default), csv, or json (an array of row objects; money as exact strings)
  --json            same as --format json
  -h, --help        show this help
`;

export async function queryCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { lake: { type: 'string' }, format: { type: 'string' }, json: { type: 'boolean' } },
    USAGE,
  );
  const lake = existingLake(values.lake, USAGE);
  const sql = positionals.join(' ').trim();
  if (sql.length === 0) throw new CliError(`no SQL given\n\n${USAGE}`);
  const format = (values.json ? 'json' : ((values.format as string | undefined) ?? 'table')) as OutputFormat;
  if (!['table', 'csv', 'json'].includes(format))
    throw new CliError(`--format must be table, csv or json, got "${format}"`);
  const db = await openDuckDb();
  try {
    await createLakeViews(db, lake);
    const result = await runQuery(db, sql).catch((error: unknown) => {
      throw new CliError(error instanceof Error ? error.message : String(error), 1);
    });
    process.stdout.write(formatRows(result, format));
  } finally {
    db.closeSync();
  }
  return 0;
}
