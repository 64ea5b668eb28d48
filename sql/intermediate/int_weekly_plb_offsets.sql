-- grain: payer_id × payment_date × reason_code × reference_id × is_negative, for the PLB codes that
-- schedule future offsets: FB (−x carried to a later 835, +x applied) and WO (−x deferred recovery,
-- +x recovered; X12 RFI 227). One small table, so the forecast does not rescan the lake.
with

adjustments as (
    select * from adjustments
    where level = 'provider'
        and reason_code in ('FB', 'WO')
        and payment_date is not null
),

final as (
    select
        payer_id,
        payment_date,
        cast(date_trunc('week', payment_date) as date) as week_start,
        reason_code,
        reference_id,
        amount < 0 as is_negative,
        cast(sum(amount) as decimal(18, 2)) as amount,
        count(*) as pair_count
    from adjustments
    group by all
)

select * from final
