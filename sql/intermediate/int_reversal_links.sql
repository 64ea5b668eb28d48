-- grain: one reversal claim (CLP02 = 22) = remit_id × claim_seq, with its original and its correction.
-- A reversal and a paid claim (CLP02 ≠ 22) of the same payer name the same claim by the first rule
-- that holds (DESIGN.md "correction repaid"; docs/models.md "Linking rules"):
--   1 original_reference      REF*F8 names it: the correction's F8 is the reversal's ICN (or the
--                             reversal's own F8); for the original, the reversal's F8 is its ICN;
--   2 payer_claim_control     the same ICN (CLP07);
--   3 claim_id_service_dates  same payee and CLP01, and the same service dates (both known);
--   4 claim_id_charge         same payee and CLP01, dates not known on both sides, the same charge
--                             (the reversal negates it);
--   5 claim_id                same payee and CLP01, dates not known on both sides: a last resort,
--                             only when it is the one such claim.
-- Same payee and CLP01 with known, different dates is a reused account number: never a link.
-- Original: a paid claim before the reversal (an earlier 835, earlier in the same 835, or another
-- 835 of the same payment date); the best rule, then the one whose amounts the reversal negates,
-- then the latest. Several reversals may share an original: original_reversal_seq counts them,
-- and a second one (is_double_reversal) takes the same payment back twice (over-recoupment).
-- Correction: a paid claim after the reversal (later in the same 835, a later 835, or another 835
-- of the same payment date), not its original (a reversal with no original in the lake, paid before
-- the lake began, still has its correction). One-to-one: a reversal and a correction link when
-- each is the other's first choice (best rule, then the nearest in time; a correction prefers a
-- reversal that is not a double reversal); a second round links what the first left free.
with

reversals as (
    select
        *,
        -- The next reversal of the same account, which bounds the last-resort rule 5.
        lead(payment_date) over account as next_reversal_date,
        lead(remit_order) over account as next_reversal_remit_order,
        lead(claim_key) over account as next_reversal_key
    from int_claims
    where is_reversal
    window account as (
        partition by payer_id, payee_id, claim_id
        order by payment_date, claim_key
    )
),

-- Plan (not logic): the paid claims that share an identifier with some reversal, found by
-- semi-joins on a 64-bit hash of (payer, identifier), so the joins below hash a few candidates
-- rather than every claim. A hash collision only adds a candidate (the pairs are made by the exact
-- keys below); string keys made these semi-joins crawl at 100 M rows.
reversal_claim_ids as (
    select distinct hash(payer_id, claim_id) as h from reversals where claim_id is not null
),

-- A reversal's ICN or REF*F8: what a paid claim's ICN or REF*F8 may name.
reversal_references as (
    select distinct hash(payer_id, id) as h
    from (
        select payer_id, payer_claim_control as id from reversals
        union all
        select payer_id, original_reference from reversals
    )
    where id is not null
),

paid_claims as (
    select *
    from int_claims
    where not is_reversal
        and (
            hash(payer_id, claim_id) in (select h from reversal_claim_ids)
            or hash(payer_id, payer_claim_control) in (select h from reversal_references)
            or hash(payer_id, original_reference) in (select h from reversal_references)
        )
),

-- Pairs that share something identifying: a union of equi-joins (an OR join would be a cross product).
-- Plan (not logic): claims are keyed by int_claims.claim_key (one integer for remit_id × claim_seq,
-- sorting as they do) in the joins and windows of this model.
pair_keys as (
    select r.claim_key as r_key, n.claim_key as n_key
    from reversals as r
    join paid_claims as n
        on n.payer_id = r.payer_id
        and n.payer_claim_control = r.payer_claim_control
    union
    select r.claim_key, n.claim_key
    from reversals as r
    join paid_claims as n
        on n.payer_id = r.payer_id
        and n.claim_id = r.claim_id
        and n.payee_id is not distinct from r.payee_id
    union
    select r.claim_key, n.claim_key
    from reversals as r
    join paid_claims as n
        on n.payer_id = r.payer_id
        and n.original_reference = r.payer_claim_control
    union
    select r.claim_key, n.claim_key
    from reversals as r
    join paid_claims as n
        on n.payer_id = r.payer_id
        and n.original_reference = r.original_reference
    union
    select r.claim_key, n.claim_key
    from reversals as r
    join paid_claims as n
        on n.payer_id = r.payer_id
        and n.payer_claim_control = r.original_reference
),

pairs as (
    select
        k.r_key,
        k.n_key,
        r.remit_id as r_remit_id,
        r.claim_seq as r_claim_seq,
        n.remit_id as n_remit_id,
        n.claim_seq as n_claim_seq,
        r.payment_date as r_payment_date,
        n.payment_date as n_payment_date,
        n.paid_amount as n_paid_amount,
        n.payer_claim_control as n_payer_claim_control,
        n.remark_codes as n_remark_codes,
        case
            when n.remit_order = r.remit_order then case when n.claim_seq < r.claim_seq then 'before' else 'after' end
            when n.payment_date < r.payment_date then 'before'
            when n.payment_date > r.payment_date then 'after'
            else 'same_day'
        end as relation,
        n.remit_order = r.remit_order as same_remit,
        abs(date_diff('day', r.payment_date, n.payment_date)) as gap_days,
        n.claim_id = r.claim_id and n.payee_id is not distinct from r.payee_id as same_account,
        coalesce(
            r.service_date <> n.service_date or r.statement_to <> n.statement_to, false
        ) as dates_conflict,
        coalesce(r.service_date = n.service_date, false)
            and coalesce(r.statement_to = n.statement_to, true) as dates_match,
        n.charge_amount = -r.charge_amount as charge_match,
        n.paid_amount = -r.paid_amount and n.charge_amount = -r.charge_amount as amounts_negated,
        r.original_reference = n.payer_claim_control as names_original,
        n.original_reference = r.payer_claim_control or n.original_reference = r.original_reference
            as names_reversed,
        r.payer_claim_control = n.payer_claim_control as same_icn,
        -- Inside the window up to the next reversal of the same account (for rule 5 of corrections).
        r.next_reversal_date is null
            or n.payment_date < r.next_reversal_date
            or (n.payment_date = r.next_reversal_date
                and n.remit_order = r.next_reversal_remit_order
                and n.claim_key < r.next_reversal_key) as before_next_reversal
    from pair_keys as k
    join reversals as r
        on r.claim_key = k.r_key
    join paid_claims as n
        on n.claim_key = k.n_key
),

