-- grain: one PLB pair (level provider) = remit_id × adjustment_seq, paid on or before
-- build_params.as_of. Amounts keep the 835 sign: positive = taken from the provider.
with

adjustments as (
    select * from stg_adjustments where level = 'provider'
),

remittances as (
    select remit_id, production_date from int_remittances
),

params as (
    select as_of from int_as_of
),

dated as (
    select
        adjustments.*,
        coalesce(adjustments.payment_date, remittances.production_date) as paid_on
    from adjustments
    left join remittances
        on remittances.remit_id = adjustments.remit_id
),

final as (
    select
        dated.payer_id,
        dated.remit_id,
        dated.adjustment_seq,
        dated.reason_code,
        dated.reference_id,
        dated.amount,
        dated.category,
        dated.reason_code in ('WO', 'WU', 'OB', '72') as is_recovery,
        -- PLB01, unless the reader linked the pair to a claim of the same 835.
        dated.provider_npi,
        dated.fiscal_period_date,
        dated.paid_on as payment_date,
        cast(date_trunc('week', dated.paid_on) as date) as week_start,
        cast(date_trunc('month', dated.paid_on) as date) as period
    from dated, params
    where dated.paid_on <= params.as_of
)

select * from final
