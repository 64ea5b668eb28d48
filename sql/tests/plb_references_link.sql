-- Offending rows: a PLB recovery pair left unlinked although its reference (PLB03-2), whole or one
-- of its tokens (split at spaces or at any other delimiter: ICN + HIC or member number, "PTACCT
-- CCYYMMDD CLAIM#"; DOMAIN.md §6), is the ICN, or a CLP01 of the same payee, of a claim of the same
-- payer (issue 24 case 3); or a PLB linked to a claim by a rule that does not hold.
with

claims as (
    select * from int_claims
),

plbs as (
    select p.*, r.payee_id, trim(p.reference_id) as reference
    from int_plb_links as p
    left join stg_remittances as r
        on r.remit_id = p.remit_id
),

tokens as (
    select distinct remit_id, adjustment_seq, token
    from (
        select remit_id, adjustment_seq, unnest(string_split_regex(reference, '[^A-Za-z0-9]+')) as token
        from plbs
        union all
        select remit_id, adjustment_seq, unnest(string_split_regex(reference, '\s+'))
        from plbs
    )
    where length(token) >= 3
),

-- Every reference and token of an unlinked pair, looked up by equality (joins, not a scan).
unlinked_names as (
    select remit_id, adjustment_seq, payer_id, payee_id, reference as name
    from plbs
    where not linked and reference is not null
    union
    select p.remit_id, p.adjustment_seq, p.payer_id, p.payee_id, t.token
    from plbs as p
    join tokens as t
        on t.remit_id = p.remit_id
        and t.adjustment_seq = p.adjustment_seq
    where not p.linked
),

unlinked_but_named as (
    select distinct p.remit_id, p.adjustment_seq, p.reference_id, cast(null as varchar) as link_rule
    from plbs as p
    join (
        select n.remit_id, n.adjustment_seq
        from unlinked_names as n
        join claims as c
            on c.payer_id = n.payer_id
            and c.payer_claim_control = n.name
        union all
        select n.remit_id, n.adjustment_seq
        from unlinked_names as n
        join claims as c
            on c.payer_id = n.payer_id
            and c.claim_id = n.name
            and c.payee_id is not distinct from n.payee_id
    ) as named
        on named.remit_id = p.remit_id
        and named.adjustment_seq = p.adjustment_seq
),

rule_fails as (
    select p.remit_id, p.adjustment_seq, p.reference_id, p.link_rule
    from plbs as p
    left join claims as c
        on c.remit_id = p.claim_remit_id
        and c.claim_seq = p.claim_claim_seq
    where p.linked
        and not coalesce(
            case p.link_rule
                when 'icn' then c.payer_claim_control = p.reference
                when 'claim_id' then c.claim_id = p.reference and c.payee_id is not distinct from p.payee_id
                when 'composite_icn' then exists (
                    select 1 from tokens as t
                    where t.remit_id = p.remit_id and t.adjustment_seq = p.adjustment_seq
                        and t.token = c.payer_claim_control
                )
                when 'composite_claim_id' then c.payee_id is not distinct from p.payee_id and exists (
                    select 1 from tokens as t
                    where t.remit_id = p.remit_id and t.adjustment_seq = p.adjustment_seq
                        and t.token = c.claim_id
                )
                else false
            end,
            false
        )
)

select * from unlinked_but_named
union all
select * from rule_fails