ruled as (
    select
        *,
        case
            when coalesce(names_original, false) then 1
            when coalesce(same_icn, false) then 2
            when same_account and dates_match then 3
            when same_account and not dates_conflict and coalesce(charge_match, false) then 4
            when same_account and not dates_conflict then 5
        end as original_rank,
        case
            when coalesce(names_reversed, false) then 1
            when coalesce(same_icn, false) then 2
            when same_account and dates_match then 3
            when same_account and not dates_conflict and coalesce(charge_match, false) then 4
            when same_account and not dates_conflict and before_next_reversal then 5
        end as correction_rank
    from pairs
),

original_candidates as (
    select
        *,
        row_number() over (
            partition by r_key
            order by
                original_rank,
                coalesce(amounts_negated, false) desc,
                relation = 'same_day',
                n_payment_date desc,
                n_key desc
        ) as preference,
        count(*) filter (where original_rank = 5) over (partition by r_key) as last_resort_count
    from ruled
    where relation in ('before', 'same_day')
        and original_rank is not null
),

originals as (
    select *
    from original_candidates
    where preference = 1
        and (original_rank < 5 or last_resort_count = 1)
),

-- Reversals of one original, in order: the second and later take the same payment back again.
reversal_order as (
    select
        r.claim_key,
        o.n_key as original_key,
        o.original_rank,
        case
            when o.n_key is not null then row_number() over (
                partition by o.n_key
                order by r.payment_date, r.claim_key
            )
        end as original_reversal_seq
    from reversals as r
    left join originals as o
        on o.r_key = r.claim_key
),

correction_candidates as (
    select
        c.*,
        coalesce(ro.original_reversal_seq > 1, false) as is_double_reversal,
        count(*) filter (where c.correction_rank = 5) over (partition by c.r_key) as last_resort_count
    from ruled as c
    join reversal_order as ro
        on ro.claim_key = c.r_key
    where c.relation in ('after', 'same_day')
        and c.correction_rank is not null
        and c.n_key is distinct from ro.original_key
),

usable_candidates as (
    select * from correction_candidates
    where correction_rank < 5 or last_resort_count = 1
),

first_choices as (
    select
        *,
        row_number() over (
            partition by r_key
            order by correction_rank, gap_days, not same_remit, n_payment_date, n_key
        ) as reversal_choice,
        row_number() over (
            partition by n_key
            order by
                correction_rank,
                is_double_reversal,
                gap_days,
                not same_remit,
                r_payment_date desc,
                r_key desc
        ) as correction_choice
    from usable_candidates
),

first_round as (
    select * from first_choices where reversal_choice = 1 and correction_choice = 1
),

-- What the first round left free: reversals and corrections it did not link.
second_choices as (
    select
        *,
        row_number() over (
            partition by r_key
            order by correction_rank, gap_days, not same_remit, n_payment_date, n_key
        ) as reversal_choice,
        row_number() over (
            partition by n_key
            order by
                correction_rank,
                is_double_reversal,
                gap_days,
                not same_remit,
                r_payment_date desc,
                r_key desc
        ) as correction_choice
    from usable_candidates as u
    where u.r_key not in (select r_key from first_round)
        and u.n_key not in (select n_key from first_round)
),

correction_links as (
    select * exclude (reversal_choice, correction_choice) from first_round
    union all by name
    select * exclude (reversal_choice, correction_choice)
    from second_choices
    where reversal_choice = 1 and correction_choice = 1
),

rule_names as (
    select * from (values
        (1, 'original_reference'),
        (2, 'payer_claim_control'),
        (3, 'claim_id_service_dates'),
        (4, 'claim_id_charge'),
        (5, 'claim_id')
    ) as t (rule_rank, link_rule)
),

final as (
    select
        r.payer_id,
        r.remit_id,
        r.claim_seq,
        r.claim_id,
        r.payer_claim_control,
        r.provider_npi,
        r.payment_date,
        r.week_start,
        r.period,
        r.paid_amount,
        o.remit_id as original_remit_id,
        o.claim_seq as original_claim_seq,
        o.payment_date as original_payment_date,
        o.paid_amount as original_paid,
        c.n_remit_id as correction_remit_id,
        c.n_claim_seq as correction_claim_seq,
        c.n_payer_claim_control as correction_payer_claim_control,
        c.n_payment_date as correction_payment_date,
        c.n_paid_amount as correction_paid,
        c.n_remark_codes as correction_remark_codes,
        cr.link_rule,
        orl.link_rule as original_link_rule,
        ro.original_reversal_seq,
        coalesce(ro.original_reversal_seq > 1, false) as is_double_reversal
    from reversals as r
    join reversal_order as ro
        on ro.claim_key = r.claim_key
    left join paid_claims as o
        on o.claim_key = ro.original_key
    left join rule_names as orl
        on orl.rule_rank = ro.original_rank
    left join correction_links as c
        on c.r_key = r.claim_key
    left join rule_names as cr
        on cr.rule_rank = c.correction_rank
)

select * from final
