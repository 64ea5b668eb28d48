-- grain: one CLP loop = remit_id × claim_seq. Renames and casts the lake view only.
with

source as (
    select * from claims
),

renamed as (
    select
        cast(remit_id as varchar) as remit_id,
        cast(payer_id as varchar) as payer_id,
        cast(claim_seq as integer) as claim_seq,
        cast(claim_id as varchar) as claim_id,
        cast(status_code as varchar) as status_code,
        cast(charge_amount as decimal(18, 2)) as charge_amount,
        cast(paid_amount as decimal(18, 2)) as paid_amount,
        cast(patient_responsibility as decimal(18, 2)) as patient_responsibility,
        cast(filing_indicator as varchar) as filing_indicator,
        cast(payer_claim_control as varchar) as payer_claim_control,
        cast(original_reference as varchar) as original_reference,
        cast(facility_code as varchar) as facility_code,
        cast(frequency_code as varchar) as frequency_code,
        cast(rendering_npi as varchar) as rendering_npi,
        cast(payee_npi as varchar) as payee_npi,
        cast(provider_npi as varchar) as provider_npi,
        cast(service_date as date) as service_date,
        cast(statement_from as date) as statement_from,
        cast(statement_to as date) as statement_to,
        cast(payment_date as date) as payment_date,
        cast(is_reversal as boolean) as is_reversal,
        cast(remark_codes as varchar) as remark_codes,
        cast(balanced as boolean) as is_balanced
    from source
)

select * from renamed
