import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { createLakeViews, lakeTableSql, listMarts, readLakeReads } from '../../adapters/duckdb/lakeViews.ts';
import { openDuckDb } from '../../adapters/duckdb/openDuckDb.ts';
import { runQuery } from '../../adapters/duckdb/runQuery.ts';
import { loadModels } from '../../adapters/localModelFiles.ts';
import { COMPUTED_COLUMNS, ELEMENT_MAP } from '../../core/era/elementMap.ts';
import type { AnyMartColumnName } from '../../core/lake/martSchema.ts';
import { LAKE_TABLES, type LakeTable, MARTS_DIR } from '../../core/lake/schema.ts';
import type { Model } from '../../models/loadModels.ts';
import { sqlIdent, sqlString } from '../../ports/warehouse.ts';
import { existingLake, parseCommandArgs } from '../args.ts';
import { CliError } from '../cliError.ts';

const USAGE = `Usage: recoup views --lake DIR [--out FILE] [--list] [--json]

Prints CREATE VIEW statements (DuckDB SQL) for the lake tables (remittances, claims, adjustments)
and every mart built under DIR/marts, each view preceded by comments naming what a row is and
what each column means. Run them in your own DuckDB to query the lake there:

  recoup views --lake lake --out lake.sql
  duckdb my.duckdb -c ".read lake.sql"          (or: duckdb -init lake.sql)
  duckdb my.duckdb -c "SELECT payer_id, count(*) FROM claims GROUP BY 1"

The views name the lake by its absolute path and read it as it is now (compacted files of the
current generation and the staged files not yet compacted, committed remittances only): run
\`recoup views\` again after ingest, compact or build, or the views miss what changed.

Options:
  --lake DIR     the lake folder
  --out FILE     write the statements to FILE instead of stdout
  --list         list the views and their columns with one-line meanings instead (no SQL)
  --json         with --list: the same as JSON ([{ view, meaning, columns: [{ name, type, meaning }] }])
  -h, --help     show this help
`;

/** A view over the lake, what a row is, and its columns with their types and meanings. */
export interface ViewDescription {
  view: string;
  meaning: string;
  columns: { name: string; type: string; meaning: string }[];
  sql: string;
}

export async function viewsCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    argv,
    {
      lake: { type: 'string' },
      out: { type: 'string' },
      list: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    USAGE,
  );
  const lake = existingLake(values.lake, USAGE);
  if (values.json && !values.list) throw new CliError(`--json goes with --list\n\n${USAGE}`);
  const views = await describeViews(lake);
  let text: string;
  if (values.list && values.json) {
    text = `${JSON.stringify(
      views.map(({ sql: _sql, ...v }) => v),
      null,
      2,
    )}\n`;
  } else if (values.list) text = formatList(views);
  else text = viewsScript(lake, views);
  if (values.out !== undefined) {
    writeFileSync(values.out, text);
    process.stderr.write(`recoup views: wrote ${views.length} views to ${values.out}\n`);
  } else process.stdout.write(text);
  return 0;
}

/** Every view of the lake at `lakeDir` (an absolute path is best: the SQL names it). */
export async function describeViews(lakeDir: string): Promise<ViewDescription[]> {
  const lake = resolve(lakeDir);
  const db = await openDuckDb();
  try {
    await createLakeViews(db, lake);
    const reads = readLakeReads(lake);
    const out: ViewDescription[] = [];
    for (const table of LAKE_TABLES) {
      out.push({
        view: table,
        meaning: TABLE_MEANINGS[table],
        columns: await columnsOf(db, table, (c) => lakeColumnMeaning(table, c)),
        sql: lakeTableSql(lake, table, reads),
      });
    }
    const models = loadModels();
    for (const mart of listMarts(lake)) {
      const { meaning, columns } = martComments(mart, models);
      out.push({
        view: mart,
        meaning,
        columns: await columnsOf(db, mart, (c) => columns.get(c) ?? commonMeaning(c)),
        sql: `SELECT * FROM read_parquet(${sqlString(join(lake, MARTS_DIR, mart, '*.parquet'))})`,
      });
    }
    return out;
  } finally {
    db.closeSync();
  }
}

async function columnsOf(
  db: DuckDBConnection,
  view: string,
  meaningOf: (column: string) => string,
): Promise<ViewDescription['columns']> {
  const { rows } = await runQuery(db, `DESCRIBE ${sqlIdent(view)}`);
  return rows.map((r) => {
    const name = String(r.column_name);
    return { name, type: String(r.column_type), meaning: meaningOf(name) };
  });
}

const TABLE_MEANINGS: Record<LakeTable, string> = {
  remittances: 'one 835 transaction (ST..SE): the payment (BPR), its trace (TRN), payer and payee',
  claims: 'one claim payment (CLP loop) of a remittance',
  adjustments:
    'one adjustment: a CAS triplet of a claim or service line, or a reason/amount pair of a PLB (provider level)',
};

/**
 * Meanings of columns many marts share (docs/metrics.md), for marts whose header does not restate
 * them; each is a column of the mart contract (functions/core/lake/martSchema.ts).
 */
