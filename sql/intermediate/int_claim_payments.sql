-- grain: one non-reversal claim (CLP02 ≠ 22: originals and corrections) = remit_id × claim_seq.
-- paid is CLP04 (DESIGN.md "paid"). Contract for the forecast models: do not drop columns.
-- materialized: view
with

claims as (
    select * from int_claims
),

final as (
    select
        payer_id,
        remit_id,
        claim_seq,
        claim_id,
        payer_claim_control,
        provider_npi,
        payment_date,
        week_start,
        period,
        cast(paid_amount as decimal(18, 2)) as paid
    from claims
    where not is_reversal
)

select * from final
