-- grain: one takeback event (takeback_id): every column of int_takebacks, with what kind of money
-- movement it is.
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
-- A view: int_takebacks with the few PLB pairs int_takeback_classes knows more of; each reader
-- takes the columns it needs, and nothing copies the 30 columns of every takeback again.
-- materialized: view
with

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
    left join int_takeback_classes as f
        on f.takeback_id = t.takeback_id
),

final as (
    select
        *,
        event_class in ('reversal', 'offset') as is_takeback_event,
        cast(case
            when event_class = 'reversal' then amount
            when event_class = 'offset' then amount - deferral_repaid
            else 0
        end as decimal(18, 2)) as disputable_amount,
        cast(case
            when event_class = 'reversal' then greatest(amount - correction_repaid, 0)
            when event_class = 'offset' then amount - deferral_repaid
            else 0
        end as decimal(18, 2)) as recoverable_amount
    from classified
)

select * from final
