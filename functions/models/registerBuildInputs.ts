import type { DuckDBConnection } from '@duckdb/node-api';
import { CARC_CAUSES, CATEGORIES, CAUSES } from '../core/era/taxonomy.ts';
import type { ModelsConfig } from './modelsConfig.ts';

/** What build_params holds. */
export interface BuildParams {
  /** The as-of date used (ISO), given or the latest payment date in the lake. */
  asOf: string;
  asOfSource: 'given' | 'latest_payment' | 'today';
}

/** The date appeal deadlines count to: the given as-of, else today (UTC). */
export function appealsAsOf(asOf?: string): string {
  return asOf ?? new Date().toISOString().slice(0, 10);
}

/**
 * Registers what the models read besides the lake, as temp tables: `ref_carc_cause(reason_code,
 * cause)` from CARC_CAUSES, `ref_causes(cause)` and `ref_categories(category)` from CAUSES and CATEGORIES, `ref_appeal_window(payer_id, appeal_window_days)` from the config, and
 * the one-row `build_params(as_of, as_of_source, scorecard_weeks, appeal_window_days, due_soon_days,
 * built_at, appeals_as_of)`; appeals_as_of is the date appeal days count to (the given as-of, else
 * today, while as_of defaults to the latest payment date). The lake views must exist. Values are bound, never spliced into SQL.
 */
export async function registerBuildInputs(
  db: DuckDBConnection,
  config: ModelsConfig,
  asOf?: string,
  /** The date appeal days count to, when the caller settled it (a partitioned build settles it once). */
  appealsAsOfDate?: string,
): Promise<BuildParams> {
  await db.run(
    'CREATE OR REPLACE TEMP TABLE ref_carc_cause (reason_code VARCHAR PRIMARY KEY, cause VARCHAR)',
  );
  const carc = await db.createAppender('ref_carc_cause', 'main', 'temp');
  for (const [code, cause] of Object.entries(CARC_CAUSES)) {
    carc.appendVarchar(code);
    carc.appendVarchar(cause);
    carc.endRow();
  }
  carc.closeSync();

  // The accepted values of cause and category (functions/core/era/taxonomy.ts, the one list), for
  // the singular test marts_hold_accepted_values.
  for (const [table, column, values] of [
    ['ref_causes', 'cause', CAUSES],
    ['ref_categories', 'category', CATEGORIES],
  ] as const) {
    await db.run(`CREATE OR REPLACE TEMP TABLE ${table} (${column} VARCHAR PRIMARY KEY)`);
    const appender = await db.createAppender(table, 'main', 'temp');
    for (const value of values) {
      appender.appendVarchar(value);
      appender.endRow();
    }
    appender.closeSync();
  }

  await db.run(
    'CREATE OR REPLACE TEMP TABLE ref_appeal_window (payer_id VARCHAR PRIMARY KEY, appeal_window_days INTEGER)',
  );
  const windows = await db.createAppender('ref_appeal_window', 'main', 'temp');
  for (const [payer, days] of Object.entries(config.appealWindowDays.payers)) {
    windows.appendVarchar(payer);
    windows.appendInteger(days);
    windows.endRow();
  }
  windows.closeSync();

  const params: BuildParams = asOf !== undefined ? { asOf, asOfSource: 'given' } : await defaultAsOf(db);
  await db.run(
    `CREATE OR REPLACE TEMP TABLE build_params (
       as_of DATE NOT NULL, as_of_source VARCHAR, scorecard_weeks INTEGER, appeal_window_days INTEGER,
       due_soon_days INTEGER, built_at TIMESTAMP, appeals_as_of DATE NOT NULL)`,
  );
  const insert = await db.prepare(
    'INSERT INTO build_params VALUES (CAST($1 AS DATE), $2, $3, $4, $5, CAST(now() AS TIMESTAMP), CAST($6 AS DATE))',
  );
  insert.bindVarchar(1, params.asOf);
  insert.bindVarchar(2, params.asOfSource);
  insert.bindInteger(3, config.scorecardWeeks);
  insert.bindInteger(4, config.appealWindowDays.default);
  insert.bindInteger(5, config.dueSoonDays);
  insert.bindVarchar(6, appealsAsOfDate ?? appealsAsOf(asOf));
  await insert.run();
  return params;
}

/**
 * The as-of date of a build that is given none: the latest plausible payment date (BPR16, else
 * the production date) in the `remittances` view, else today. Plausible is 1990-01-01 to one year
 * after the remittance's ingest (the reader stores other dates as NULL; this guards lakes written
 * before it did), so one bad date never moves the as-of date, and the marts' size, to year 7663.
 */
export async function defaultAsOf(db: DuckDBConnection): Promise<BuildParams> {
  const reader = await db.runAndReadAll(
    `SELECT CAST(max(d) AS VARCHAR) AS d FROM (
       SELECT coalesce(payment_date, production_date) AS d, ingested_at FROM remittances
     )
     WHERE d >= DATE '1990-01-01' AND d <= CAST(ingested_at AS DATE) + INTERVAL 1 YEAR`,
  );
  const latest = reader.getRowObjectsJson()[0]?.d;
  return typeof latest === 'string'
    ? { asOf: latest, asOfSource: 'latest_payment' }
    : { asOf: new Date().toISOString().slice(0, 10), asOfSource: 'today' };
}
