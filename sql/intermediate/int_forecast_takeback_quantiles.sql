-- grain: payer_id × horizon_week, every payer of int_forecast_payer_weeks and every week of
-- int_forecast_horizon: the takebacks the liquidity forecast expects (deferral repayments aside).
-- Rate-scaled empirical quantiles: each of the payer's last 52 weeks gives a takeback rate, its
-- target over its exposure (int_forecast_payer_weeks); a forecast week's quantiles are the 10th,
-- 50th and 90th percentile of those rates times its own payments at risk. So takebacks follow
-- payment volume, and the spread is the payer's own. With fewer than 4 weeks of rates, or no
-- payments at risk, the quantiles are of the weekly takeback dollars instead.
--   exposure            payments at risk: the mean weekly paid of the 8 weeks to the forecast
--                       week, observed weeks as paid, later ones at expected_paid;
--   p10, p50, p90, mean the takeback quantiles and mean (DOUBLE; the mart rounds them to cents);
--   history_weeks       the weeks behind them (weeks of rates, or weeks of dollars).
with

params as (
    select
        52 as rate_window_weeks,
        8 as exposure_weeks,
        4 as min_rate_weeks
),

as_of as (
    select as_of_week from int_as_of
),

payers as (
    select distinct payer_id from int_forecast_payer_weeks
),

window_weeks as (
    select pw.*
    from int_forecast_payer_weeks as pw, as_of, params
    where pw.week_start > as_of.as_of_week - 7 * params.rate_window_weeks
),

rate_quantiles as (
    select
        payer_id,
        count(*) filter (where exposure > 0) as rate_weeks,
        count(*) as weeks,
        quantile_cont(target / exposure, 0.1) filter (where exposure > 0) as r10,
        quantile_cont(target / exposure, 0.5) filter (where exposure > 0) as r50,
        quantile_cont(target / exposure, 0.9) filter (where exposure > 0) as r90,
        avg(target / exposure) filter (where exposure > 0) as r_mean,
        quantile_cont(target, 0.1) as d10,
        quantile_cont(target, 0.5) as d50,
        quantile_cont(target, 0.9) as d90,
        avg(target) as d_mean
    from window_weeks
    group by payer_id
),

-- Payments at risk in a forecast week: the mean weekly paid of the 8 weeks to it, observed weeks
-- as paid and later weeks at the expected payments; weeks before the payer's first are not counted.
forecast_exposure as (
    select
        p.payer_id,
        hz.horizon_week,
        (
            coalesce(sum(pw.paid), 0)
            + coalesce(any_value(ep.expected_paid), 0) * least(hz.horizon_week, params.exposure_weeks)
        ) / (count(pw.week_start) + least(hz.horizon_week, params.exposure_weeks)) as exposure
    from payers as p
    cross join int_forecast_horizon as hz
    cross join params
    cross join as_of
    left join int_forecast_payer_weeks as pw
        on pw.payer_id = p.payer_id
        and pw.week_start > hz.week_start - 7 * params.exposure_weeks
        and pw.week_start <= as_of.as_of_week
    left join int_forecast_expected_payments as ep
        on ep.payer_id = p.payer_id
    group by p.payer_id, hz.horizon_week, params.exposure_weeks
)

select
    e.payer_id,
    e.horizon_week,
    e.exposure,
    case when scaled then e.exposure * q.r10 else q.d10 end as p10,
    case when scaled then e.exposure * q.r50 else q.d50 end as p50,
    case when scaled then e.exposure * q.r90 else q.d90 end as p90,
    case when scaled then e.exposure * q.r_mean else q.d_mean end as mean,
    case when scaled then q.rate_weeks else q.weeks end as history_weeks
from forecast_exposure as e
join rate_quantiles as q
    on q.payer_id = e.payer_id
cross join params
cross join lateral (
    select q.rate_weeks >= params.min_rate_weeks and e.exposure > 0 as scaled
)
