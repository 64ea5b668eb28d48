-- grain: one CLP loop = remit_id × claim_seq, paid on or before build_params.as_of: what int_claims
-- shows, stored narrow. The remittance is kept as remit_order (int_remittances), which sorts as
-- remit_id does; the 49-character id would cost most of the table's storage and of the sort.
-- claim_pos is the claim's place in its payer × CLP01 history (payment date, remittance, CLP order).
with

claims as (
    select * from stg_claims
),

remittances as (
    select remit_id, production_date, remit_order from int_remittances
),

params as (
    select as_of from int_as_of
),

dated as (
    select
        claims.*,
        coalesce(claims.payment_date, remittances.production_date) as paid_on,
        remittances.remit_order
    from claims
    join remittances
        on remittances.remit_id = claims.remit_id
),

final as (
    select
        dated.payer_id,
        dated.remit_order,
        dated.claim_seq,
        dated.claim_id,
        dated.payer_claim_control,
        dated.status_code,
        dated.frequency_code,
        dated.paid_amount,
        dated.charge_amount,
        dated.provider_npi,
        dated.remark_codes,
        dated.paid_on as payment_date,
        row_number() over (
            partition by dated.payer_id, dated.claim_id
            order by dated.paid_on, dated.remit_order, dated.claim_seq
        ) as claim_pos
    from dated, params
    where dated.paid_on <= params.as_of
)

select * from final
