-- grain: one CLP loop = remit_id × claim_seq, paid on or before build_params.as_of (int_claims),
-- with what identifies the claim for linking (DESIGN.md "correction repaid"):
--   original_reference  REF*F8, the payer's reference of the claim a correction replaces;
--   payer_claim_control CLP07 (ICN);
--   payee_id            the 835's payee (N1*PE: NPI, else TIN, else other id): a patient
--                       account number (CLP01) means something only within one payee;
--   service_date, statement_to  the claim's dates: statement period (DTM*232/233), else the first
--                       service line date (DTM*472); two claims whose known dates differ are
--                       different visits even when their CLP01 is the same (a reused account number);
--   claim_order         (payment_date, remit_id, claim_seq) as one sortable key.
with

claims as (
    select * from int_claims
),

lake_claims as (
    select
        remit_id,
        claim_seq,
        service_date,
        statement_from,
        statement_to,
        cast(null as varchar) as original_reference
    from stg_claims
),

remittances as (
    select remit_id, payee_id from stg_remittances
),

final as (
    select
        c.payer_id,
        c.remit_id,
        c.claim_seq,
        c.claim_id,
        c.payer_claim_control,
        nullif(trim(l.original_reference), '') as original_reference,
        r.payee_id,
        c.status_code,
        c.is_reversal,
        c.paid_amount,
        c.charge_amount,
        c.provider_npi,
        c.remark_codes,
        coalesce(l.statement_from, l.service_date) as service_date,
        l.statement_to,
        c.payment_date,
        c.week_start,
        c.period,
        c.claim_pos
    from claims as c
    join lake_claims as l
        on l.remit_id = c.remit_id
        and l.claim_seq = c.claim_seq
    left join remittances as r
        on r.remit_id = c.remit_id
)

select * from final
