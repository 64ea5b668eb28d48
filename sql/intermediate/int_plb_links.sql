-- grain: one PLB recovery pair (reason WO, WU, OB or 72) = remit_id × adjustment_seq, with the claim
-- its reference (PLB03-2) names and the reversal of that claim.
-- Claim: same payer, CLP07 = reference first, else CLP01 = reference; a paid claim (CLP02 ≠ 22)
-- before a reversal, the latest paid on or before the PLB's date, else the earliest after it.
-- Reversal: the same rules among reversal claims (it repeats the original's CLP07 and CLP01).
with

plbs as (
    select * from int_provider_adjustments where is_recovery
),

-- Plan (not logic): read int_claims where used rather than copy it whole.
claims as not materialized (
    select * from int_claims
),

candidates as (
    select
        p.remit_id as plb_remit_id,
        p.adjustment_seq as plb_adjustment_seq,
        p.payment_date as plb_payment_date,
        1 as match_rank,
        c.*
    from plbs as p
    join claims as c
        on c.payer_id = p.payer_id
        and c.payer_claim_control = p.reference_id
    union all
    select
        p.remit_id as plb_remit_id,
        p.adjustment_seq as plb_adjustment_seq,
        p.payment_date as plb_payment_date,
        2 as match_rank,
        c.*
    from plbs as p
    join claims as c
        on c.payer_id = p.payer_id
        and c.claim_id = p.reference_id
),

ranked as (
    select
        *,
        row_number() over (
            partition by plb_remit_id, plb_adjustment_seq
            order by
                match_rank,
                is_reversal,
                payment_date > plb_payment_date,
                abs(date_diff('day', payment_date, plb_payment_date)),
                claim_pos desc,
                remit_id,
                claim_seq
        ) as claim_preference,
        row_number() over (
            partition by plb_remit_id, plb_adjustment_seq
            order by
                not is_reversal,
                match_rank,
                payment_date > plb_payment_date,
                abs(date_diff('day', payment_date, plb_payment_date)),
                claim_pos desc,
                remit_id,
                claim_seq
        ) as reversal_preference
    from candidates
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
        r.remit_id as reversal_remit_id,
        r.claim_seq as reversal_claim_seq,
        c.remit_id is not null as linked
    from plbs as p
    left join ranked as c
        on c.plb_remit_id = p.remit_id
        and c.plb_adjustment_seq = p.adjustment_seq
        and c.claim_preference = 1
    left join ranked as r
        on r.plb_remit_id = p.remit_id
        and r.plb_adjustment_seq = p.adjustment_seq
        and r.reversal_preference = 1
        and r.is_reversal
)

select * from final
