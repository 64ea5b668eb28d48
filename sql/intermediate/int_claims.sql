-- grain: one CLP loop = remit_id × claim_seq, paid on or before build_params.as_of.
-- Adds the effective payment date (BPR16, else the production date when BPR16 is missing) and
-- claim_pos, the claim's place in its payer × CLP01 history (payment date, remittance, CLP order),
-- which orders reversals, originals and corrections of one claim. Computed in int_claim_history.
-- materialized: view
with

history as (
    select * from int_claim_history
),

remittances as (
    select distinct remit_id, remit_order from int_remittances
),

final as (
    select
        history.payer_id,
        remittances.remit_id,
        history.claim_seq,
        history.claim_id,
        history.payer_claim_control,
        history.status_code,
        history.status_code = '22' as is_reversal,
        history.frequency_code,
        history.paid_amount,
        history.charge_amount,
        history.provider_npi,
        history.remark_codes,
        history.payment_date,
        cast(date_trunc('week', history.payment_date) as date) as week_start,
        cast(date_trunc('month', history.payment_date) as date) as period,
        history.claim_pos
    from history
    join remittances
        on remittances.remit_order = history.remit_order
)

select * from final
