-- Offending rows: a link that is not one-to-one where it must be (DESIGN.md "correction repaid"):
-- a reversal with more than one row (so more than one original or correction), a correction that
-- repays more than one reversal, a PLB recovery pair with more than one row (so more than one
-- claim), a correction that is also its own reversal's original, or a link_rule outside the
-- contract's names (NULL exactly when there is no link).
select 'reversal' as side, remit_id, claim_seq, count(*) as links, null as link_rule
from int_reversal_links
group by remit_id, claim_seq
having count(*) > 1
union all
select 'correction', correction_remit_id, correction_claim_seq, count(*), null
from int_reversal_links
where correction_remit_id is not null
group by correction_remit_id, correction_claim_seq
having count(*) > 1
union all
select 'plb', remit_id, adjustment_seq, count(*), null
from int_plb_links
group by remit_id, adjustment_seq
having count(*) > 1
union all
select 'correction_is_original', remit_id, claim_seq, 1, link_rule
from int_reversal_links
where correction_remit_id = original_remit_id and correction_claim_seq = original_claim_seq
union all
select 'reversal_rule', remit_id, claim_seq, 1, link_rule
from int_reversal_links
where (correction_remit_id is null) <> (link_rule is null)
    or link_rule not in (
        'original_reference', 'payer_claim_control', 'claim_id_service_dates', 'claim_id_charge', 'claim_id'
    )
    or (original_remit_id is null) <> (original_link_rule is null)
    or original_link_rule not in (
        'original_reference', 'payer_claim_control', 'claim_id_service_dates', 'claim_id_charge', 'claim_id'
    )
union all
select 'plb_rule', remit_id, adjustment_seq, 1, link_rule
from int_plb_links
where linked <> (link_rule is not null)
    or link_rule not in ('icn', 'claim_id', 'composite_icn', 'composite_claim_id')
