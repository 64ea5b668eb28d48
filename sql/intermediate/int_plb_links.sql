-- grain: one PLB recovery pair (reason WO, WU, OB or 72) = remit_id × adjustment_seq, with the one
-- claim its reference (PLB03-2) names and the reversal of that claim.
-- Claim, same payer, by the first rule that holds (link_rule):
--   icn                 the reference is a claim's ICN (CLP07);
--   claim_id            the reference is a CLP01 of the same payee;
--   composite_icn       a token of the reference is an ICN;
--   composite_claim_id  a token of the reference is a CLP01 of the same payee.
-- Tokens (DOMAIN.md §6: ICN alone, ICN + HIC or member number, "PTACCT CCYYMMDD CLAIM#"): the
-- reference split at spaces (the lake keeps the claim-identifying tokens separated by single
-- spaces), then at every other delimiter ("ICN123-HIC", "ICN123/HIC", as older lakes hold them);
-- tokens of fewer than 3 characters name nothing. Earlier tokens first.
-- Among the claims a rule finds: a paid claim (CLP02 ≠ 22) before a reversal, the latest paid on
-- or before the PLB's date, else the earliest after it.
-- Reversal (for the cause): the named claim when it is a reversal; else the reversal whose original
-- (int_reversal_links) is the named claim, the latest on or before the PLB, else the earliest
-- after; else a reversal the reference names by the same rules.
with

remittances as (
    select remit_id, payee_id from int_remittances
),

-- Plan (not logic): plb_key numbers the pairs, so the joins and windows below key on an integer
-- rather than on remit_id (a long string) and adjustment_seq; materialized, so every reader sees
-- the same numbers.
plbs as materialized (
    select
        p.payer_id,
        p.remit_id,
        p.adjustment_seq,
        p.reason_code,
        p.reference_id,
        p.amount,
        p.payment_date,
        p.week_start,
        p.period,
        p.fiscal_period_date,
        p.provider_npi,
        r.payee_id,
        nullif(trim(p.reference_id), '') as reference,
        row_number() over () as plb_key
    from int_provider_adjustments as p
    left join remittances as r
        on r.remit_id = p.remit_id
    where p.is_recovery
),

all_claims as (
    select
        payer_id,
        remit_id,
        claim_seq,
        claim_id,
        payer_claim_control,
        payee_id,
        is_reversal,
        paid_amount,
        provider_npi,
        payment_date
    from int_claims
),

reversal_links as (
    select * from int_reversal_links
),

split_references as (
    select
        plb_key,
        reference,
        string_split_regex(reference, '\s+') as spaced,
        string_split_regex(reference, '[^A-Za-z0-9]+') as alphanumeric
    from plbs
    where reference is not null
),

token_rows as (
    select plb_key, reference, unnest(spaced) as token, generate_subscripts(spaced, 1) as pos
    from split_references
    union all
    select
        plb_key,
        reference,
        unnest(alphanumeric) as token,
        1000 + generate_subscripts(alphanumeric, 1) as pos
    from split_references
),

tokens as (
    select plb_key, token, min(pos) as pos
    from token_rows
    where length(token) >= 3
        and token <> reference
    group by plb_key, token
),

-- Plan (not logic): only the claims whose ICN or CLP01 is a reference or a token, so the joins
-- below hash a few claims rather than every claim.
names as (
    select p.payer_id, p.reference as name from plbs as p where p.reference is not null
    union
    select p.payer_id, t.token
    from plbs as p
    join tokens as t
        on t.plb_key = p.plb_key
),

claims as (
    select *
    from all_claims
    where (payer_id, payer_claim_control) in (select payer_id, name from names)
        or (payer_id, claim_id) in (select payer_id, name from names)
),

