-- grain: payer_id × week_start (week the money was taken) × component × cohort_week.
-- Splits each week's gross takeback into what the forecast models in different ways:
--   development         linked to an original payment 0..52 weeks earlier: cohort_week is the
--                       Monday of that payment, lag_weeks the distance (chain-ladder input);
--   level               unlinked, or a lag the triangle does not cover: a flat level component;
--   deferral_repayment  a positive WO that repays an earlier negative WO with the same reference
--                       (X12 RFI 227): known in advance, so the forecast books it as a scheduled
--                       offset and the chain-ladder must not learn it a second time.
with

takebacks as (
    select * from int_takebacks
),

deferrals as (
    -- Negative WO = recovery deferred; its repayment is a later positive WO with the same reference.
    select
        payer_id,
        reference_id,
        min(payment_date) as first_deferred_on
    from int_weekly_plb_offsets
    where reason_code = 'WO'
        and is_negative
        and reference_id is not null
    group by payer_id, reference_id
),

classified as (
    select
        t.payer_id,
        t.week_start,
        t.amount,
        cast(date_trunc('week', t.original_payment_date) as date) as original_week,
        case
            when t.kind = 'plb'
                and t.reason_code = 'WO'
                and t.amount > 0
                and d.first_deferred_on is not null
                and d.first_deferred_on <= t.payment_date
                then 'deferral_repayment'
            when t.original_payment_date is not null
                and t.original_payment_date <= t.payment_date
                and date_diff('day', cast(date_trunc('week', t.original_payment_date) as date), t.week_start) // 7
                between 0 and 52
                then 'development'
            else 'level'
        end as component
    from takebacks as t
    left join deferrals as d
        on d.payer_id = t.payer_id
        and d.reference_id = t.reference_id
),

final as (
    select
        payer_id,
        week_start,
        component,
        case when component = 'development' then original_week end as cohort_week,
        case
            when component = 'development'
                then cast(date_diff('day', original_week, week_start) // 7 as integer)
        end as lag_weeks,
        cast(sum(amount) as decimal(18, 2)) as takeback,
        count(*) as takeback_count
    from classified
    group by all
)

select * from final
