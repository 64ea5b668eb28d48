-- Offending rows: a key that appears more than once in a mart (each mart's grain comment), or in
-- an intermediate model the forecast is built from (int_forecast_*, each file's grain comment).
select 'recoupment_rates' as mart, concat_ws('|', grain, period, payer_id, cause, provider_npi, provider_role) as key, count(*) as n
from recoupment_rates
group by grain, period, payer_id, cause, provider_npi, provider_role
having count(*) > 1
union all
select 'payer_scorecard', payer_id, count(*) from payer_scorecard group by payer_id having count(*) > 1
union all
select 'takeback_trend', concat_ws('|', grain, payer_id, period_start), count(*)
from takeback_trend group by grain, payer_id, period_start having count(*) > 1
union all
select 'takeback_links', takeback_id, count(*) from takeback_links group by takeback_id having count(*) > 1
union all
select 'takeback_appeals', takeback_id, count(*) from takeback_appeals group by takeback_id having count(*) > 1
union all
select 'plb_summary', concat_ws('|', payer_id, reason_code, fiscal_period_date), count(*)
from plb_summary group by payer_id, reason_code, fiscal_period_date having count(*) > 1
union all
select 'int_takebacks', takeback_id, count(*) from int_takebacks group by takeback_id having count(*) > 1
union all
select 'int_alert_params', 'one row', count(*) from int_alert_params having count(*) <> 1
union all
select 'int_alert_series', concat_ws('|', payer_id, grain, coalesce(cause, '*'), week_start), count(*)
from int_alert_series group by payer_id, grain, cause, week_start having count(*) > 1
union all
select 'int_alert_scores', concat_ws('|', payer_id, grain, coalesce(cause, '*'), week_start), count(*)
from int_alert_scores group by payer_id, grain, cause, week_start having count(*) > 1
union all
select 'int_alerts', concat_ws('|', payer_id, grain, coalesce(cause, '*'), week_start), count(*)
from int_alerts group by payer_id, grain, cause, week_start having count(*) > 1
union all
select 'int_alert_drivers', concat_ws('|', payer_id, grain, coalesce(cause, '*'), week_start), count(*)
from int_alert_drivers group by payer_id, grain, cause, week_start having count(*) > 1
union all
select 'liquidity_forecast', concat_ws('|', payer_id, week_start), count(*)
from liquidity_forecast group by payer_id, week_start having count(*) > 1
union all
select 'int_forecast_horizon', cast(horizon_week as varchar), count(*)
from int_forecast_horizon group by horizon_week having count(*) > 1
union all
select 'int_forecast_payer_weeks', concat_ws('|', payer_id, week_start), count(*)
from int_forecast_payer_weeks group by payer_id, week_start having count(*) > 1
union all
select 'int_forecast_expected_payments', payer_id, count(*)
from int_forecast_expected_payments group by payer_id having count(*) > 1
union all
select 'int_forecast_takeback_quantiles', concat_ws('|', payer_id, horizon_week), count(*)
from int_forecast_takeback_quantiles group by payer_id, horizon_week having count(*) > 1
union all
select 'int_forecast_wo_deferrals', concat_ws('|', payer_id, reference_id), count(*)
from int_forecast_wo_deferrals group by payer_id, reference_id having count(*) > 1
union all
select 'int_forecast_forwarding_balances', payer_id, count(*)
from int_forecast_forwarding_balances group by payer_id having count(*) > 1
union all
select 'takeback_alerts', concat_ws('|', payer_id, grain, cause, week_start), count(*)
from takeback_alerts group by payer_id, grain, cause, week_start having count(*) > 1