candidates as (
    select p.plb_key, p.payment_date as plb_payment_date, 1 as match_rank, 0 as pos, c.*
    from plbs as p
    join claims as c
        on c.payer_id = p.payer_id
        and c.payer_claim_control = p.reference
    union all
    select p.plb_key, p.payment_date, 2, 0, c.*
    from plbs as p
    join claims as c
        on c.payer_id = p.payer_id
        and c.claim_id = p.reference
        and c.payee_id is not distinct from p.payee_id
    union all
    select p.plb_key, p.payment_date, 3, t.pos, c.*
    from plbs as p
    join tokens as t
        on t.plb_key = p.plb_key
    join claims as c
        on c.payer_id = p.payer_id
        and c.payer_claim_control = t.token
    union all
    select p.plb_key, p.payment_date, 4, t.pos, c.*
    from plbs as p
    join tokens as t
        on t.plb_key = p.plb_key
    join claims as c
        on c.payer_id = p.payer_id
        and c.claim_id = t.token
        and c.payee_id is not distinct from p.payee_id
),

-- Candidates in order of preference: by rule and token, then paid before reversal, then nearest
-- the PLB.
ranked as (
    select
        *,
        row_number() over (
            partition by c.plb_key
            order by
                c.match_rank,
                c.pos,
                c.is_reversal,
                c.payment_date > c.plb_payment_date,
                abs(date_diff('day', c.payment_date, c.plb_payment_date)),
                c.payment_date desc,
                c.remit_id,
                c.claim_seq
        ) as preference
    from candidates as c
),

-- The claim the reference names: the first candidate.
named_claims as (
    select * exclude (preference) from ranked where preference = 1
),

-- A reversal the reference names, by the same rules (for a named paid claim without one): the
-- first reversal among the candidates.
named_reversals as (
    select plb_key, remit_id, claim_seq
    from ranked
    where is_reversal
    qualify row_number() over (partition by plb_key order by preference) = 1
),

-- The reversal of the named paid claim, nearest the PLB.
reversals_of_named as (
    select
        n.plb_key,
        l.remit_id,
        l.claim_seq,
        row_number() over (
            partition by n.plb_key
            order by
                l.payment_date > n.plb_payment_date,
                abs(date_diff('day', l.payment_date, n.plb_payment_date)),
                l.payment_date desc,
                l.remit_id,
                l.claim_seq
        ) as preference
    from named_claims as n
    join reversal_links as l
        on l.original_remit_id = n.remit_id
        and l.original_claim_seq = n.claim_seq
    where not n.is_reversal
),

rule_names as (
    select * from (values
        (1, 'icn'),
        (2, 'claim_id'),
        (3, 'composite_icn'),
        (4, 'composite_claim_id')
    ) as t (match_rank, link_rule)
),

final as (
    select
        p.payer_id,
        p.remit_id,
        p.adjustment_seq,
        p.reason_code,
        p.reference_id,
        p.amount,
        p.payment_date,
        p.week_start,
        p.period,
        p.fiscal_period_date,
        p.provider_npi as plb_provider_npi,
        c.remit_id as claim_remit_id,
        c.claim_seq as claim_claim_seq,
        c.claim_id,
        c.payer_claim_control,
        c.is_reversal as claim_is_reversal,
        c.payment_date as claim_payment_date,
        c.provider_npi as claim_provider_npi,
        c.paid_amount as claim_paid,
        case
            when c.is_reversal then c.remit_id
            when o.remit_id is not null then o.remit_id
            else r.remit_id
        end as reversal_remit_id,
        case
            when c.is_reversal then c.claim_seq
            when o.remit_id is not null then o.claim_seq
            else r.claim_seq
        end as reversal_claim_seq,
        c.remit_id is not null as linked,
        n.link_rule
    from plbs as p
    left join named_claims as c
        on c.plb_key = p.plb_key
    left join reversals_of_named as o
        on o.plb_key = p.plb_key
        and o.preference = 1
    left join named_reversals as r
        on r.plb_key = p.plb_key
    left join rule_names as n
        on n.match_rank = c.match_rank
)

select * from final
