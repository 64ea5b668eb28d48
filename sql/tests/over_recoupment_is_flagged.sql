-- Offending rows: over-recoupment (issue 24 case 4) not flagged, or flagged where it is not:
--   double_reversal         a reversal after the first of the same original (int_reversal_links)
--                           must carry it, and the first must not;
--   exceeds_original_paid   by some payment date the takebacks linked to one original (double
--                           reversals aside) add up to more than it paid: a takeback of that date
--                           (or later) must carry it; a flagged takeback's original must have been
--                           exceeded by its date;
--   payer_scorecard         over_recoupment_count must count the flagged takebacks of its window.
with

takebacks as (
    select * from int_takebacks
),

claims as (
    select * from int_claims
),

reversal_turns as (
    select
        'reversal:' || remit_id || ':' || cast(claim_seq as varchar) as takeback_id,
        row_number() over (
            partition by original_remit_id, original_claim_seq
            order by payment_date, remit_id, claim_seq
        ) as turn
    from int_reversal_links
    where original_remit_id is not null
),

double_reversals as (
    select t.takeback_id, 'double_reversal' as reason, t.over_recoupment_reason
    from reversal_turns as r
    join takebacks as t
        on t.takeback_id = r.takeback_id
    where (r.turn > 1) <> coalesce(t.over_recoupment_reason = 'double_reversal', false)
),

by_date as (
    select
        t.original_remit_id,
        t.original_claim_seq,
        t.payment_date,
        sum(t.amount) filter (where coalesce(t.over_recoupment_reason, '') <> 'double_reversal') as taken
    from takebacks as t
    where t.original_remit_id is not null
    group by all
),

running as (
    select
        b.*,
        sum(coalesce(b.taken, 0)) over (
            partition by b.original_remit_id, b.original_claim_seq
            order by b.payment_date
        ) as taken_so_far,
        c.paid_amount as original_paid
    from by_date as b
    join claims as c
        on c.remit_id = b.original_remit_id
        and c.claim_seq = b.original_claim_seq
),

first_exceeded as (
    select original_remit_id, original_claim_seq, min(payment_date) as exceeded_on
    from running
    where taken_so_far > original_paid
    group by all
),

not_flagged as (
    select
        f.original_remit_id || ':' || cast(f.original_claim_seq as varchar) as takeback_id,
        'exceeds_original_paid' as reason,
        cast(null as varchar) as over_recoupment_reason
    from first_exceeded as f
    where not exists (
        select 1 from takebacks as t
        where t.original_remit_id = f.original_remit_id
            and t.original_claim_seq = f.original_claim_seq
            and t.payment_date >= f.exceeded_on
            and t.over_recoupment_reason = 'exceeds_original_paid'
    )
),

wrongly_flagged as (
    select t.takeback_id, 'exceeds_original_paid' as reason, t.over_recoupment_reason
    from takebacks as t
    left join first_exceeded as f
        on f.original_remit_id = t.original_remit_id
        and f.original_claim_seq = t.original_claim_seq
    where t.over_recoupment_reason = 'exceeds_original_paid'
        and (f.exceeded_on is null or t.payment_date < f.exceeded_on or t.amount <= 0)
),

inconsistent as (
    select takeback_id, 'flag' as reason, over_recoupment_reason
    from takebacks
    where over_recoupment <> (over_recoupment_reason is not null)
        or over_recoupment_reason not in ('double_reversal', 'exceeds_original_paid')
),

scorecard as (
    select s.payer_id, s.over_recoupment_count, count(t.takeback_id) as flagged
    from payer_scorecard as s
    left join takebacks as t
        on t.payer_id = s.payer_id
        and t.over_recoupment
        and t.payment_date between s.window_start and s.window_end
    group by s.payer_id, s.over_recoupment_count
    having s.over_recoupment_count <> count(t.takeback_id)
)

select * from double_reversals
union all
select * from not_flagged
union all
select * from wrongly_flagged
union all
select * from inconsistent
union all
select payer_id, 'payer_scorecard', cast(over_recoupment_count as varchar) from scorecard
