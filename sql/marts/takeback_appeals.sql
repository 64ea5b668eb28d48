-- grain: one disputable takeback (takeback_id): a reversal, or a PLB offset (WO, WU, OB) the payer
-- took, from int_takeback_events (every column of int_takebacks). Deferrals and their repayments
-- (WO −x / +x), refunds (72) and the WO +a of a refund pair are not the payer's to dispute and are
-- left out. A worklist, ranked by
-- money an appeal could bring back (recoverable_amount: net of the correction repaid), then by
-- deadline.
--   appeal_deadline  payment date + the payer's appeal window (ref_appeal_window from
--                    recoup.config.json, else build_params.appeal_window_days, default 60);
--   days_left        deadline − build_params.appeals_as_of (`--as-of`, else the day of the build);
--   status           'repaid_by_correction' (a correction repaid all of it), else 'expired'
--                    (days_left < 0), 'due_7_days' (days_left ≤ due_soon_days, default 7), 'open';
--   payer_name       dim_payers;
--   evidence         the payer's ICN (payer_claim_control), CLP01 (claim_id), the original claim
--                    (original_claim_key = remit_id:claim_seq of its payment in the lake, and its
--                    payment date), the correction, the cause and its CARC, the PLB reference.
with

params as (
    select appeals_as_of, appeal_window_days, due_soon_days from build_params
),

events as (
    select * from int_takeback_events
    where is_takeback_event and disputable_amount > 0
),

windows as (
    select * from ref_appeal_window
),

deadlines as (
    select
        e.*,
        n.payer_name,
        coalesce(w.appeal_window_days, params.appeal_window_days) as window_days,
        e.payment_date + coalesce(w.appeal_window_days, params.appeal_window_days) as appeal_deadline,
        params.appeals_as_of,
        params.due_soon_days
    from events as e
    cross join params
    left join windows as w
        on w.payer_id = e.payer_id
    left join (select payer_id, payer_name from dim_payers) as n
        on n.payer_id = e.payer_id
),

-- Plan (not logic): the window sorts the three columns it orders by, not the 30 of a worklist row,
-- which then join back by takeback_id.
ranked as (
    select
        takeback_id,
        cast(row_number() over (
            order by recoverable_amount desc, appeal_deadline, takeback_id
        ) as integer) as rank
    from (select takeback_id, recoverable_amount, appeal_deadline from deadlines)
),

final as (
    select
        r.rank,
        d.takeback_id,
        kind,
        event_class,
        payer_id,
        payer_name,
        remit_id,
        payment_date,
        amount,
        correction_repaid,
        net_amount,
        disputable_amount,
        recoverable_amount,
        cause,
        cause_reason_code,
        provider_npi,
        claim_id,
        payer_claim_control,
        case
            when original_remit_id is not null and original_claim_seq is not null
                then original_remit_id || ':' || cast(original_claim_seq as varchar)
        end as original_claim_key,
        original_payment_date,
        correction_remit_id,
        correction_payment_date,
        reason_code,
        reference_id,
        cast(window_days as integer) as appeal_window_days,
        appeal_deadline,
        appeals_as_of as as_of,
        cast(date_diff('day', appeals_as_of, appeal_deadline) as integer) as days_left,
        case
            when kind = 'reversal' and correction_remit_id is not null and recoverable_amount <= 0
                then 'repaid_by_correction'
            when date_diff('day', appeals_as_of, appeal_deadline) < 0 then 'expired'
            when date_diff('day', appeals_as_of, appeal_deadline) <= due_soon_days then 'due_7_days'
            else 'open'
        end as status
    from deadlines as d
    join ranked as r
        on r.takeback_id = d.takeback_id
)

select * from final
order by rank
