-- grain: payer_id × week_start (Monday), every week from the payer's first payment or takeback
-- week to the as-of week, zero-filled: the history the liquidity forecast learns from.
--   paid      what the payer paid that week (int_weekly_payments; 0 without payments);
--   exposure  the payments at risk: the mean weekly paid of the 8 weeks to it (of those observed);
--   target    the takebacks the forecast's quantiles describe: development + level
--             (int_weekly_takeback_development; deferral repayments are scheduled offsets,
--             forecast apart: int_forecast_wo_deferrals). Amounts are DOUBLE: they feed rates.
with

as_of as (
    select as_of_week from int_as_of
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

targets as (
    select
        payer_id,
        week_start,
        cast(sum(takeback) filter (where component in ('development', 'level')) as double) as target
    from development
    group by payer_id, week_start
)

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
left join targets as t
    on t.payer_id = payers.payer_id
    and t.week_start = w.week_start
