-- Offending rows: a link made on a patient account number (CLP01) that names another claim: a
-- reversal linked to an original or correction of another payee, or whose known service dates
-- differ (the account number reused for another visit, issue 24 case 1), when neither the ICN
-- (CLP07) nor REF*F8 ties the two; or a PLB recovery linked by CLP01 to a claim of another payee.
with

claims as (
    select * from int_claims
),

plb_payees as (
    select p.remit_id, p.adjustment_seq, p.claim_remit_id, p.claim_claim_seq, p.link_rule, r.payee_id
    from int_plb_links as p
    left join stg_remittances as r
        on r.remit_id = p.remit_id
    where p.link_rule in ('claim_id', 'composite_claim_id')
),

reversal_pairs as (
    select 'correction' as side, remit_id, claim_seq, correction_remit_id as other_remit_id,
        correction_claim_seq as other_claim_seq
    from int_reversal_links
    where correction_remit_id is not null
    union all
    select 'original', remit_id, claim_seq, original_remit_id, original_claim_seq
    from int_reversal_links
    where original_remit_id is not null
)

select
    p.side,
    p.remit_id,
    p.claim_seq as seq,
    o.payee_id is distinct from r.payee_id as other_payee,
    coalesce(o.service_date <> r.service_date or o.statement_to <> r.statement_to, false) as other_dates
from reversal_pairs as p
join claims as r
    on r.remit_id = p.remit_id
    and r.claim_seq = p.claim_seq
join claims as o
    on o.remit_id = p.other_remit_id
    and o.claim_seq = p.other_claim_seq
where (
        o.payee_id is distinct from r.payee_id
        or coalesce(o.service_date <> r.service_date or o.statement_to <> r.statement_to, false)
    )
    and not coalesce(o.payer_claim_control = r.payer_claim_control, false)
    and not coalesce(o.original_reference = r.payer_claim_control, false)
    and not coalesce(o.original_reference = r.original_reference, false)
    and not coalesce(r.original_reference = o.payer_claim_control, false)
union all
select 'plb', p.remit_id, p.adjustment_seq, true, false
from plb_payees as p
join claims as c
    on c.remit_id = p.claim_remit_id
    and c.claim_seq = p.claim_claim_seq
where c.payee_id is distinct from p.payee_id
