-- grain: one row per payer_id, over a trailing window of build_params.scorecard_weeks weeks
-- (default 13), compared with the window of the same length before it. The window is the payer's
-- own: it ends at build_params.as_of for an active payer (a remittance dated in the 13 weeks to
-- as_of), else at the payer's latest payment date, so a payer that stopped sending 835s is scored
-- on its last weeks of data (active = false), not on an empty window at $0.
--   payer_name           dim_payers (the payer's latest N1*PR name);
--   window_start, window_end
--                        the payer's window: window_end = as_of when active, else its
--                        last_payment_date; window_start = window_end − 7 × weeks + 1;
--   as_of                build_params.as_of (the same on every row);
--   last_payment_date    the payer's latest payment date up to as_of;
--   active               the latest payment falls in the trailing window ending at as_of;
--   rank                 1 = highest recoupment rate; active payers first, then inactive ones,
--                        payers without paid last;
--   takeback_count, linked_share, median_lag_days
--                        over the window's takeback events only (int_takeback_events
--                        is_takeback_event: reversals and offsets the payer took), not deferrals
--                        (WO −x), their repayments, refunds (72) or credits; median_lag_days is the
--                        median days from the original payment to the takeback of the linked ones;
--   refunds, interest    −Σ PLB 72 and −Σ PLB L6 in the window;
--   outstanding_fb       −Σ PLB FB up to as_of: the forwarding balance still carried;
--   trend                recoupment rate vs the previous window: 'up' / 'down' beyond half a
--                        point, else 'flat'; NULL when either rate is NULL;
--   corrected_share, correction_share_<rule>
--                        share of the window's reversals (reversal_count) with a correction, in
--                        all and by the rule that linked it (int_reversal_links);
--   plb_linked_share, plb_share_<rule>
--                        share of the window's PLB recovery pairs (plb_recovery_count) linked to a
--                        claim, in all and by the rule that linked it (int_plb_links);
--   over_recoupment_count, over_recoupment_amount
--                        the window's takebacks flagged over_recoupment (int_takebacks), and Σ amount.
with

build as (
    select a.as_of, p.scorecard_weeks from int_as_of as a, build_params as p
),

-- What each payer paid each day (int_daily_payments: exact sums and claim counts).
payments as (
    select payer_id, payment_date, paid, claim_count from int_daily_payments
),

-- Every takeback, with whether it is a takeback event (what counts and lags count).
takebacks as (
    select * from int_takeback_events
),

plbs as (
    select * from int_provider_adjustments
),

payer_ids as (
    select payer_id from payments
    union
    select payer_id from takebacks
    union
    select payer_id from plbs
),

-- Each payer's window ends at as_of when it has a remittance in the trailing window to as_of
-- (active), else at its latest payment date.
activity as (
    select
        ids.payer_id,
        n.payer_name,
        n.last_payment_date,
        build.as_of,
        build.scorecard_weeks,
        coalesce(n.last_payment_date > build.as_of - 7 * build.scorecard_weeks, false) as active
    from payer_ids as ids
    cross join build
    left join dim_payers as n
        on n.payer_id = ids.payer_id
),

params as (
    select
        *,
        window_end - 7 * scorecard_weeks + 1 as window_start,
        window_end - 14 * scorecard_weeks + 1 as previous_start
    from (
        select
            *,
            case when active or last_payment_date is null then as_of else last_payment_date end as window_end
        from activity
    )
),

payers as (
    select payer_id from payer_ids
),

paid_by_window as (
    select
        payments.payer_id,
        sum(paid) filter (where payment_date >= params.window_start) as paid,
        sum(claim_count) filter (where payment_date >= params.window_start) as claim_count,
        sum(paid) filter (where payment_date < params.window_start) as previous_paid
    from payments
    join params on params.payer_id = payments.payer_id
    where payment_date >= params.previous_start and payment_date <= params.window_end
    group by payments.payer_id
),

