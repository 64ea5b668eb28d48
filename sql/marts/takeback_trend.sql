-- grain: grain × payer_id × period_start: grain 'week' (Monday weeks) or 'month' (first of the
-- month), every period from the payer's first payment or takeback to build_params.as_of, zero-filled.
-- Period by payment date (BPR16).
--   payer_name      dim_payers;
--   partial_period  the week or month is not wholly covered: it ends after build_params.as_of, or
--                   starts before the payer's first payment or takeback, so its figures are of part
--                   of a period (a rate on 9 days of a month).
with

params as (
    select as_of from int_as_of
),

-- Daily sums of the claims (int_daily_payments), not every claim: the sums below are the same.
payments as (
    select * from int_daily_payments
),

takebacks as (
    select * from int_takebacks
),

facts as (
    select
        payer_id, payment_date, paid, 0 as takeback, 0 as reversal_takeback, 0 as plb_recovery,
        0 as net_takeback, claim_count, 0 as takeback_count
    from payments
    union all
    select
        payer_id, payment_date, 0, amount,
        case when kind = 'reversal' then amount else 0 end,
        case when kind = 'plb' then amount else 0 end,
        net_amount, 0, 1
    from takebacks
),

grains as (
    select 'week' as grain, interval 7 day as step
    union all
    select 'month', interval 1 month
),

payer_periods as (
    select
        g.grain,
        any_value(g.step) as step,
        min(f.payment_date) as first_date,
        f.payer_id,
        cast(unnest(generate_series(
            cast(date_trunc(g.grain, min(f.payment_date)) as date),
            cast(date_trunc(g.grain, any_value(params.as_of)) as date),
            any_value(g.step)
        )) as date) as period_start
    from facts as f
    cross join grains as g
    cross join params
    group by g.grain, f.payer_id
),

sums as (
    select
        g.grain,
        f.payer_id,
        cast(date_trunc(g.grain, f.payment_date) as date) as period_start,
        sum(f.paid) as paid,
        sum(f.takeback) as takeback,
        sum(f.reversal_takeback) as reversal_takeback,
        sum(f.plb_recovery) as plb_recovery,
        sum(f.net_takeback) as net_takeback,
        sum(f.claim_count) as claim_count,
        sum(f.takeback_count) as takeback_count
    from facts as f
    cross join grains as g
    group by all
),

final as (
    select
        pp.grain,
        pp.payer_id,
        n.payer_name,
        pp.period_start,
        cast(coalesce(s.paid, 0) as decimal(18, 2)) as paid,
        cast(coalesce(s.takeback, 0) as decimal(18, 2)) as takeback,
        cast(coalesce(s.reversal_takeback, 0) as decimal(18, 2)) as reversal_takeback,
        cast(coalesce(s.plb_recovery, 0) as decimal(18, 2)) as plb_recovery,
        cast(coalesce(s.net_takeback, 0) as decimal(18, 2)) as net_takeback,
        case when coalesce(s.paid, 0) <> 0 then round(cast(s.takeback as double) / cast(s.paid as double), 6) end
            as recoupment_rate,
        case when coalesce(s.paid, 0) <> 0
            then round(cast(s.net_takeback as double) / cast(s.paid as double), 6)
        end as net_recoupment_rate,
        cast(coalesce(s.claim_count, 0) as bigint) as claim_count,
        cast(coalesce(s.takeback_count, 0) as bigint) as takeback_count,
        cast(pp.period_start + pp.step as date) - 1 > params.as_of or pp.period_start < pp.first_date
            as partial_period
    from payer_periods as pp
    cross join params
    left join dim_payers as n
        on n.payer_id = pp.payer_id
    left join sums as s
        on s.grain = pp.grain
        and s.payer_id = pp.payer_id
        and s.period_start = pp.period_start
)

select * from final
order by grain, payer_id, period_start
