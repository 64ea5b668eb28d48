-- grain: one CAS triplet (claim or service level) or one PLB pair (provider level) =
-- remit_id × adjustment_seq. Renames and casts the lake view only (and reads carc_cause alike on
-- every lake, below).
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
        -- The class of the row's own CARC (the lake's cause: taxonomy CARC_CAUSES, as ref_carc_cause),
        -- NULL on a reversal's rows and PLB rows: a takeback's cause is int_reversal_causes' and
        -- int_takebacks' (docs/models.md "Cause of a takeback"). Lakes written before that rule hold
        -- the reader's one-file guess on those rows; it is dropped here, so every lake reads alike.
        case
            when level = 'provider' or claim_status = '22' then cast(null as varchar)
            else cast(cause as varchar)
        end as carc_cause,
        cast(provider_npi as varchar) as provider_npi,
        cast(fiscal_period_date as date) as fiscal_period_date,
        cast(payment_date as date) as payment_date
    from source
)

select * from renamed
