-- Offending rows: a reversal linked to an original or a correction for which the rule it names
-- (link_rule, original_link_rule) does not hold, or that belongs to another payer, or (by a
-- CLP01 rule) to another payee; a correction that is not after its reversal (later in the same
-- 835, a later 835, or another 835 of the same payment date), an original that is not before it.
with

claims as (
    select * from int_claims
),

links as (
    select 'correction' as side, remit_id, claim_seq, correction_remit_id as other_remit_id,
        correction_claim_seq as other_claim_seq, link_rule as rule
    from int_reversal_links
    where correction_remit_id is not null or link_rule is not null
    union all
    select 'original', remit_id, claim_seq, original_remit_id, original_claim_seq, original_link_rule
    from int_reversal_links
    where original_remit_id is not null or original_link_rule is not null
),

checked as (
    select
        l.side,
        l.remit_id,
        l.claim_seq,
        l.rule,
        r.claim_id,
        o.claim_id as other_claim_id,
        o.remit_id is not null as other_found,
        o.payer_id = r.payer_id as same_payer,
        o.claim_id = r.claim_id and o.payee_id is not distinct from r.payee_id as same_account,
        coalesce(o.service_date <> r.service_date or o.statement_to <> r.statement_to, false) as dates_conflict,
        coalesce(o.service_date = r.service_date, false) as dates_known_equal,
        case l.side
            when 'correction' then coalesce(
                o.original_reference = r.payer_claim_control or o.original_reference = r.original_reference, false
            )
            else coalesce(r.original_reference = o.payer_claim_control, false)
        end as names_claim,
        coalesce(o.payer_claim_control = r.payer_claim_control, false) as same_icn,
        coalesce(o.charge_amount = -r.charge_amount, false) as same_charge,
        case
            when o.remit_id = r.remit_id then o.claim_seq > r.claim_seq
            else o.payment_date >= r.payment_date
        end as other_after,
        case
            when o.remit_id = r.remit_id then o.claim_seq < r.claim_seq
            else o.payment_date <= r.payment_date
        end as other_before
    from links as l
    join claims as r
        on r.remit_id = l.remit_id
        and r.claim_seq = l.claim_seq
    left join claims as o
        on o.remit_id = l.other_remit_id
        and o.claim_seq = l.other_claim_seq
)

select side, remit_id, claim_seq, rule, other_found, same_payer, same_account, dates_conflict
from checked
where not other_found
    or rule is null
    or not same_payer
    or (side = 'correction' and not other_after)
    or (side = 'original' and not other_before)
    or not case rule
        when 'original_reference' then names_claim
        when 'payer_claim_control' then same_icn
        when 'claim_id_service_dates' then same_account and dates_known_equal and not dates_conflict
        when 'claim_id_charge' then same_account and not dates_conflict and same_charge
        when 'claim_id' then same_account and not dates_conflict
        else false
    end