takeback_by_window as (
    select
        takebacks.payer_id,
        sum(amount) filter (where payment_date >= params.window_start) as takeback,
        sum(amount) filter (where payment_date >= params.window_start and kind = 'reversal')
            as reversal_takeback,
        sum(amount) filter (where payment_date >= params.window_start and kind = 'plb') as plb_recovery,
        sum(correction_repaid) filter (where payment_date >= params.window_start) as correction_repaid,
        sum(net_amount) filter (where payment_date >= params.window_start) as net_takeback,
        count(*) filter (where payment_date >= params.window_start and is_takeback_event) as takeback_count,
        count(*) filter (where payment_date >= params.window_start and is_takeback_event and linked)
            as linked_count,
        median(lag_days) filter (where payment_date >= params.window_start and is_takeback_event and linked)
            as median_lag_days,
        sum(amount) filter (where payment_date < params.window_start) as previous_takeback,
        count(*) filter (where payment_date >= params.window_start and kind = 'reversal') as reversal_count,
        count(*) filter (where payment_date >= params.window_start and kind = 'reversal' and link_rule is not null)
            as corrected_count,
        count(*) filter (where payment_date >= params.window_start and kind = 'reversal'
            and link_rule = 'original_reference') as correction_original_reference_count,
        count(*) filter (where payment_date >= params.window_start and kind = 'reversal'
            and link_rule = 'payer_claim_control') as correction_payer_claim_control_count,
        count(*) filter (where payment_date >= params.window_start and kind = 'reversal'
            and link_rule = 'claim_id_service_dates') as correction_claim_id_service_dates_count,
        count(*) filter (where payment_date >= params.window_start and kind = 'reversal'
            and link_rule = 'claim_id_charge') as correction_claim_id_charge_count,
        count(*) filter (where payment_date >= params.window_start and kind = 'reversal'
            and link_rule = 'claim_id') as correction_claim_id_count,
        count(*) filter (where payment_date >= params.window_start and kind = 'plb') as plb_recovery_count,
        count(*) filter (where payment_date >= params.window_start and kind = 'plb' and link_rule is not null)
            as plb_linked_count,
        count(*) filter (where payment_date >= params.window_start and kind = 'plb' and link_rule = 'icn')
            as plb_icn_count,
        count(*) filter (where payment_date >= params.window_start and kind = 'plb' and link_rule = 'claim_id')
            as plb_claim_id_count,
        count(*) filter (where payment_date >= params.window_start and kind = 'plb'
            and link_rule = 'composite_icn') as plb_composite_icn_count,
        count(*) filter (where payment_date >= params.window_start and kind = 'plb'
            and link_rule = 'composite_claim_id') as plb_composite_claim_id_count,
        count(*) filter (where payment_date >= params.window_start and over_recoupment) as over_recoupment_count,
        sum(amount) filter (where payment_date >= params.window_start and over_recoupment) as over_recoupment_amount
    from takebacks
    join params on params.payer_id = takebacks.payer_id
    where payment_date >= params.previous_start and payment_date <= params.window_end
    group by takebacks.payer_id
),

plb_by_window as (
    select
        plbs.payer_id,
        -sum(amount) filter (where reason_code = '72' and payment_date >= params.window_start
            and payment_date <= params.window_end) as refunds,
        -sum(amount) filter (where reason_code = 'L6' and payment_date >= params.window_start
            and payment_date <= params.window_end) as interest,
        -sum(amount) filter (where reason_code = 'FB') as outstanding_fb
    from plbs
    join params on params.payer_id = plbs.payer_id
    group by plbs.payer_id
),

joined as (
    select
        payers.payer_id,
        params.payer_name,
        params.window_start,
        params.window_end,
        params.scorecard_weeks as window_weeks,
        params.as_of,
        params.last_payment_date,
        params.active,
        coalesce(p.paid, 0) as paid,
        coalesce(t.takeback, 0) as takeback,
        coalesce(t.reversal_takeback, 0) as reversal_takeback,
        coalesce(t.plb_recovery, 0) as plb_recovery,
        coalesce(t.correction_repaid, 0) as correction_repaid,
        coalesce(t.net_takeback, 0) as net_takeback,
        coalesce(p.claim_count, 0) as claim_count,
        coalesce(t.takeback_count, 0) as takeback_count,
        coalesce(t.linked_count, 0) as linked_count,
        t.median_lag_days,
        coalesce(b.refunds, 0) as refunds,
        coalesce(b.interest, 0) as interest,
        coalesce(b.outstanding_fb, 0) as outstanding_fb,
        coalesce(p.previous_paid, 0) as previous_paid,
        coalesce(t.previous_takeback, 0) as previous_takeback,
        coalesce(t.reversal_count, 0) as reversal_count,
        coalesce(t.corrected_count, 0) as corrected_count,
        coalesce(t.correction_original_reference_count, 0) as correction_original_reference_count,
        coalesce(t.correction_payer_claim_control_count, 0) as correction_payer_claim_control_count,
        coalesce(t.correction_claim_id_service_dates_count, 0) as correction_claim_id_service_dates_count,
        coalesce(t.correction_claim_id_charge_count, 0) as correction_claim_id_charge_count,
        coalesce(t.correction_claim_id_count, 0) as correction_claim_id_count,
        coalesce(t.plb_recovery_count, 0) as plb_recovery_count,
        coalesce(t.plb_linked_count, 0) as plb_linked_count,
        coalesce(t.plb_icn_count, 0) as plb_icn_count,
        coalesce(t.plb_claim_id_count, 0) as plb_claim_id_count,
        coalesce(t.plb_composite_icn_count, 0) as plb_composite_icn_count,
        coalesce(t.plb_composite_claim_id_count, 0) as plb_composite_claim_id_count,
        coalesce(t.over_recoupment_count, 0) as over_recoupment_count,
        coalesce(t.over_recoupment_amount, 0) as over_recoupment_amount
    from payers
    join params on params.payer_id = payers.payer_id
    left join paid_by_window as p on p.payer_id = payers.payer_id
    left join takeback_by_window as t on t.payer_id = payers.payer_id
    left join plb_by_window as b on b.payer_id = payers.payer_id
),

