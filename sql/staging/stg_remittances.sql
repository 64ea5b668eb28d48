-- grain: one 835 transaction (ST..SE) = one remit_id. Renames and casts the lake view only.
with

source as (
    select * from remittances
),

renamed as (
    select
        cast(remit_id as varchar) as remit_id,
        cast(remit_key as varchar) as remit_key,
        cast(content_sha256 as varchar) as content_sha256,
        cast(payer_id as varchar) as payer_id,
        cast(payer_name as varchar) as payer_name,
        cast(payee_id as varchar) as payee_id,
        cast(payee_npi as varchar) as payee_npi,
        cast(payee_name as varchar) as payee_name,
        cast(handling_code as varchar) as handling_code,
        cast(payment_amount as decimal(18, 2)) as payment_amount,
        cast(credit_debit as varchar) as credit_debit,
        cast(payment_method as varchar) as payment_method,
        cast(payment_date as date) as payment_date,
        cast(production_date as date) as production_date,
        cast(trace_number as varchar) as trace_number,
        cast(plb_total as decimal(18, 2)) as plb_total,
        cast(balanced as boolean) as is_balanced,
        cast(source_key as varchar) as source_key,
        cast(ingested_at as timestamp) as ingested_at
    from source
)

select * from renamed
