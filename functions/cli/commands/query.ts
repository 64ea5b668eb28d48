import type { DuckDBConnection } from '@duckdb/node-api';
import { createLakeViews } from '../../adapters/duckdb/lakeViews.ts';
import { openDuckDb } from '../../adapters/duckdb/openDuckDb.ts';
import { resultTable } from '../../adapters/duckdb/runQuery.ts';
import { loadModels } from '../../adapters/localModelFiles.ts';
import { LAKE_TABLES } from '../../core/lake/schema.ts';
import { closest, existingLake, parseCommandArgs } from '../args.ts';
import { CliError } from '../cliError.ts';
import { formatRows, type OutputFormat, type ResultTable } from '../formatRows.ts';
import { warnIfStale } from '../staleMarts.ts';

const USAGE = `Usage: recoup query --lake DIR "SQL" [--format table|csv|json]

Runs SQL (DuckDB dialect) over the lake. Views: remittances, claims, adjustments, and every mart
written by \`recoup build\` (recoupment_rates, payer_scorecard, takeback_trend, …).
Several statements separated by ";" run in order: as a table, every statement's result is printed,
each under a "-- statement N of M" line; as CSV or JSON, only the last statement's result (so the
output stays one document).
A query that reads a mart warns on stderr when remittances were ingested after the marts were built.

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
    const views = await createLakeViews(db, lake);
    const fail = (error: unknown): never => {
      throw new CliError(explainQueryError(error, views, lake), 1);
    };
    const results = await runStatements(db, sql).catch(fail);
    const words = new Set(sql.toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? []);
    if (views.some((v) => !LAKE_TABLES.includes(v as never) && words.has(v.toLowerCase())))
      await warnIfStale(db, lake, 'query');
    if (format === 'table') {
      results.forEach((result, i) => {
        if (results.length > 1)
          process.stdout.write(`${i > 0 ? '\n' : ''}-- statement ${i + 1} of ${results.length}\n`);
        process.stdout.write(isBareSuccess(result) ? 'ok\n' : formatRows(result, 'table'));
      });
    } else {
      const last = results.at(-1);
      if (last !== undefined) process.stdout.write(formatRows(last, format));
    }
  } finally {
    db.closeSync();
  }
  return 0;
}

/** Runs each statement of `sql` in order (each prepared after the one before ran), keeping every result. */
export async function runStatements(db: DuckDBConnection, sql: string): Promise<ResultTable[]> {
  const statements = await db.extractStatements(sql);
  const results: ResultTable[] = [];
  for (let i = 0; i < statements.count; i++) {
    const prepared = await statements.prepare(i);
    results.push(resultTable(await prepared.runAndReadAll()));
  }
  return results;
}

/** A statement with nothing to show (SET, PRAGMA …): DuckDB returns an empty "Success" column. */
function isBareSuccess(result: ResultTable): boolean {
  return result.rows.length === 0 && result.columns.length === 1 && result.columns[0] === 'Success';
}

/** Marts `recoup build` writes: the mart models (sql/marts/ and the feature folders). */
function martNames(): string[] {
  return loadModels()
    .filter((m) => m.layer === 'marts')
    .map((m) => m.name)
    .sort();
}

/**
 * DuckDB's message, made useful for a lake: a mart that is not built yet says to run `recoup
 * build`; another unknown name is matched against the lake's views (DuckDB would otherwise
 * suggest its own catalog tables, such as pg_namespace).
 */
export function explainQueryError(error: unknown, views: string[], lake: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const missing = /Table with name ([^\s!]+) does not exist!?/.exec(message);
  if (missing === null) return message;
  const name = (missing[1] as string).replace(/^"|"$/g, '');
  const context = message.slice(message.indexOf('\nLINE ') + 1 || message.length);
  const where = context === '' ? '' : `\n\n${context}`;
  const marts = martNames();
  if (marts.includes(name.toLowerCase())) {
    const built = views.filter((v) => marts.includes(v));
    return (
      `${name} is a mart, and this lake has ${built.length === 0 ? 'no marts yet' : `no ${name} mart`}: ` +
      `run \`recoup build --lake ${lake}\` first${where}`
    );
  }
  const guess = closest(name, views);
  return (
    `no table or view named ${name} in this lake${guess !== null ? `; did you mean ${guess}?` : ''}\n` +
    `Views: ${views.join(', ')}${where}`
  );
}
