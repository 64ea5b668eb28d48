-- Offending rows: a reversal left without a correction while a paid claim (CLP02 ≠ 22) of another
-- 835 with the same payer and payment date names it and repays no other reversal (issue 24 case 2:
-- one payment date split across several 835s). Names it: REF*F8 is the reversal's ICN, or the same
-- ICN, or the same payee, CLP01 and known service dates. Its own original does not count.
with

claims as (
    select * from int_claims
),

links as (
    select * from int_reversal_links
),

pending as (
    select r.*, l.original_remit_id, l.original_claim_seq
    from links as l
    join claims as r
        on r.remit_id = l.remit_id
        and r.claim_seq = l.claim_seq
    where l.correction_remit_id is null
),

used as (
    select correction_remit_id as remit_id, correction_claim_seq as claim_seq
    from links
    where correction_remit_id is not null
)

select r.remit_id, r.claim_seq, c.remit_id as free_remit_id, c.claim_seq as free_claim_seq, r.payment_date
from pending as r
join claims as c
    on c.payer_id = r.payer_id
    and c.payment_date = r.payment_date
    and c.remit_id <> r.remit_id
    and not c.is_reversal
where (
        coalesce(c.original_reference = r.payer_claim_control, false)
        or coalesce(c.payer_claim_control = r.payer_claim_control, false)
        or (
            c.claim_id = r.claim_id
            and c.payee_id is not distinct from r.payee_id
            and coalesce(c.service_date = r.service_date, false)
            and coalesce(c.statement_to = r.statement_to, true)
        )
    )
    and not (c.remit_id = r.original_remit_id and c.claim_seq = r.original_claim_seq)
    and not exists (select 1 from used as u where u.remit_id = c.remit_id and u.claim_seq = c.claim_seq)
