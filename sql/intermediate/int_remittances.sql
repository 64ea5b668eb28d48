-- grain: one 835 transaction = remit_id, with what its claims are dated and keyed by: the
-- production date (a missing BPR16's stand-in), the payee and the payee's NPI; and the file it
-- came in and when (source_key, ingested_at), which period_restatements reads for late files.
with

remittances as (
    select * from stg_remittances
),

final as (
    select
        remit_id,
        payer_id,
        payee_id,
        payee_npi,
        payment_date,
        production_date,
        source_key,
        ingested_at
    from remittances
)

select * from final
