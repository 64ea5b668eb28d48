-- Offending rows: a reversal linked to more than one correction, or a correction that repays
-- more than one reversal.
select 'reversal' as side, remit_id, claim_seq, count(*) as links
from int_reversal_links
group by remit_id, claim_seq
having count(*) > 1
union all
select 'correction', correction_remit_id, correction_claim_seq, count(*)
from int_reversal_links
where correction_remit_id is not null
group by correction_remit_id, correction_claim_seq
having count(*) > 1
