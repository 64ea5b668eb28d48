-- grain: one reversal claim (CLP02 = 22) = remit_id × claim_seq, with its original and its correction.
-- Original (DOMAIN.md §5): same payer, CLP01 and CLP07, CLP02 ≠ 22, paid in an earlier 835 or
-- earlier in the same 835; the latest such claim.
-- Correction: same payer and CLP01, CLP02 ≠ 22, later in the same 835 or in an 835 paid later,
-- and before the next reversal of the same CLP01; the first such claim, so a reversal has at most
-- one correction and a correction repays at most one reversal. Another 835 paid on the same day
-- is neither earlier nor later: such claims are not linked.
with

-- Plan (not logic): read int_claims where used rather than copy it whole, and narrow the
-- non-reversals to claims of a CLP01 that has a reversal before joining (DuckDB sized both
-- filtered sides alike and hashed the 3 M-row side).
claims as not materialized (
    select * from int_claims
),

reversals as (
    select
        *,
        lead(claim_pos) over (partition by payer_id, claim_id order by claim_pos) as next_reversal_pos
    from claims
    where is_reversal
),

non_reversals as (
    select * from claims
    where not is_reversal
        and (payer_id, claim_id) in (select payer_id, claim_id from reversals)
),

original_candidates as (
    select
        r.remit_id as reversal_remit_id,
        r.claim_seq as reversal_claim_seq,
        o.remit_id,
        o.claim_seq,
        o.payment_date,
        o.paid_amount,
        row_number() over (
            partition by r.remit_id, r.claim_seq
            order by o.claim_pos desc
        ) as preference
    from reversals as r
    join non_reversals as o
        on o.payer_id = r.payer_id
        and o.claim_id = r.claim_id
        and o.payer_claim_control = r.payer_claim_control
        and o.claim_pos < r.claim_pos
        and (o.payment_date < r.payment_date or o.remit_id = r.remit_id)
),

correction_candidates as (
    select
        r.remit_id as reversal_remit_id,
        r.claim_seq as reversal_claim_seq,
        c.remit_id,
        c.claim_seq,
        c.payment_date,
        c.paid_amount,
        c.payer_claim_control,
        c.remark_codes,
        row_number() over (
            partition by r.remit_id, r.claim_seq
            order by c.claim_pos
        ) as preference
    from reversals as r
    join non_reversals as c
        on c.payer_id = r.payer_id
        and c.claim_id = r.claim_id
        and c.claim_pos > r.claim_pos
        and c.claim_pos < coalesce(r.next_reversal_pos, 9223372036854775807)
        and (c.payment_date > r.payment_date or c.remit_id = r.remit_id)
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
        c.remit_id as correction_remit_id,
        c.claim_seq as correction_claim_seq,
        c.payer_claim_control as correction_payer_claim_control,
        c.payment_date as correction_payment_date,
        c.paid_amount as correction_paid,
        c.remark_codes as correction_remark_codes
    from reversals as r
    left join original_candidates as o
        on o.reversal_remit_id = r.remit_id
        and o.reversal_claim_seq = r.claim_seq
        and o.preference = 1
    left join correction_candidates as c
        on c.reversal_remit_id = r.remit_id
        and c.reversal_claim_seq = r.claim_seq
        and c.preference = 1
)

select * from final
