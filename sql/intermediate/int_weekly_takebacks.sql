-- grain: payer_id × cause × week_start (Monday). Gross takeback (DESIGN.md: reversal takeback +
-- signed PLB recovery) by the week it was taken, the series the spike alerts watch.
with

takebacks as (
    select * from int_takebacks
),

final as (
    select
        payer_id,
        coalesce(cause, 'unspecified') as cause,
        week_start,
        cast(sum(amount) as decimal(18, 2)) as takeback,
        cast(sum(net_amount) as decimal(18, 2)) as net_takeback,
        count(*) as takeback_count
    from takebacks
    group by payer_id, coalesce(cause, 'unspecified'), week_start
)

select * from final
