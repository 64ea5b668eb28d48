-- grain: payer_id × grain × cause × week_start (Monday): the weekly takeback series an alert
-- watches, every week from the payer's first (payment or takeback) to int_as_of.as_of_week,
-- zero-filled: a quiet week is a 0, not a gap.
--   grain     'payer' (cause NULL: all causes) or 'payer_cause' (one cause of int_weekly_takebacks);
--   takeback  gross takeback of the week (int_weekly_takebacks), a double summed from DECIMAL;
--   events    takeback events of the week (reversals and offsets);
--   paid      the payer's payments of the week (int_weekly_payments), on every grain's rows.
with

as_of as (
    select as_of_week from int_as_of
),

weekly as (
    select w.payer_id, w.cause, w.week_start, w.takeback, w.takeback_event_count
    from int_weekly_takebacks as w, as_of
    where w.week_start <= as_of.as_of_week
),

payments as (
    select p.payer_id, p.week_start, p.paid
    from int_weekly_payments as p, as_of
    where p.week_start <= as_of.as_of_week
),

payer_start as (
    select payer_id, min(week_start) as first_week
    from (
        select payer_id, week_start from weekly
        union all
        select payer_id, week_start from payments
    )
    group by payer_id
),

keys as (
    select distinct payer_id, 'payer' as grain, cast(null as varchar) as cause from weekly
    union all
    select distinct payer_id, 'payer_cause' as grain, cause from weekly
)

select
    k.payer_id,
    k.grain,
    k.cause,
    wk.week_start,
    -- Summed as DECIMAL, then made a double: a sum of doubles depends on the order rows
    -- arrive in, and an alert's excess would change in its last cent from run to run.
    cast(coalesce(sum(w.takeback), 0) as double) as takeback,
    coalesce(sum(w.takeback_event_count), 0) as events,
    cast(coalesce(any_value(p.paid), 0) as double) as paid
from keys as k
join payer_start as ps
    on ps.payer_id = k.payer_id
cross join as_of
cross join lateral (
    select cast(unnest(generate_series(ps.first_week, as_of.as_of_week, interval 7 day)) as date)
        as week_start
) as wk
left join weekly as w
    on w.payer_id = k.payer_id
    and w.week_start = wk.week_start
    and (k.grain = 'payer' or w.cause = k.cause)
left join payments as p
    on p.payer_id = k.payer_id
    and p.week_start = wk.week_start
group by k.payer_id, k.grain, k.cause, wk.week_start
