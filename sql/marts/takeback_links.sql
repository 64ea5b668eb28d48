-- grain: one takeback event (takeback_id): a reversal claim with its original claim and its
-- correction, or a PLB recovery pair with the claim its reference names and that claim's reversal.
-- link_rule names the rule that made the link (a reversal's correction, a PLB's claim; NULL when
-- unlinked), original_link_rule the rule that found a reversal's original: the share linked by
-- each rule is a count over link_rule. over_recoupment / over_recoupment_reason flag a takeback
-- that took more than the original paid ('exceeds_original_paid') or reversed it twice
-- ('double_reversal'); original_taken_back is what the takebacks of its original add up to by then.
-- payer_name: dim_payers. The correction, the cause's CARC and a PLB's reversal: int_takebacks.
with

takebacks as (
    select * from int_takebacks
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
        t.cause_reason_code,
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
        t.correction_claim_seq,
        t.correction_payer_claim_control,
        t.correction_payment_date,
        cast(date_diff('day', t.payment_date, t.correction_payment_date) as integer) as correction_lag_days,
        t.linked_reversal_remit_id,
        t.linked_reversal_claim_seq,
        t.link_rule,
        t.original_link_rule,
        t.original_taken_back,
        t.over_recoupment,
        t.over_recoupment_reason
    from takebacks as t
    left join dim_payers as n
        on n.payer_id = t.payer_id
)

select * from final
order by payment_date, takeback_id
