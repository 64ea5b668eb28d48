-- grain: one takeback event (takeback_id): a reversal claim with its original claim and its
-- correction, or a PLB recovery pair with the claim its reference names and that claim's reversal.
-- link_rule names the rule that made the link (a reversal's correction, a PLB's claim; NULL when
-- unlinked), original_link_rule the rule that found a reversal's original: the share linked by
-- each rule is a count over link_rule. over_recoupment / over_recoupment_reason flag a takeback
-- that took more than the original paid ('exceeds_original_paid') or reversed it twice
-- ('double_reversal'); original_taken_back is what the takebacks of its original add up to by then.
-- payer_name: dim_payers.
with

takebacks as (
    select * from int_takebacks
),

-- What int_takebacks does not carry, by takeback_id as int_takebacks builds it, so one join
-- brings it: a reversal's correction and its CARC; a PLB's reversal and that reversal's CARC.
details as (
    select
        'reversal:' || r.remit_id || ':' || cast(r.claim_seq as varchar) as takeback_id,
        r.correction_claim_seq,
        r.correction_payer_claim_control,
        k.cause_reason_code
    from int_reversal_links as r
    left join int_reversal_causes as k
        on k.remit_id = r.remit_id
        and k.claim_seq = r.claim_seq
    union all by name
    select
        'plb:' || p.remit_id || ':' || cast(p.adjustment_seq as varchar) as takeback_id,
        p.reversal_remit_id as linked_reversal_remit_id,
        p.reversal_claim_seq as linked_reversal_claim_seq,
        k.cause_reason_code
    from int_plb_links as p
    left join int_reversal_causes as k
        on k.remit_id = p.reversal_remit_id
        and k.claim_seq = p.reversal_claim_seq
),

final as (
    select
        t.takeback_id,
        t.kind,
        t.payer_id,
        n.payer_name,
        t.remit_id,
        t.payment_date,
        t.period,
        t.amount,
        t.correction_repaid,
        t.net_amount,
        t.cause,
        d.cause_reason_code,
        t.provider_npi,
        t.claim_id,
        t.payer_claim_control,
        t.reason_code,
        t.reference_id,
        t.linked,
        t.original_remit_id,
        t.original_claim_seq,
        t.original_payment_date,
        t.original_paid,
        t.lag_days,
        t.correction_remit_id,
        d.correction_claim_seq,
        d.correction_payer_claim_control,
        t.correction_payment_date,
        cast(date_diff('day', t.payment_date, t.correction_payment_date) as integer) as correction_lag_days,
        d.linked_reversal_remit_id,
        d.linked_reversal_claim_seq,
        t.link_rule,
        t.original_link_rule,
        t.original_taken_back,
        t.over_recoupment,
        t.over_recoupment_reason
    from takebacks as t
    left join dim_payers as n
        on n.payer_id = t.payer_id
    left join details as d
        on d.takeback_id = t.takeback_id
)

select * from final
order by payment_date, takeback_id
