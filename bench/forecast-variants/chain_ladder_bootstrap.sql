-- bench variant (chain_ladder_bootstrap), not a model: judged by `npm run -s bench:backtest -- --forecast-sql bench/forecast-variants/chain_ladder_bootstrap.sql`
-- against functions/forecast/liquidity_forecast.sql (docs/forecast.md, "Choosing the method").
-- grain: payer_id × week_start, for the 13 weeks (Mondays) after the as-of week.
-- as-of: build_params.as_of when given, else the latest payment date; the week holding it is the
-- last observed week, so a backtest cut is a Sunday. Method (docs/forecast.md):
--   expected_payments  trailing 8-week mean of weekly paid (zero-filled), held flat;
--   takeback_p10/50/90 additive chain-ladder on weekly payment cohorts: a cohort's payments times
--                      the share of a cohort's payments taken back k weeks later (k = 0..52), plus
--                      the unlinked takebacks as a level. Quantiles of a deterministic bootstrap:
--                      each replicate replays one calendar week of the last 26, taking for every lag
--                      the factor of the cohort that was that old then, and that week's level;
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
        500 as replicates,
        'recoup-liquidity-v1' as seed,
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

-- Every observed week of every payer, zero-filled, with its payments and unlinked takebacks.
payer_weeks as materialized (
    select
        payers.payer_id,
        w.week_start,
        coalesce(p.paid, 0) as paid,
        coalesce(l.level_takeback, 0) as level_takeback
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
        select payer_id, week_start, cast(sum(takeback) as double) as level_takeback
        from development
        where component = 'level'
        group by payer_id, week_start
    ) as l
        on l.payer_id = payers.payer_id
        and l.week_start = w.week_start
),

expected_payments as (
    select
        pw.payer_id,
        avg(pw.paid) as expected_paid
    from payer_weeks as pw, as_of, params
    where pw.week_start > as_of.as_of_week - 7 * params.payment_weeks
    group by pw.payer_id
),

-- Development factor of one cohort at one lag: share of its payments taken back k weeks later.
-- Only cohort × lag cells already observed, whose takeback week lies in the estimation window.
cohort_factors as (
    select
        pw.payer_id,
        lag.k,
        pw.week_start as cohort_week,
        coalesce(cast(d.takeback as double), 0) / pw.paid as factor
    from payer_weeks as pw
    cross join params
    cross join as_of
    cross join (select cast(range as integer) as k from range(0, 53)) as lag
    left join (
        select payer_id, cohort_week, lag_weeks, sum(takeback) as takeback
        from development
        where component = 'development'
        group by payer_id, cohort_week, lag_weeks
    ) as d
        on d.payer_id = pw.payer_id
        and d.cohort_week = pw.week_start
        and d.lag_weeks = lag.k
    where pw.paid > 0
        and lag.k <= params.max_lag_weeks
        and pw.week_start + 7 * lag.k <= as_of.as_of_week
        and pw.week_start + 7 * lag.k > as_of.as_of_week - 7 * params.estimation_weeks
),

indexed_factors as materialized (
    select
        *,
        row_number() over (partition by payer_id, k order by cohort_week) - 1 as idx,
        count(*) over (partition by payer_id, k) as n
    from cohort_factors
),

lag_sizes as (
    select distinct payer_id, k, n from indexed_factors
),

-- Calendar weeks the bootstrap replays: a replayed week lends the factors of every cohort that
-- was developing in it (and its unlinked level), so a batch week moves all lags together.
calendar_weeks as materialized (
    select
        pw.payer_id,
        pw.week_start,
        pw.level_takeback,
        row_number() over (partition by pw.payer_id order by pw.week_start) - 1 as idx,
        count(*) over (partition by pw.payer_id) as n
    from payer_weeks as pw, as_of, params
    where pw.week_start > as_of.as_of_week - 7 * params.estimation_weeks
),

horizon as (
    select
        cast(range as integer) as h,
        as_of.as_of_week + 7 * cast(range as integer) as week_start
    from as_of, params, range(1, params.horizon_weeks + 1)
),

-- Payments of the cohort that is k weeks old in forecast week h: observed, or expected if future.
exposures as materialized (
    select
        ls.payer_id,
        hz.h,
        ls.k,
        ls.n,
        case
            when hz.week_start - 7 * ls.k <= as_of.as_of_week then coalesce(pw.paid, 0)
            else coalesce(ep.expected_paid, 0)
        end as exposure
    from lag_sizes as ls
    cross join horizon as hz
    cross join as_of
    left join payer_weeks as pw
        on pw.payer_id = ls.payer_id
        and pw.week_start = hz.week_start - 7 * ls.k
    left join expected_payments as ep
        on ep.payer_id = ls.payer_id
),

replicates as (
    select cast(range as integer) as b from params, range(0, params.replicates)
),

-- Replicate b of forecast week h replays one calendar week of the estimation window.
replays as materialized (
    select
        p.payer_id,
        hz.h,
        r.b,
        cw.week_start as replay_week,
        cw.level_takeback
    from payers as p
    cross join horizon as hz
    cross join replicates as r
    cross join params
    join (select distinct payer_id, n from calendar_weeks) as cn
        on cn.payer_id = p.payer_id
    join calendar_weeks as cw
        on cw.payer_id = p.payer_id
        and cw.idx = cast(hash(params.seed, p.payer_id, r.b, hz.h) % cast(cn.n as ubigint) as bigint)
),

-- Each lag takes the factor of the cohort that was k weeks old in the replayed week; a cohort
-- with no payments (or before the history) lends none, and a random cohort of that lag stands in.
draws as materialized (
    select
        e.payer_id,
        e.h,
        e.k,
        rp.b,
        e.exposure,
        rp.replay_week - 7 * e.k as cohort_week,
        cast(hash(params.seed, e.payer_id, rp.b, e.h, e.k) % cast(e.n as ubigint) as bigint) as fallback_idx
    from exposures as e
    cross join params
    join replays as rp
        on rp.payer_id = e.payer_id
        and rp.h = e.h
    where e.exposure <> 0
),

development_draws as (
    select
        d.payer_id,
        d.h,
        d.b,
        sum(d.exposure * coalesce(same_week.factor, stand_in.factor)) as takeback
    from draws as d
    left join indexed_factors as same_week
        on same_week.payer_id = d.payer_id
        and same_week.k = d.k
        and same_week.cohort_week = d.cohort_week
    left join indexed_factors as stand_in
        on stand_in.payer_id = d.payer_id
        and stand_in.k = d.k
        and stand_in.idx = d.fallback_idx
    group by d.payer_id, d.h, d.b
),

level_draws as (
    select payer_id, h, b, level_takeback as takeback from replays
),

simulated as (
    select
        p.payer_id,
        hz.h,
        r.b,
        coalesce(d.takeback, 0) + coalesce(l.takeback, 0) as takeback
    from payers as p
    cross join horizon as hz
    cross join replicates as r
    left join development_draws as d
        on d.payer_id = p.payer_id and d.h = hz.h and d.b = r.b
    left join level_draws as l
        on l.payer_id = p.payer_id and l.h = hz.h and l.b = r.b
),

takeback_quantiles as (
    select
        payer_id,
        h,
        quantile_cont(takeback, 0.1) as p10,
        quantile_cont(takeback, 0.5) as p50,
        quantile_cont(takeback, 0.9) as p90,
        avg(takeback) as mean
    from simulated
    group by payer_id, h
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
        cast(s.scheduled_fb + s.scheduled_wo as decimal(18, 2)) as scheduled_offsets
    from payers as p
    cross join horizon as hz
    cross join as_of
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
