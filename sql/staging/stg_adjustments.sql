-- grain: one CAS triplet (claim or service level) or one PLB pair (provider level) =
-- remit_id × adjustment_seq. Renames and casts the lake view only.
with

source as (
    select * from adjustments
),

renamed as (
    select
        cast(remit_id as varchar) as remit_id,
        cast(payer_id as varchar) as payer_id,
        cast(adjustment_seq as integer) as adjustment_seq,
        cast(level as varchar) as level,
        cast(claim_seq as integer) as claim_seq,
        cast(claim_id as varchar) as claim_id,
        cast(claim_status as varchar) as claim_status,
        cast(payer_claim_control as varchar) as payer_claim_control,
        cast(procedure_code as varchar) as procedure_code,
        cast(group_code as varchar) as group_code,
        cast(reason_code as varchar) as reason_code,
        cast(reference_id as varchar) as reference_id,
        cast(amount as decimal(18, 2)) as amount,
        cast(category as varchar) as category,
        -- The reader's cause sees one file only; int_reversal_causes links across files.
        cast(cause as varchar) as in_file_cause,
        cast(provider_npi as varchar) as provider_npi,
        cast(fiscal_period_date as date) as fiscal_period_date,
        cast(payment_date as date) as payment_date
    from source
)

select * from renamed
