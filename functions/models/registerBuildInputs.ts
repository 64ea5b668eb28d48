import { CARC_CAUSES, CATEGORIES, CAUSES } from '../core/era/taxonomy.ts';
import type { ModelWarehouse } from '../ports/modelWarehouse.ts';
import type { Warehouse } from '../ports/warehouse.ts';
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
  warehouse: ModelWarehouse,
  config: ModelsConfig,
  asOf?: string,
  /** The date appeal days count to, when the caller settled it (a partitioned build settles it once). */
  appealsAsOfDate?: string,
): Promise<BuildParams> {
  const text = (name: string) => ({ name, type: 'VARCHAR' });
  await warehouse.createTable(
    'ref_carc_cause',
    [text('reason_code'), text('cause')],
    Object.entries(CARC_CAUSES),
  );
  // The accepted values of cause and category (functions/core/era/taxonomy.ts, the one list), for
  // the singular test marts_hold_accepted_values.
  await warehouse.createTable(
    'ref_causes',
    [text('cause')],
    CAUSES.map((c) => [c]),
  );
  await warehouse.createTable(
    'ref_categories',
    [text('category')],
    CATEGORIES.map((c) => [c]),
  );
  await warehouse.createTable(
    'ref_appeal_window',
    [text('payer_id'), { name: 'appeal_window_days', type: 'INTEGER' }],
    Object.entries(config.appealWindowDays.payers),
  );

  const params: BuildParams =
    asOf !== undefined ? { asOf, asOfSource: 'given' } : await defaultAsOf(warehouse);
  await warehouse.run(
    `CREATE OR REPLACE TEMP TABLE build_params (
       as_of DATE NOT NULL, as_of_source VARCHAR, scorecard_weeks INTEGER, appeal_window_days INTEGER,
       due_soon_days INTEGER, built_at TIMESTAMP, appeals_as_of DATE NOT NULL)`,
  );
  await warehouse.run(
    'INSERT INTO build_params VALUES (CAST($1 AS DATE), $2, $3::INTEGER, $4::INTEGER, $5::INTEGER, CAST(now() AS TIMESTAMP), CAST($6 AS DATE))',
    [
      params.asOf,
      params.asOfSource,
      config.scorecardWeeks,
      config.appealWindowDays.default,
      config.dueSoonDays,
      appealsAsOfDate ?? appealsAsOf(asOf),
    ],
  );
  return params;
}

/**
 * The as-of date of a build that is given none: the latest plausible payment date (BPR16, else
 * the production date) in the `remittances` view, else today. Plausible is 1990-01-01 to one year
 * after the remittance's ingest (the reader stores other dates as NULL; this guards lakes written
 * before it did), so one bad date never moves the as-of date, and the marts' size, to year 7663.
 */
export async function defaultAsOf(warehouse: Warehouse): Promise<BuildParams> {
  const { rows } = await warehouse.query(
    `SELECT CAST(max(d) AS VARCHAR) AS d FROM (
       SELECT coalesce(payment_date, production_date) AS d, ingested_at FROM remittances
     )
     WHERE d >= DATE '1990-01-01' AND d <= CAST(ingested_at AS DATE) + INTERVAL 1 YEAR`,
  );
  const latest = rows[0]?.d;
  return typeof latest === 'string'
    ? { asOf: latest, asOfSource: 'latest_payment' }
    : { asOf: new Date().toISOString().slice(0, 10), asOfSource: 'today' };
}
