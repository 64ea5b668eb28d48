-- grain: one CLP loop = remit_id × claim_seq, paid on or before build_params.as_of.
-- Adds the effective payment date (BPR16, else the production date when BPR16 is missing) and
-- claim_pos, the claim's place in its payer × CLP01 history (payment date, remittance, CLP order),
-- which orders reversals, originals and corrections of one claim.
with

claims as (
    select * from stg_claims
),

remittances as (
    select remit_id, production_date from stg_remittances
),

params as (
    select as_of from build_params
),

dated as (
    select
        claims.*,
        coalesce(claims.payment_date, remittances.production_date) as paid_on
    from claims
    left join remittances
        on remittances.remit_id = claims.remit_id
),

final as (
    select
        dated.payer_id,
        dated.remit_id,
        dated.claim_seq,
        dated.claim_id,
        dated.payer_claim_control,
        dated.status_code,
        dated.status_code = '22' as is_reversal,
        dated.frequency_code,
        dated.paid_amount,
        dated.charge_amount,
        dated.provider_npi,
        dated.remark_codes,
        dated.paid_on as payment_date,
        cast(date_trunc('week', dated.paid_on) as date) as week_start,
        cast(date_trunc('month', dated.paid_on) as date) as period,
        row_number() over (
            partition by dated.payer_id, dated.claim_id
            order by dated.paid_on, dated.remit_id, dated.claim_seq
        ) as claim_pos
    from dated, params
    where dated.paid_on <= params.as_of
)

select * from final