const COMMON_MEANINGS: Partial<Record<AnyMartColumnName, string>> = {
  grain: 'which roll-up the row belongs to (see the view’s meaning)',
  period: 'first day of the month, by payment date (BPR16)',
  payer_id: 'the payer (TRN03, REF*2U or N1*PR XV)',
  payer_name: 'the payer’s name (N1*PR)',
  provider_npi: 'rendering NPI, else the payee NPI',
  paid: 'Σ CLP04 over claims whose CLP02 ≠ 22',
  reversal_takeback: 'Σ −CLP04 over reversals (CLP02 = 22)',
  plb_recovery: 'signed Σ of PLB WO, WU, OB and 72',
  takeback: 'reversal takeback + PLB recovery',
  correction_repaid: 'what the corrections of the reversals paid back',
  net_takeback: 'takeback − correction repaid',
  recoupment_rate: 'takeback / paid on the same slice and period (NULL when paid is 0)',
  net_recoupment_rate: 'net takeback / paid on the same slice and period (NULL when paid is 0)',
  claim_count: 'claims paid (CLP02 ≠ 22)',
  takeback_count: 'takeback events',
  cause: 'root cause of the takeback (docs/835.md, "Causes")',
  week_start: 'Monday of the week (by payment date, BPR16)',
  takeback_id: 'key of a takeback event (resolves to its claims in takeback_links)',
};

/** A mart column's shared meaning (COMMON_MEANINGS), or '' for a name no mart of the contract has. */
function commonMeaning(column: string): string {
  return Object.hasOwn(COMMON_MEANINGS, column) ? (COMMON_MEANINGS[column as AnyMartColumnName] ?? '') : '';
}

/** A lake column's meaning: the element map's note for the element that fills it, else how it is computed. */
function lakeColumnMeaning(table: LakeTable, column: string): string {
  const entry = ELEMENT_MAP.find((e) => e.table === table && e.column === column);
  if (entry !== undefined) return entry.note;
  return (COMPUTED_COLUMNS[table] as Record<string, string>)[column] ?? '';
}

/**
 * What a mart's row is and what its columns mean, from the header comment of its model
 * (sql/marts/<name>.sql or a feature folder's): the text before the first column entry, then lines `--   name   meaning`
 * (continuation lines indented further).
 */
export function martComments(
  mart: string,
  models: readonly Model[] = loadModels(),
): { meaning: string; columns: Map<string, string> } {
  const path = models.find((m) => m.name === mart && m.layer === 'marts')?.file;
  const columns = new Map<string, string>();
  if (path === undefined || !existsSync(path)) return { meaning: '', columns };
  const header: string[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.startsWith('--')) break;
    header.push(line.slice(2));
  }
  const intro: string[] = [];
  let current: string[] = [];
  let inColumns = false;
  const flush = (text: string) => {
    for (const name of current) if (!columns.has(name)) columns.set(name, text.trim().replace(/;$/, ''));
  };
  let text = '';
  for (const line of header) {
    const entry = /^ {2,4}([a-z_][a-z0-9_<>]*(?:, ?[a-z_][a-z0-9_<>]*)*)(?: {2,}(.*))?$/.exec(line);
    if (entry !== null) {
      if (inColumns) flush(text);
      inColumns = true;
      current = (entry[1] as string).split(/, ?/);
      text = entry[2] ?? '';
    } else if (inColumns && /^ {5,}\S/.test(line)) text += ` ${line.trim()}`;
    else if (!inColumns) intro.push(line.trim());
    else {
      flush(text);
      inColumns = false;
      current = [];
      text = '';
    }
  }
  if (inColumns) flush(text);
  const paragraph = intro
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^grain: /, '');
  // One line: the first sentence (the header goes on with the method).
  const end = paragraph.search(/\.(\s|$)/);
  return { meaning: end < 0 ? paragraph : paragraph.slice(0, end + 1), columns };
}

/** The SQL script: a header, then per view its comments and CREATE OR REPLACE VIEW. */
export function viewsScript(lakeDir: string, views: ViewDescription[]): string {
  const parts = [
    `-- Views over the recoup lake at ${resolve(lakeDir)}, written by \`recoup views\`.`,
    '-- They read the lake as it was then: run `recoup views` again after ingest, compact or build.',
    '-- Money columns are DECIMAL(18,2). Needs only the parquet extension (built into DuckDB).',
    '',
  ];
  for (const v of views) {
    parts.push(`-- ${v.view}: ${oneLine(v.meaning)}`);
    const width = Math.max(...v.columns.map((c) => c.name.length));
    const typeWidth = Math.max(...v.columns.map((c) => c.type.length));
    for (const c of v.columns)
      parts.push(
        `--   ${c.name.padEnd(width)}  ${c.type.padEnd(typeWidth)}  ${oneLine(c.meaning)}`.trimEnd(),
      );
    parts.push(`CREATE OR REPLACE VIEW ${sqlIdent(v.view)} AS\n${v.sql};`, '');
  }
  return parts.join('\n');
}

/** The --list text: each view and what a row is, then its columns. */
function formatList(views: ViewDescription[]): string {
  const lines: string[] = [];
  for (const v of views) {
    lines.push(`${v.view}: ${oneLine(v.meaning)}`);
    const width = Math.max(...v.columns.map((c) => c.name.length));
    const typeWidth = Math.max(...v.columns.map((c) => c.type.length));
    for (const c of v.columns)
      lines.push(`  ${c.name.padEnd(width)}  ${c.type.padEnd(typeWidth)}  ${oneLine(c.meaning)}`.trimEnd());
    lines.push('');
  }
  return lines.join('\n');
}

/** Comments stay on one line (a meaning never ends a comment early). */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
