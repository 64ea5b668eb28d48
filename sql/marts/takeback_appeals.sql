-- grain: one takeback event (takeback_id) that took money (amount > 0), largest first.
-- appeal_deadline = payment_date + the payer's appeal window (ref_appeal_window from
-- recoup.config.json, else build_params.appeal_window_days, default 60); days_left counts from
-- build_params.as_of; status 'expired' (< 0 days left), 'due_soon' (≤ due_soon_days, default 7),
-- else 'open'. Negative events (a deferred WO −x, a 72 refund acknowledgment) take nothing to appeal.
with

params as (
    select as_of, appeal_window_days, due_soon_days from build_params
),

takebacks as (
    select * from int_takebacks
),

windows as (
    select * from ref_appeal_window
),

deadlines as (
    select
        t.*,
        coalesce(w.appeal_window_days, params.appeal_window_days) as appeal_window_days,
        t.payment_date + coalesce(w.appeal_window_days, params.appeal_window_days) as appeal_deadline,
        params.as_of,
        params.due_soon_days
    from takebacks as t
    cross join params
    left join windows as w
        on w.payer_id = t.payer_id
    where t.amount > 0
),

final as (
    select
        takeback_id,
        kind,
        payer_id,
        remit_id,
        payment_date,
        amount,
        net_amount,
        cause,
        provider_npi,
        claim_id,
        payer_claim_control,
        reason_code,
        reference_id,
        cast(appeal_window_days as integer) as appeal_window_days,
        appeal_deadline,
        as_of,
        cast(date_diff('day', as_of, appeal_deadline) as integer) as days_left,
        case
            when date_diff('day', as_of, appeal_deadline) < 0 then 'expired'
            when date_diff('day', as_of, appeal_deadline) <= due_soon_days then 'due_soon'
            else 'open'
        end as status
    from deadlines
)

select * from final
order by amount desc, takeback_id
