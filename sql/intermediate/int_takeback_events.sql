-- grain: one takeback event (takeback_id), as int_takebacks, with what kind of money movement it is.
-- int_takebacks keeps every reversal and every PLB WO, WU, OB and 72 pair, so that sums follow
-- DESIGN.md; finance counts, lags and worklists need to know which of them a payer took:
--   event_class  'reversal'            a CLP02 = 22 claim;
--                'offset'              a positive WO, WU or OB the payer took from current payments;
--                'deferral'            a negative WO: a recovery put off (X12 RFI 227);
--                'deferral_repayment'  a positive WO repaying an earlier deferral of the same payer
--                                      and reference, wholly;
--                'refund'              a PLB 72: acknowledges a refund the provider sent;
--                'refund_offset'       the WO +a of a WO +a / 72 −a pair (same 835, same reference and
--                                      amount): the provider's own refund, not a payer takeback;
--                'credit'              a negative WU or OB: money given back.
--   is_takeback_event  reversal or offset: what scorecard counts and lags, and appeals, should use.
--   deferral_repaid    the part of a positive WO that repays deferrals of its reference outstanding
--                      when it arrived (cumulative deferred to its date − earlier positive WO).
--   disputable_amount  what a provider can appeal: a reversal's amount; an offset's amount less the
--                      part that repays a deferral; 0 for the other classes.
--   recoverable_amount money an appeal could bring back: disputable less the correction repaid
--                      (reversals), floored at 0.
with

plbs as (
    select takeback_id, payer_id, remit_id, reason_code, reference_id, amount, payment_date
    from int_takebacks
    where kind = 'plb'
),

-- A refund pair: 72 −a and WO +a in the same 835 with the same reference, matched one to one.
refund_acks as (
    select
        payer_id,
        remit_id,
        coalesce(reference_id, '') as reference_key,
        -amount as refunded,
        row_number() over (
            partition by payer_id, remit_id, coalesce(reference_id, ''), -amount order by takeback_id
        ) as pair_seq
    from plbs
    where reason_code = '72' and amount < 0
),

refund_candidates as (
    select
        takeback_id,
        payer_id,
        remit_id,
        coalesce(reference_id, '') as reference_key,
        amount,
        row_number() over (
            partition by payer_id, remit_id, coalesce(reference_id, ''), amount order by takeback_id
        ) as pair_seq
    from plbs
    where reason_code = 'WO' and amount > 0
        -- Plan (not logic): only the WO of an 835, reference and amount that a 72 matches (whole
        -- partitions of the numbering above), so the window numbers a few rows.
        and (payer_id, remit_id, coalesce(reference_id, ''), amount) in (
            select payer_id, remit_id, reference_key, refunded from refund_acks
        )
),

refund_offsets as (
    select c.takeback_id
    from refund_candidates as c
    join refund_acks as a
        on a.payer_id = c.payer_id
        and a.remit_id = c.remit_id
        and a.reference_key = c.reference_key
        and a.refunded = c.amount
        and a.pair_seq = c.pair_seq
),

-- WO of one reference in time order: deferred so far (negatives up to the day) against what
-- earlier positive WO already repaid. Plan (not logic): only references with a deferral (a
-- negative WO); a positive WO of any other reference repays nothing.
wo_history as (
    select
        p.takeback_id,
        p.amount,
        sum(case when p.amount < 0 then -p.amount else 0 end) over (
            partition by p.payer_id, p.reference_id
            order by p.payment_date
            range between unbounded preceding and current row
        ) as deferred_to_date,
        coalesce(sum(case when p.amount > 0 then p.amount else 0 end) over (
            partition by p.payer_id, p.reference_id
            order by p.payment_date, p.remit_id, p.takeback_id
            rows between unbounded preceding and 1 preceding
        ), 0) as positive_before
    from plbs as p
    where p.reason_code = 'WO'
        and p.reference_id is not null
        and (p.payer_id, p.reference_id) in (
            select payer_id, reference_id from plbs where reason_code = 'WO' and amount < 0
        )
        and p.takeback_id not in (select takeback_id from refund_offsets)
),

-- What a PLB pair is besides its code and sign: a refund offset, or a WO repaying a deferral.
plb_facts as (
    select takeback_id, true as is_refund_offset, cast(null as decimal(18, 2)) as deferral_repaid
    from refund_offsets
    union all
    select
        takeback_id,
        false,
        least(amount, greatest(deferred_to_date - positive_before, 0))
    from wo_history
    where amount > 0
),

classified as (
    select
        t.*,
        cast(coalesce(f.deferral_repaid, 0) as decimal(18, 2)) as deferral_repaid,
        case
            when t.kind = 'reversal' then 'reversal'
            when t.reason_code = '72' then 'refund'
            when f.is_refund_offset then 'refund_offset'
            when t.reason_code = 'WO' and t.amount < 0 then 'deferral'
            when t.amount < 0 then 'credit'
            when t.amount > 0 and coalesce(f.deferral_repaid, 0) >= t.amount then 'deferral_repayment'
            when t.amount > 0 then 'offset'
            else 'credit'
        end as event_class
    from int_takebacks as t
    left join plb_facts as f
        on f.takeback_id = t.takeback_id
),

final as (
    select
        takeback_id,
        kind,
        event_class,
        event_class in ('reversal', 'offset') as is_takeback_event,
        payer_id,
        remit_id,
        payment_date,
        week_start,
        period,
        amount,
        correction_repaid,
        net_amount,
        deferral_repaid,
        cast(case
            when event_class = 'reversal' then amount
            when event_class = 'offset' then amount - deferral_repaid
            else 0
        end as decimal(18, 2)) as disputable_amount,
        cast(case
            when event_class = 'reversal' then greatest(amount - correction_repaid, 0)
            when event_class = 'offset' then amount - deferral_repaid
            else 0
        end as decimal(18, 2)) as recoverable_amount,
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
        lag_days,
        linked
    from classified
)

select * from final
