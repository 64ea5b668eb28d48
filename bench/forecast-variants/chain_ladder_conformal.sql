-- bench variant (chain_ladder_conformal), not a model: judged by `npm run -s bench:backtest -- --forecast-sql bench/forecast-variants/chain_ladder_conformal.sql`
-- against functions/forecast/liquidity_forecast.sql (docs/forecast.md, "Choosing the method").
-- grain: payer_id × week_start, for the 13 weeks (Mondays) after the as-of week.
-- as-of: build_params.as_of when given, else the latest payment date; the week holding it is the
-- last observed week, so a backtest cut is a Sunday. Method (docs/forecast.md):
--   expected_payments  trailing 8-week mean of weekly paid (zero-filled), held flat;
--   takeback_mean      additive chain-ladder on weekly payment cohorts: each cohort's payments times
--                      the share of a cohort's payments taken back k weeks later (k = 0..52,
--                      estimated on the takebacks of the last 26 weeks), plus the mean weekly
--                      takeback not linked to a payment (a level);
--   takeback_p10/50/90 the chain-ladder plus the 10th, 50th and 90th percentile of its own errors
--                      out of sample (split conformal): the same forecast is made from each of the
--                      26 weeks before the as-of week, only with what was known then, and scored on
--                      what followed, by horizon band (1–4, 5–8, 9–13 weeks); floored at 0;
--   scheduled_offsets  known future offsets: outstanding FB (−Σ FB, due in the next 835) and
--                      deferred WO not repaid yet (due after the payer's median deferral lag);
--   net_cash_p50       expected_payments − takeback_p50 − scheduled_offsets;
--   takeback_share     (takeback_p50 + scheduled_offsets) / expected_payments; flag above 20%.
with

params as (
    select
        13 as horizon_weeks,
        52 as max_lag_weeks,
        26 as estimation_weeks,
        8 as payment_weeks,
        -- Past forecast origins whose errors calibrate the intervals, and the history each needs.
        26 as calibration_origins,
        8 as min_history_weeks,
        -- Errors a horizon band needs of its own; with fewer, the payer's errors at every horizon.
        12 as min_band_errors,
        -- Weight of a development observation halves every this many weeks back (NULL: equal weights).
        cast(null as double) as factor_half_life_weeks,
        28 as default_deferral_days,
        0.20 as flag_share
),

as_of as (
    select
        as_of,
        cast(date_trunc('week', as_of) as date) as as_of_week,
        cast(date_trunc('week', as_of) as date) + 6 as cutoff_date
    from (
        select coalesce(
            (select max(as_of) from build_params),
            (select max(payment_date) from int_claim_payments),
            (select max(payment_date) from int_takebacks)
        ) as as_of
    )
    where as_of is not null
),

weekly_payments as (
    select p.payer_id, p.week_start, cast(p.paid as double) as paid
    from int_weekly_payments as p, as_of
    where p.week_start <= as_of.as_of_week
),

development as (
    select d.*
    from int_weekly_takeback_development as d, as_of
    where d.week_start <= as_of.as_of_week
),

payers as (
    select payer_id, min(week_start) as first_week
    from (
        select payer_id, week_start from weekly_payments
        union all
        select payer_id, week_start from development
    )
    group by payer_id
),

-- Every observed week of every payer, zero-filled: its payments, its unlinked (level) takebacks,
-- and its target, what the chain-ladder forecasts (development + level; deferral repayments are
-- scheduled offsets, forecast apart).
payer_weeks as materialized (
    select
        payers.payer_id,
        payers.first_week,
        w.week_start,
        coalesce(p.paid, 0) as paid,
        coalesce(t.level_takeback, 0) as level_takeback,
        coalesce(t.target, 0) as target
    from payers
    cross join as_of
    cross join lateral (
        select cast(unnest(generate_series(payers.first_week, as_of.as_of_week, interval 7 day)) as date)
            as week_start
    ) as w
    left join weekly_payments as p
        on p.payer_id = payers.payer_id
        and p.week_start = w.week_start
    left join (
        select
            payer_id,
            week_start,
            cast(sum(takeback) filter (where component = 'level') as double) as level_takeback,
            cast(sum(takeback) filter (where component in ('development', 'level')) as double) as target
        from development
        group by payer_id, week_start
    ) as t
        on t.payer_id = payers.payer_id
        and t.week_start = w.week_start
),

-- What each cohort (week of payment) had taken back at each lag, by the week it was taken.
cohort_cells as materialized (
    select payer_id, cohort_week, lag_weeks as k, cast(sum(takeback) as double) as takeback
    from development
    where component = 'development'
    group by payer_id, cohort_week, lag_weeks
),

-- Forecast origins: the as-of week (origin_index 0), and the weeks before it from which the same
-- forecast is made again, with what was known then, to measure its errors.
origins as materialized (
    select
        payers.payer_id,
        as_of.as_of_week - 7 * cast(j.j as integer) as origin,
        cast(j.j as integer) as origin_index
    from payers
    cross join as_of
    cross join params
    cross join range(0, 1000) as j(j)
    where j.j <= params.calibration_origins
        and (
            j.j = 0
            or as_of.as_of_week - 7 * cast(j.j as integer) >= payers.first_week + 7 * (params.min_history_weeks - 1)
        )
),

lags as (
    select cast(range as integer) as k from params, range(0, params.max_lag_weeks + 1)
),

horizon as (
    select
        cast(range as integer) as h,
        as_of.as_of_week + 7 * cast(range as integer) as week_start
    from as_of, params, range(1, params.horizon_weeks + 1)
),

-- Development factor of lag k at an origin: Σ takeback at lag k / Σ payments, over the cohorts
-- whose lag-k week lies in the estimation window before the origin (ratio of sums), each weighted
-- by how recent that week is when factor_half_life_weeks is set.
origin_factors as materialized (
    select
        o.payer_id,
        o.origin,
        l.k,
        coalesce(
            sum(coalesce(c.takeback, 0) * w.weight) / nullif(sum(pw.paid * w.weight), 0),
            0
        ) as factor
    from origins as o
    cross join lags as l
    cross join params
    join payer_weeks as pw
        on pw.payer_id = o.payer_id
        and pw.week_start + 7 * l.k <= o.origin
        and pw.week_start + 7 * l.k > o.origin - 7 * params.estimation_weeks
    left join cohort_cells as c
        on c.payer_id = pw.payer_id
        and c.cohort_week = pw.week_start
        and c.k = l.k
    cross join lateral (
        select case
            when params.factor_half_life_weeks is null then 1.0
            else pow(0.5, date_diff('day', pw.week_start + 7 * l.k, o.origin) / 7.0 / params.factor_half_life_weeks)
        end as weight
    ) as w
    group by o.payer_id, o.origin, l.k
),

-- Expected weekly payments and unlinked level at an origin.
origin_levels as materialized (
    select
        o.payer_id,
        o.origin,
        avg(pw.paid) filter (where pw.week_start > o.origin - 7 * params.payment_weeks) as expected_paid,
        avg(pw.level_takeback) as level
    from origins as o
    cross join params
    join payer_weeks as pw
        on pw.payer_id = o.payer_id
        and pw.week_start <= o.origin
        and pw.week_start > o.origin - 7 * params.estimation_weeks
    group by o.payer_id, o.origin
),

-- The chain-ladder forecast of week origin + h: the cohorts paid by then (observed payments) and
-- the cohorts still to be paid (expected payments), each at the factor of its age.
origin_forecasts as materialized (
    select
        o.payer_id,
        o.origin,
        o.origin_index,
        hz.h,
        o.origin + 7 * hz.h as week_start,
        any_value(lv.expected_paid) as expected_paid,
        sum(
            f.factor * case
                when o.origin + 7 * (hz.h - f.k) <= o.origin then coalesce(pw.paid, 0)
                else coalesce(lv.expected_paid, 0)
            end
        ) + coalesce(any_value(lv.level), 0) as expected
    from origins as o
    cross join horizon as hz
    join origin_factors as f
        on f.payer_id = o.payer_id
        and f.origin = o.origin
    left join payer_weeks as pw
        on pw.payer_id = o.payer_id
        and pw.week_start = o.origin + 7 * (hz.h - f.k)
    left join origin_levels as lv
        on lv.payer_id = o.payer_id
        and lv.origin = o.origin
    group by o.payer_id, o.origin, o.origin_index, hz.h
),

-- Out-of-sample errors: what happened minus what the past origins forecast, by horizon band.
errors as (
    select
        f.payer_id,
        f.h,
        case when f.h <= 4 then 1 when f.h <= 8 then 2 else 3 end as band,
        pw.target - f.expected as error
    from origin_forecasts as f
    join payer_weeks as pw
        on pw.payer_id = f.payer_id
        and pw.week_start = f.week_start
    where f.origin_index > 0
),

band_quantiles as (
    select
        payer_id,
        band,
        count(*) as n,
        quantile_cont(error, 0.1) as q10,
        quantile_cont(error, 0.5) as q50,
        quantile_cont(error, 0.9) as q90
    from errors
    group by grouping sets ((payer_id, band), (payer_id))
),

takeback_quantiles as (
    select
        f.payer_id,
        f.h,
        f.expected as mean,
        coalesce(b.n, a.n, 0) as calibration_errors,
        case when b.n >= params.min_band_errors then b.q10 else a.q10 end as q10,
        case when b.n >= params.min_band_errors then b.q50 else a.q50 end as q50,
        case when b.n >= params.min_band_errors then b.q90 else a.q90 end as q90
    from origin_forecasts as f
    cross join params
    left join band_quantiles as b
        on b.payer_id = f.payer_id
        and b.band = case when f.h <= 4 then 1 when f.h <= 8 then 2 else 3 end
    left join band_quantiles as a
        on a.payer_id = f.payer_id
        and a.band is null
    where f.origin_index = 0
),

expected_payments as (
    select payer_id, expected_paid
    from origin_levels, as_of
    where origin = as_of.as_of_week
),

-- Scheduled offsets. FB: −Σ FB is the balance still carried; the payer applies it in the next 835.
forwarding_balance as (
    select
        a.payer_id,
        greatest(-sum(a.amount), 0) as outstanding_fb
    from int_weekly_plb_offsets as a, as_of
    where a.reason_code = 'FB'
        and a.payment_date <= as_of.cutoff_date
    group by a.payer_id
),

wo_by_reference as (
    select
        a.payer_id,
        a.reference_id,
        -sum(a.amount) filter (where a.amount < 0) as deferred,
        min(a.payment_date) filter (where a.amount < 0) as first_deferred_on,
        max(a.payment_date) filter (where a.amount < 0) as last_deferred_on
    from int_weekly_plb_offsets as a, as_of
    where a.reason_code = 'WO'
        and a.reference_id is not null
        and a.payment_date <= as_of.cutoff_date
    group by a.payer_id, a.reference_id
    having deferred > 0
),

wo_repaid as (
    select
        w.payer_id,
        w.reference_id,
        coalesce(sum(a.amount), 0) as repaid,
        min(a.payment_date) as first_repaid_on
    from wo_by_reference as w
    cross join as_of
    join int_weekly_plb_offsets as a
        on a.payer_id = w.payer_id
        and a.reference_id = w.reference_id
        and a.reason_code = 'WO'
        and a.amount > 0
        and a.payment_date >= w.first_deferred_on
        and a.payment_date <= as_of.cutoff_date
    group by w.payer_id, w.reference_id
),

deferral_lags as (
    select
        w.payer_id,
        median(date_diff('day', w.first_deferred_on, r.first_repaid_on)) as lag_days
    from wo_by_reference as w
    join wo_repaid as r
        on r.payer_id = w.payer_id and r.reference_id = w.reference_id
    group by grouping sets ((w.payer_id), ())
),

deferred_wo as (
    select
        w.payer_id,
        greatest(
            cast(date_trunc('week', w.last_deferred_on
                + cast(round(coalesce(pl.lag_days, al.lag_days, params.default_deferral_days)) as integer))
                as date),
            as_of.as_of_week + 7
        ) as due_week,
        w.deferred - coalesce(r.repaid, 0) as outstanding
    from wo_by_reference as w
    cross join as_of
    cross join params
    left join wo_repaid as r
        on r.payer_id = w.payer_id and r.reference_id = w.reference_id
    left join deferral_lags as pl
        on pl.payer_id = w.payer_id
    left join (select lag_days from deferral_lags where payer_id is null) as al
        on true
    where w.deferred - coalesce(r.repaid, 0) > 0
),

scheduled as (
    select
        p.payer_id,
        hz.h,
        case when hz.h = 1 then coalesce(fb.outstanding_fb, 0) else 0 end as scheduled_fb,
        coalesce((
            select sum(d.outstanding) from deferred_wo as d
            where d.payer_id = p.payer_id and d.due_week = hz.week_start
        ), 0) as scheduled_wo
    from payers as p
    cross join horizon as hz
    left join forwarding_balance as fb
        on fb.payer_id = p.payer_id
),

final as (
    select
        p.payer_id,
        hz.week_start,
        hz.h as horizon_week,
        as_of.as_of,
        cast(round(coalesce(ep.expected_paid, 0), 2) as decimal(18, 2)) as expected_payments,
        cast(round(coalesce(q.p10, 0), 2) as decimal(18, 2)) as takeback_p10,
        cast(round(coalesce(q.p50, 0), 2) as decimal(18, 2)) as takeback_p50,
        cast(round(coalesce(q.p90, 0), 2) as decimal(18, 2)) as takeback_p90,
        cast(round(coalesce(q.mean, 0), 2) as decimal(18, 2)) as takeback_mean,
        cast(s.scheduled_fb as decimal(18, 2)) as scheduled_fb,
        cast(s.scheduled_wo as decimal(18, 2)) as scheduled_wo,
        cast(s.scheduled_fb + s.scheduled_wo as decimal(18, 2)) as scheduled_offsets,
        cast(coalesce(q.calibration_errors, 0) as integer) as calibration_errors
    from payers as p
    cross join horizon as hz
    cross join as_of
    left join expected_payments as ep
        on ep.payer_id = p.payer_id
    left join (
        select
            payer_id,
            h,
            mean,
            calibration_errors,
            greatest(mean + coalesce(q50, 0), 0) as p50,
            greatest(mean + coalesce(q10, 0), 0) as p10,
            greatest(mean + coalesce(q90, 0), mean + coalesce(q50, 0), 0) as p90
        from takeback_quantiles
    ) as q
        on q.payer_id = p.payer_id and q.h = hz.h
    left join scheduled as s
        on s.payer_id = p.payer_id and s.h = hz.h
)

select
    final.*,
    cast(expected_payments - takeback_p50 - scheduled_offsets as decimal(18, 2)) as net_cash_p50,
    case
        when expected_payments > 0
            then round(cast(takeback_p50 + scheduled_offsets as double) / cast(expected_payments as double), 4)
    end as takeback_share,
    case
        when expected_payments > 0
            then cast(takeback_p50 + scheduled_offsets as double)
                > params.flag_share * cast(expected_payments as double)
        else takeback_p50 + scheduled_offsets > 0
    end as flag
from final, params
order by payer_id, week_start
