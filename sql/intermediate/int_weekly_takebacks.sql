-- grain: payer_id × cause × week_start (Monday). Gross takeback (DESIGN.md: reversal takeback +
-- signed PLB recovery) by the week it was taken, the series the spike alerts watch, with the number
-- of takeback events behind it (takeback_event_count: reversals and offsets, int_takeback_events;
-- deferrals, their repayments and refunds move money but are no takeback of their own).
with

takebacks as (
    select * from int_takeback_events
),

final as (
    select
        payer_id,
        coalesce(cause, 'unspecified') as cause,
        week_start,
        cast(sum(amount) as decimal(18, 2)) as takeback,
        cast(sum(net_amount) as decimal(18, 2)) as net_takeback,
        count(*) as takeback_count,
        count(*) filter (where is_takeback_event) as takeback_event_count
    from takebacks
    group by payer_id, coalesce(cause, 'unspecified'), week_start
)

select * from final
