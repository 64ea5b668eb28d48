-- grain: one PLB pair (takeback_id) of int_takebacks that is more than its code and sign say: the
-- WO +a of a refund pair (is_refund_offset), or a positive WO of a reference with deferrals, with the
-- part of it that repays them (deferral_repaid). int_takeback_events classifies every takeback with
-- these few rows:
--   is_refund_offset  a WO +a matched one to one with a PLB 72 −a of the same 835, reference and amount;
--   deferral_repaid   the part of a positive WO that repays deferrals of its reference outstanding
--                     when it arrived (cumulative deferred to its date − earlier positive WO).
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
)

select * from plb_facts
