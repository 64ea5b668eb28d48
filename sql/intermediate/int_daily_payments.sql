-- grain: payer_id × provider_npi × payment_date: what each payer paid each provider on each day,
-- on non-reversal claims (DESIGN.md "paid"), with the claims counted. The marts that sum payments
-- by period read this instead of every claim; sums of it are exact (DECIMAL) and additive, so a
-- partitioned build merges it by union.
with

claim_payments as (
    select * from int_claim_payments
),

final as (
    select
        payer_id,
        provider_npi,
        payment_date,
        week_start,
        period,
        cast(sum(paid) as decimal(18, 2)) as paid,
        cast(count(*) as bigint) as claim_count
    from claim_payments
    group by payer_id, provider_npi, payment_date, week_start, period
)

select * from final
