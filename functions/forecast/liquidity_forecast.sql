-- grain: payer_id × week_start, for the 13 weeks (Mondays) after the as-of week.
-- as-of: int_as_of (`--as-of`, else the latest payment date); the week holding it is the
-- last observed week, so a backtest cut is a Sunday. Method (docs/forecast.md):
--   expected_payments  trailing 8-week mean of weekly paid (zero-filled, weeks before the payer's
--                      first payment too: Σ paid of the 8 weeks / 8), held flat;
--   takeback_p10/50/90 rate-scaled empirical quantiles: each of the payer's last 52 weeks gives a
--                      takeback rate, its takeback (deferral repayments aside: they are scheduled)
--                      over the payments at risk then (mean weekly paid of the 8 weeks to it); a
--                      forecast week's quantiles are the 10th, 50th and 90th percentile of those
--                      rates times its own payments at risk (observed weeks, then expected ones).
--                      So takebacks follow payment volume, and the spread is the payer's own;
--   takeback_mean      the mean rate times the payments at risk;
--   history_weeks      the weeks of rates behind the quantiles (with fewer than 4, or no payments at
--                      risk, the quantiles are of the weekly takeback dollars instead);
--   scheduled_offsets  known future offsets: outstanding FB (−Σ FB, due in the next 835) and
--                      deferred WO not repaid yet (due after the payer's median deferral lag);
--   net_cash_p50       expected_payments − takeback_p50 − scheduled_offsets;
--   takeback_share     (takeback_p50 + scheduled_offsets) / expected_payments; flag above 20%;
--   payer_name         dim_payers.
with

params as (
    select
        13 as horizon_weeks,
        52 as rate_window_weeks,
        8 as exposure_weeks,
        8 as payment_weeks,
        4 as min_rate_weeks,
        28 as default_deferral_days,
        0.20 as flag_share
),

as_of as (
    select as_of, as_of_week, cutoff_date from int_as_of
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

-- Every observed week of every payer, zero-filled: its payments, the payments at risk (mean weekly
-- paid of the 8 weeks to it, of those observed), and its target: the takebacks the quantiles
-- describe (development + level; deferral repayments are scheduled offsets, forecast apart).
payer_weeks as materialized (
    select
        payers.payer_id,
        w.week_start,
        coalesce(p.paid, 0) as paid,
        avg(coalesce(p.paid, 0)) over (
            partition by payers.payer_id order by w.week_start rows between 7 preceding and current row
        ) as exposure,
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
            cast(sum(takeback) filter (where component in ('development', 'level')) as double) as target
        from development
        group by payer_id, week_start
    ) as t
        on t.payer_id = payers.payer_id
        and t.week_start = w.week_start
),

window_weeks as (
    select pw.*
    from payer_weeks as pw, as_of, params
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

-- The mean weekly paid of the last 8 weeks, quiet weeks counted as 0: also the weeks before the
-- payer's first payment, so a one-off payment in the as-of week is spread over 8 weeks, not repeated
-- every week of the horizon.
expected_payments as (
    select pw.payer_id, sum(pw.paid) / any_value(params.payment_weeks) as expected_paid
    from payer_weeks as pw, as_of, params
    where pw.week_start > as_of.as_of_week - 7 * params.payment_weeks
    group by pw.payer_id
),

horizon as (
    select
        cast(range as integer) as h,
        as_of.as_of_week + 7 * cast(range as integer) as week_start
    from as_of, params, range(1, params.horizon_weeks + 1)
),

-- Payments at risk in a forecast week: the mean weekly paid of the 8 weeks to it, observed weeks
-- as paid and later weeks at the expected payments; weeks before the payer's first are not counted.
forecast_exposure as (
    select
        p.payer_id,
        hz.h,
        (
            coalesce(sum(pw.paid), 0)
            + coalesce(any_value(ep.expected_paid), 0) * least(hz.h, params.exposure_weeks)
        ) / (count(pw.week_start) + least(hz.h, params.exposure_weeks)) as exposure
    from payers as p
    cross join horizon as hz
    cross join params
    cross join as_of
    left join payer_weeks as pw
        on pw.payer_id = p.payer_id
        and pw.week_start > hz.week_start - 7 * params.exposure_weeks
        and pw.week_start <= as_of.as_of_week
    left join expected_payments as ep
        on ep.payer_id = p.payer_id
    group by p.payer_id, hz.h, params.exposure_weeks
),

takeback_quantiles as (
    select
        e.payer_id,
        e.h,
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
        n.payer_name,
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
        cast(coalesce(q.history_weeks, 0) as integer) as history_weeks
    from payers as p
    cross join horizon as hz
    cross join as_of
    left join dim_payers as n
        on n.payer_id = p.payer_id
    left join expected_payments as ep
        on ep.payer_id = p.payer_id
    left join takeback_quantiles as q
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
