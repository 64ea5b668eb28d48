-- grain: payer_id × cohort_month × dev_week: a development triangle of recoupment by payment cohort.
-- A cohort is the money a payer paid in one month (paid: Σ CLP04 of non-reversal claims paid that
-- month). Its takeback after k weeks is what the payer took back from claims of that month within
-- k weeks of their payment: the disputable amount of reversals and offsets (int_takeback_events;
-- deferrals, their repayments and refunds left out, so a WO −x / +x does not count twice), at
-- lag = takeback date − original payment date, dev_week = ⌊lag / 7⌋.
-- Takebacks not linked to an original payment cannot be placed in a cohort and are not here.
--   payer_name            dim_payers;
--   cumulative_share      cumulative takeback after dev_week weeks / cohort paid;
--   cumulative_net_share  the same net of corrections, each correction at its own lag;
--   complete              every claim of the month has had dev_week + 1 full weeks by as_of
--                         (the cell is final); cells of cohorts younger than dev_week are absent;
--   mature, cohort_rate   a cohort is mature once complete at maturity_weeks (26); cohort_rate is its
--                         cumulative share then (net_cohort_rate net of corrections), on every row of
--                         the cohort, NULL before it matures.
with

params as (
    select
        52 as max_dev_weeks,
        26 as maturity_weeks,
        (select as_of from int_as_of) as as_of
),

payments as (
    select payer_id, period as cohort_month, sum(paid) as cohort_paid
    from int_daily_payments
    group by payer_id, period
),

events as (
    select * from int_takeback_events
    where is_takeback_event
        and original_payment_date is not null
        and original_payment_date <= payment_date
),

-- Each takeback at its lag, and each correction (negative) at the lag it was paid.
developments as (
    select
        payer_id,
        cast(date_trunc('month', original_payment_date) as date) as cohort_month,
        date_diff('day', original_payment_date, payment_date) // 7 as dev_week,
        disputable_amount as takeback,
        disputable_amount as net_takeback,
        1 as takeback_count
    from events
    union all
    select
        payer_id,
        cast(date_trunc('month', original_payment_date) as date),
        date_diff('day', original_payment_date, correction_payment_date) // 7,
        0,
        -correction_repaid,
        0
    from events
    where correction_payment_date is not null and correction_repaid <> 0
),

by_week as (
    select
        payer_id,
        cohort_month,
        dev_week,
        sum(takeback) as takeback,
        sum(net_takeback) as net_takeback,
        sum(takeback_count) as takeback_count
    from developments, params
    where dev_week between 0 and params.max_dev_weeks
    group by payer_id, cohort_month, dev_week
),

cells as (
    select
        p.payer_id,
        p.cohort_month,
        cast(k.range as integer) as dev_week,
        p.cohort_paid,
        -- The last payment day of the month has had dev_week + 1 full weeks.
        cast(p.cohort_month + interval 1 month as date) - 1 + 7 * (cast(k.range as integer) + 1)
            <= params.as_of + 1 as complete
    from payments as p
    cross join params
    cross join range(0, 53) as k
    where k.range <= params.max_dev_weeks
        and p.cohort_month + 7 * cast(k.range as integer) <= params.as_of
        and p.cohort_paid <> 0
),

developed as (
    select
        c.*,
        coalesce(w.takeback, 0) as takeback,
        coalesce(w.takeback_count, 0) as takeback_count,
        sum(coalesce(w.takeback, 0)) over cohort as cumulative_takeback,
        sum(coalesce(w.net_takeback, 0)) over cohort as cumulative_net_takeback
    from cells as c
    left join by_week as w
        on w.payer_id = c.payer_id
        and w.cohort_month = c.cohort_month
        and w.dev_week = c.dev_week
    window cohort as (
        partition by c.payer_id, c.cohort_month order by c.dev_week
        rows between unbounded preceding and current row
    )
),

rates as (
    select
        payer_id,
        cohort_month,
        round(cast(cumulative_takeback as double) / cast(cohort_paid as double), 6) as cohort_rate,
        round(cast(cumulative_net_takeback as double) / cast(cohort_paid as double), 6) as net_cohort_rate
    from developed, params
    where dev_week = params.maturity_weeks and complete
),

final as (
    select
        d.payer_id,
        n.payer_name,
        d.cohort_month,
        d.dev_week,
        cast(d.cohort_paid as decimal(18, 2)) as cohort_paid,
        cast(d.takeback as decimal(18, 2)) as takeback,
        cast(d.takeback_count as bigint) as takeback_count,
        cast(d.cumulative_takeback as decimal(18, 2)) as cumulative_takeback,
        cast(d.cumulative_net_takeback as decimal(18, 2)) as cumulative_net_takeback,
        round(cast(d.cumulative_takeback as double) / cast(d.cohort_paid as double), 6) as cumulative_share,
        round(cast(d.cumulative_net_takeback as double) / cast(d.cohort_paid as double), 6)
            as cumulative_net_share,
        d.complete,
        r.cohort_rate is not null as mature,
        r.cohort_rate,
        r.net_cohort_rate,
        params.maturity_weeks,
        params.as_of
    from developed as d
    cross join params
    left join dim_payers as n
        on n.payer_id = d.payer_id
    left join rates as r
        on r.payer_id = d.payer_id
        and r.cohort_month = d.cohort_month
)

select * from final
order by payer_id, cohort_month, dev_week
