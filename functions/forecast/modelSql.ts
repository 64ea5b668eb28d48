import { findModel, type Model, ModelError, type ModelLayer } from '../models/loadModels.ts';

/** The SQL of one model (sql/<layer>/, or a feature folder's mart), without a trailing semicolon. */
export function modelSql(layer: ModelLayer, name: string, models: readonly Model[]): string {
  const model = findModel(name, models);
  if (model.layer !== layer)
    throw new ModelError(`model ${name} is a ${model.layer} model, not ${layer}`, name);
  return model.sql;
}

/**
 * The forecast and alert marts name payers from dim_payers, which reads the remittances. Where only
 * the forecast's contract tables exist (int_takebacks, int_claim_payments: the backtest bench, the
 * synthetic forecast tests), this stands in for it: every payer, no name.
 */
export const UNNAMED_PAYERS_SQL = `select payer_id, cast(null as varchar) as payer_name
  from (select payer_id from int_claim_payments union select payer_id from int_takebacks)`;

/** The forecast and alert models of this package, in dependency order (after dim_payers). */
export const FORECAST_MODELS = [
  ['intermediate', 'int_as_of'],
  ['intermediate', 'int_takeback_classes'],
  ['intermediate', 'int_takeback_events'],
  ['intermediate', 'int_weekly_payments'],
  ['intermediate', 'int_weekly_plb_offsets'],
  ['intermediate', 'int_weekly_takebacks'],
  ['intermediate', 'int_weekly_takeback_development'],
  ['intermediate', 'int_forecast_horizon'],
  ['intermediate', 'int_forecast_payer_weeks'],
  ['intermediate', 'int_forecast_expected_payments'],
  ['intermediate', 'int_forecast_takeback_quantiles'],
  ['intermediate', 'int_forecast_wo_deferrals'],
  ['intermediate', 'int_forecast_forwarding_balances'],
  ['marts', 'liquidity_forecast'],
  ['intermediate', 'int_alert_params'],
  ['intermediate', 'int_alert_series'],
  ['intermediate', 'int_alert_scores'],
  ['intermediate', 'int_alerts'],
  ['intermediate', 'int_alert_drivers'],
  ['marts', 'takeback_alerts'],
] as const;
