-- grain: payer_id × week_start (Monday). Weekly payment cohorts: what each payer paid on
-- non-reversal claims in the week. Weeks without a payment have no row; consumers zero-fill.
with

claim_payments as (
    select * from int_claim_payments
),

final as (
    select
        payer_id,
        week_start,
        cast(sum(paid) as decimal(18, 2)) as paid,
        count(*) as claim_count
    from claim_payments
    group by payer_id, week_start
)

select * from final
