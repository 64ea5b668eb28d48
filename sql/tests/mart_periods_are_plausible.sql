-- Offending rows: a period that an implausible or unknown date made (issue 24 case 6). Plausible is
-- 1990-01-01 .. one year after the latest ingest (DESIGN.md "Dates"; the build's as_of when nothing
-- records an ingest). A default as_of (not given by the user) must be plausible; no takeback or
-- payment reaches the intermediate models without a period, and no mart row has a NULL or
-- implausible period or date. Mart sizes follow plausible dates only: takeback_trend holds exactly
-- one row per week or month from the payer's first period to as_of, liquidity_forecast 13 weeks
-- per payer.
with

params as (
    select
        p.as_of,
        p.as_of_source,
        date '1990-01-01' as earliest,
        cast(coalesce(
            (select max(cast(ingested_at as date)) from stg_remittances), p.as_of
        ) + interval 1 year as date) as latest
    from build_params as p
),

dates as (
    select 'build_params.as_of' as source, cast(as_of_source as varchar) as key, as_of as d
    from params
    where as_of_source <> 'given'
    union all
    select 'int_claim_payments.period', remit_id || ':' || cast(claim_seq as varchar), period
    from int_claim_payments
    union all
    select 'int_claim_payments.payment_date', remit_id || ':' || cast(claim_seq as varchar), payment_date
    from int_claim_payments
    union all
    select 'int_takebacks.period', takeback_id, period from int_takebacks
    union all
    select 'int_takebacks.week_start', takeback_id, week_start from int_takebacks
    union all
    select 'recoupment_rates.period', concat_ws('|', grain, payer_id, cause, provider_npi), period
    from recoupment_rates
    union all
    select 'takeback_trend.period_start', concat_ws('|', grain, payer_id), period_start from takeback_trend
    union all
    select 'takeback_links.period', takeback_id, period from takeback_links
    union all
    select 'takeback_appeals.payment_date', takeback_id, payment_date from takeback_appeals
    union all
    select 'takeback_alerts.week_start', concat_ws('|', grain, payer_id, cause), week_start from takeback_alerts
    union all
    select 'payer_scorecard.window_end', payer_id, window_end from payer_scorecard
    union all
    select 'liquidity_forecast.as_of', payer_id, as_of from liquidity_forecast
),

bad_dates as (
    select d.source, d.key, cast(d.d as varchar) as value
    from dates as d, params as p
    where d.d is null or d.d < p.earliest or d.d > p.latest
),

forecast_weeks as (
    select 'liquidity_forecast.rows' as source, payer_id as key, cast(count(*) as varchar) as value
    from liquidity_forecast
    group by payer_id
    having count(*) <> 13 or max(week_start) > max(as_of) + 7 * 13
),

trend_rows as (
    select
        'takeback_trend.rows' as source,
        concat_ws('|', t.grain, t.payer_id) as key,
        cast(count(*) as varchar) as value
    from takeback_trend as t, params as p
    group by t.grain, t.payer_id, p.as_of
    having count(*) <> case t.grain
        when 'week' then date_diff('day', min(t.period_start), cast(date_trunc('week', p.as_of) as date)) // 7 + 1
        else date_diff('month', min(t.period_start), cast(date_trunc('month', p.as_of) as date)) + 1
    end
)

select * from bad_dates
union all
select * from forecast_weeks
union all
select * from trend_rows
