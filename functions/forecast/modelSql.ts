import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository's `sql/` folder, found relative to this file so it works from any working directory. */
export const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));

/** The text of one SQL model (`sql/<layer>/<name>.sql`), without a trailing semicolon. */
export function modelSql(layer: 'staging' | 'intermediate' | 'marts', name: string): string {
  const text = readFileSync(new URL(`../../sql/${layer}/${name}.sql`, import.meta.url), 'utf8');
  return text.trim().replace(/;\s*$/, '');
}

/**
 * The forecast and alert marts name payers from int_payers, which reads the remittances. Where only
 * the forecast's contract tables exist (int_takebacks, int_claim_payments: the backtest bench, the
 * synthetic forecast tests), this stands in for it: every payer, no name.
 */
export const UNNAMED_PAYERS_SQL = `select payer_id, cast(null as varchar) as payer_name
  from (select payer_id from int_claim_payments union select payer_id from int_takebacks)`;

/** The forecast and alert models of this package, in dependency order (after int_payers). */
export const FORECAST_MODELS = [
  ['intermediate', 'int_takeback_events'],
  ['intermediate', 'int_weekly_payments'],
  ['intermediate', 'int_weekly_plb_offsets'],
  ['intermediate', 'int_weekly_takebacks'],
  ['intermediate', 'int_weekly_takeback_development'],
  ['marts', 'liquidity_forecast'],
  ['marts', 'takeback_alerts'],
] as const;
