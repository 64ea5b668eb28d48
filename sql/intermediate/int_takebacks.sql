-- grain: one takeback event = one reversal claim (CLP02 = 22) or one PLB recovery pair (WO, WU, OB,
-- 72); takeback_id is unique. Contract for the forecast and alert models: keep the columns.
--   amount             gross takeback: −CLP04 of a reversal, the signed PLB amount of a PLB pair
--                      (a WO +a / 72 −a refund pair and a deferred WO −x / +x net to zero in sums);
--   correction_repaid  CLP04 of the reversal's correction (0 for PLB pairs), on the reversal's row;
--   net_amount         amount − correction_repaid;
--   cause              reversal: int_reversal_causes; PLB: the cause of the reversal of the claim
--                      its reference names, else 'unspecified';
--   provider_npi       reversal: the claim's provider; PLB: the named claim's provider, else PLB01;
--   original_*         the payment taken back: the reversal's original, or the claim a PLB names;
--   lag_days           original payment date → takeback payment date;
--   linked             reversal: original found; PLB: a claim found;
--   link_rule          reversal: the rule that linked its correction; PLB: the rule that linked
--                      its claim (int_reversal_links, int_plb_links); NULL when unlinked;
--   original_link_rule reversal: the rule that linked its original;
--   over_recoupment    more taken back than was paid: over_recoupment_reason 'double_reversal'
--                      (a second reversal of the same original), else 'exceeds_original_paid'
--                      (a takeback, amount > 0, of a payment date by which the takebacks linked
--                      to its original, double reversals aside, add up to more than it paid);
--   original_taken_back that sum, on every row linked to an original.
-- What takeback_links and takeback_appeals show besides (so they read no other model for it):
--   correction_claim_seq, correction_payer_claim_control  a reversal's correction (int_reversal_links);
--   cause_reason_code  the CARC behind the cause (int_reversal_causes): the reversal's, or for a PLB
--                      the reversal of the claim its reference names;
--   linked_reversal_remit_id, linked_reversal_claim_seq   a PLB's reversal (int_plb_links).
with

reversals as (
    select * from int_reversal_links
),

reversal_causes as (
    select * from int_reversal_causes
),

plbs as (
    select * from int_plb_links
),

reversal_takebacks as (
    select
        'reversal:' || r.remit_id || ':' || cast(r.claim_seq as varchar) as takeback_id,
        'reversal' as kind,
        r.payer_id,
        r.remit_id,
        r.payment_date,
        r.week_start,
        r.period,
        cast(-r.paid_amount as decimal(18, 2)) as amount,
        cast(coalesce(r.correction_paid, 0) as decimal(18, 2)) as correction_repaid,
        k.cause,
        r.provider_npi,
        r.claim_id,
        r.payer_claim_control,
        cast(null as varchar) as reason_code,
        cast(null as varchar) as reference_id,
        r.original_remit_id,
        r.original_claim_seq,
        r.original_paid,
        r.original_payment_date,
        r.correction_remit_id,
        r.correction_payment_date,
        r.correction_claim_seq,
        r.correction_payer_claim_control,
        k.cause_reason_code,
        cast(null as varchar) as linked_reversal_remit_id,
        cast(null as integer) as linked_reversal_claim_seq,
        r.original_remit_id is not null as linked,
        r.link_rule,
        r.original_link_rule,
        r.is_double_reversal
    from reversals as r
    join reversal_causes as k
        on k.remit_id = r.remit_id
        and k.claim_seq = r.claim_seq
),

plb_takebacks as (
    select
        'plb:' || p.remit_id || ':' || cast(p.adjustment_seq as varchar) as takeback_id,
        'plb' as kind,
        p.payer_id,
        p.remit_id,
        p.payment_date,
        p.week_start,
        p.period,
        cast(p.amount as decimal(18, 2)) as amount,
        cast(0 as decimal(18, 2)) as correction_repaid,
        coalesce(k.cause, 'unspecified') as cause,
        coalesce(p.claim_provider_npi, p.plb_provider_npi) as provider_npi,
        p.claim_id,
        p.payer_claim_control,
        p.reason_code,
        p.reference_id,
        case when not p.claim_is_reversal then p.claim_remit_id end as original_remit_id,
        case when not p.claim_is_reversal then p.claim_claim_seq end as original_claim_seq,
        case when not p.claim_is_reversal then p.claim_paid end as original_paid,
        case when not p.claim_is_reversal then p.claim_payment_date end as original_payment_date,
        cast(null as varchar) as correction_remit_id,
        cast(null as date) as correction_payment_date,
        cast(null as integer) as correction_claim_seq,
        cast(null as varchar) as correction_payer_claim_control,
        k.cause_reason_code,
        p.reversal_remit_id as linked_reversal_remit_id,
        p.reversal_claim_seq as linked_reversal_claim_seq,
        p.linked,
        p.link_rule,
        cast(null as varchar) as original_link_rule,
        false as is_double_reversal
    from plbs as p
    left join reversal_causes as k
        on k.remit_id = p.reversal_remit_id
        and k.claim_seq = p.reversal_claim_seq
),

unioned as (
    select * from reversal_takebacks
    union all by name
    select * from plb_takebacks
),

-- Σ taken back from one original up to and including each payment date (a refund WO +a / 72 −a
-- of one 835 nets to zero before it is compared); a double reversal is flagged as such and not
-- counted again here.
taken_from_original as (
    select
        *,
        case
            when original_remit_id is not null then sum(case when is_double_reversal then 0 else amount end) over (
                partition by original_remit_id, original_claim_seq
                order by payment_date
                range between unbounded preceding and current row
            )
        end as original_taken_back
    from unioned
),

flagged as (
    select
        *,
        case
            when is_double_reversal then 'double_reversal'
            when amount > 0 and original_taken_back > original_paid then 'exceeds_original_paid'
        end as over_recoupment_reason
    from taken_from_original
),

final as (
    select
        takeback_id,
        kind,
        payer_id,
        remit_id,
        payment_date,
        week_start,
        period,
        amount,
        correction_repaid,
        cast(amount - correction_repaid as decimal(18, 2)) as net_amount,
        cause,
        provider_npi,
        claim_id,
        payer_claim_control,
        reason_code,
        reference_id,
        original_remit_id,
        original_payment_date,
        correction_remit_id,
        correction_payment_date,
        cast(date_diff('day', original_payment_date, payment_date) as integer) as lag_days,
        linked,
        link_rule,
        original_link_rule,
        original_claim_seq,
        cast(original_paid as decimal(18, 2)) as original_paid,
        cast(original_taken_back as decimal(18, 2)) as original_taken_back,
        over_recoupment_reason is not null as over_recoupment,
        over_recoupment_reason,
        correction_claim_seq,
        correction_payer_claim_control,
        cause_reason_code,
        linked_reversal_remit_id,
        linked_reversal_claim_seq
    from flagged
)

select * from final
