-- grain: payer_id × reference_id, every WO (X12 RFI 227) reference a payer deferred recovery of
-- (net negative WO amounts) by the as-of week's end, with what it repaid by then: the deferral
-- repayments the liquidity forecast schedules (after the payer's median deferral lag).
--   deferred           Σ −WO of the reference (> 0);
--   first_deferred_on  the first and last payment dates that deferred it;
--   last_deferred_on
--   repaid             Σ +WO of the reference from its first deferral on (0 if none);
--   first_repaid_on    the first repayment date (NULL if none);
--   outstanding        deferred − repaid.
with

as_of as (
    select cutoff_date from int_as_of
),

wo_by_reference as (
    select
        a.payer_id,
        a.reference_id,
        -sum(a.amount) filter (where a.amount < 0) as deferred,
        min(a.payment_date) filter (where a.amount < 0) as first_deferred_on,
        max(a.payment_date) filter (where a.amount < 0) as last_deferred_on
    from int_weekly_plb_offsets as a, as_of
    where a.reason_code = 'WO'
        and a.reference_id is not null
        and a.payment_date <= as_of.cutoff_date
    group by a.payer_id, a.reference_id
    having deferred > 0
),

wo_repaid as (
    select
        w.payer_id,
        w.reference_id,
        coalesce(sum(a.amount), 0) as repaid,
        min(a.payment_date) as first_repaid_on
    from wo_by_reference as w
    cross join as_of
    join int_weekly_plb_offsets as a
        on a.payer_id = w.payer_id
        and a.reference_id = w.reference_id
        and a.reason_code = 'WO'
        and a.amount > 0
        and a.payment_date >= w.first_deferred_on
        and a.payment_date <= as_of.cutoff_date
    group by w.payer_id, w.reference_id
)

select
    w.payer_id,
    w.reference_id,
    w.deferred,
    w.first_deferred_on,
    w.last_deferred_on,
    coalesce(r.repaid, 0) as repaid,
    r.first_repaid_on,
    w.deferred - coalesce(r.repaid, 0) as outstanding
from wo_by_reference as w
left join wo_repaid as r
    on r.payer_id = w.payer_id and r.reference_id = w.reference_id