rated as (
    select
        *,
        case when paid <> 0 then round(cast(takeback as double) / cast(paid as double), 6) end
            as recoupment_rate,
        case when paid <> 0 then round(cast(net_takeback as double) / cast(paid as double), 6) end
            as net_recoupment_rate,
        case when previous_paid <> 0
            then round(cast(previous_takeback as double) / cast(previous_paid as double), 6)
        end as previous_recoupment_rate
    from joined
),

final as (
    select
        payer_id,
        payer_name,
        window_start,
        window_end,
        cast(window_weeks as integer) as window_weeks,
        as_of,
        last_payment_date,
        active,
        cast(paid as decimal(18, 2)) as paid,
        cast(takeback as decimal(18, 2)) as takeback,
        cast(reversal_takeback as decimal(18, 2)) as reversal_takeback,
        cast(plb_recovery as decimal(18, 2)) as plb_recovery,
        cast(correction_repaid as decimal(18, 2)) as correction_repaid,
        cast(net_takeback as decimal(18, 2)) as net_takeback,
        recoupment_rate,
        net_recoupment_rate,
        cast(rank() over (order by active desc, recoupment_rate desc nulls last) as integer) as rank,
        cast(claim_count as bigint) as claim_count,
        cast(takeback_count as bigint) as takeback_count,
        cast(median_lag_days as double) as median_lag_days,
        case when takeback_count > 0 then round(linked_count / takeback_count, 4) end as linked_share,
        cast(refunds as decimal(18, 2)) as refunds,
        cast(interest as decimal(18, 2)) as interest,
        cast(outstanding_fb as decimal(18, 2)) as outstanding_fb,
        cast(previous_paid as decimal(18, 2)) as previous_paid,
        cast(previous_takeback as decimal(18, 2)) as previous_takeback,
        previous_recoupment_rate,
        cast(takeback - previous_takeback as decimal(18, 2)) as takeback_change,
        round(recoupment_rate - previous_recoupment_rate, 6) as recoupment_rate_change,
        case
            when recoupment_rate is null or previous_recoupment_rate is null then null
            when recoupment_rate - previous_recoupment_rate > 0.005 then 'up'
            when recoupment_rate - previous_recoupment_rate < -0.005 then 'down'
            else 'flat'
        end as trend,
        cast(reversal_count as bigint) as reversal_count,
        case when reversal_count > 0 then round(corrected_count / reversal_count, 4) end as corrected_share,
        case when reversal_count > 0 then round(correction_original_reference_count / reversal_count, 4) end
            as correction_share_original_reference,
        case when reversal_count > 0 then round(correction_payer_claim_control_count / reversal_count, 4) end
            as correction_share_payer_claim_control,
        case when reversal_count > 0 then round(correction_claim_id_service_dates_count / reversal_count, 4) end
            as correction_share_claim_id_service_dates,
        case when reversal_count > 0 then round(correction_claim_id_charge_count / reversal_count, 4) end
            as correction_share_claim_id_charge,
        case when reversal_count > 0 then round(correction_claim_id_count / reversal_count, 4) end
            as correction_share_claim_id,
        cast(plb_recovery_count as bigint) as plb_recovery_count,
        case when plb_recovery_count > 0 then round(plb_linked_count / plb_recovery_count, 4) end as plb_linked_share,
        case when plb_recovery_count > 0 then round(plb_icn_count / plb_recovery_count, 4) end as plb_share_icn,
        case when plb_recovery_count > 0 then round(plb_claim_id_count / plb_recovery_count, 4) end
            as plb_share_claim_id,
        case when plb_recovery_count > 0 then round(plb_composite_icn_count / plb_recovery_count, 4) end
            as plb_share_composite_icn,
        case when plb_recovery_count > 0 then round(plb_composite_claim_id_count / plb_recovery_count, 4) end
            as plb_share_composite_claim_id,
        cast(over_recoupment_count as bigint) as over_recoupment_count,
        cast(over_recoupment_amount as decimal(18, 2)) as over_recoupment_amount
    from rated
)

select * from final
order by rank, payer_id
