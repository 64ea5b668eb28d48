-- grain: one CLP loop = remit_id × claim_seq, paid on or before build_params.as_of.
-- Adds the effective payment date (BPR16, else the production date when BPR16 is missing), its
-- week and month, and what identifies the claim for linking (DESIGN.md "correction repaid"):
--   original_reference  REF*F8, the payer's reference of the claim a correction replaces;
--   payer_claim_control CLP07 (ICN);
--   payee_id            the 835's payee (N1*PE: NPI, else TIN, else other id): a patient
--                       account number (CLP01) means something only within one payee;
--   service_date, statement_to  the claim's dates: statement period (DTM*232/233), else the first
--                       service line date (DTM*472); two claims whose known dates differ are
--                       different visits even when their CLP01 is the same (a reused account number).
-- A view: every reader takes a few columns and a few rows (the reversals and the claims that share
-- an identifier with them, or sums by payer and week), which DuckDB reads from the lake's files
-- directly; a table would copy every claim's strings first.
-- materialized: view
with

claims as (
    select * from stg_claims
),

remittances as (
    select remit_id, payee_id, production_date, remit_order from int_remittances
),

params as (
    select as_of from int_as_of
),

dated as (
    select
        claims.*,
        remittances.payee_id,
        remittances.remit_order,
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
        dated.original_reference,
        dated.payee_id,
        dated.status_code,
        dated.status_code = '22' as is_reversal,
        dated.frequency_code,
        dated.paid_amount,
        dated.charge_amount,
        dated.provider_npi,
        dated.remark_codes,
        coalesce(dated.statement_from, dated.service_date) as service_date,
        dated.statement_to,
        dated.paid_on as payment_date,
        cast(date_trunc('week', dated.paid_on) as date) as week_start,
        cast(date_trunc('month', dated.paid_on) as date) as period,
        -- Keys of one build (int_remittances.remit_order): the remittance, and the claim as one
        -- integer sorting as (remit_id, claim_seq) does, so linking joins and sorts on them rather
        -- than on the 49-character id.
        dated.remit_order,
        cast(dated.remit_order as bigint) * 4294967296 + dated.claim_seq as claim_key
    from dated, params
    where dated.paid_on <= params.as_of
)

select * from final
