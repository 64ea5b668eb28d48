-- grain: one alert = payer_id × grain × cause × week_start, for the weeks whose takeback is abnormal.
-- grain 'payer' (cause NULL: all causes) or 'payer_cause'. Method (docs/forecast.md): a week is
-- judged against the 26 weeks before it on two counts, its dollars and its number of takebacks,
-- and against the payer's payment volume:
--   dollar_score  robust z-score of the gross takeback (median; MAD × 1.4826 with a floor);
--   count_score   (takebacks − their trailing mean) / √mean, the Poisson z of the week's number of
--                 takeback events (reversals and offsets): a sweep takes many claims at once,
--                 where one large recovery is an ordinary lumpy week;
--   score         the smaller of the two;
--   excess_share  the excess over the baseline / payments at risk (the payer's mean weekly paid of
--                 the 8 weeks to the week): the rate-aware floor.
-- A week alerts when the series is mature (26 weeks of history: a full window, so takebacks that
-- trail payments by up to half a year are in the baseline), dollar_score ≥ 3, count_score ≥ 3,
-- excess_share ≥ 10% (or no payments at risk), excess ≥ $500, and after a 4-week cooldown: the
-- same key stays quiet unless a later week's excess is larger. payer_name: dim_payers.
with

params as (
    -- The 26-week window is also written into the window frame below (frames take constants).
    select
        26 as window_weeks,
        26 as min_history_weeks,
        3.0 as min_dollar_score,
        3.0 as min_count_score,
        0.10 as min_excess_share,
        500.00 as min_excess,
        1.4826 as mad_scale,
        0.10 as scale_floor_share,
        100.00 as scale_floor_dollars,
        4 as cooldown_weeks
),

as_of as (
    select as_of, as_of_week, cutoff_date from int_as_of
),

weekly as (
    select w.payer_id, w.cause, w.week_start, w.takeback, w.takeback_event_count
    from int_weekly_takebacks as w, as_of
    where w.week_start <= as_of.as_of_week
),

payments as (
    select p.payer_id, p.week_start, p.paid
    from int_weekly_payments as p, as_of
    where p.week_start <= as_of.as_of_week
),

payer_start as (
    select payer_id, min(week_start) as first_week
    from (
        select payer_id, week_start from weekly
        union all
        select payer_id, week_start from payments
    )
    group by payer_id
),

keys as (
    select distinct payer_id, 'payer' as grain, cast(null as varchar) as cause from weekly
    union all
    select distinct payer_id, 'payer_cause' as grain, cause from weekly
),

-- Every week since the payer's first, zero-filled: a quiet week is a 0, not a gap.
series as (
    select
        k.payer_id,
        k.grain,
        k.cause,
        wk.week_start,
        -- Summed as DECIMAL, then made a double: a sum of doubles depends on the order rows
        -- arrive in, and an alert's excess would change in its last cent from run to run.
        cast(coalesce(sum(w.takeback), 0) as double) as takeback,
        coalesce(sum(w.takeback_event_count), 0) as events,
        cast(coalesce(any_value(p.paid), 0) as double) as paid
    from keys as k
    join payer_start as ps
        on ps.payer_id = k.payer_id
    cross join as_of
    cross join lateral (
        select cast(unnest(generate_series(ps.first_week, as_of.as_of_week, interval 7 day)) as date)
            as week_start
    ) as wk
    left join weekly as w
        on w.payer_id = k.payer_id
        and w.week_start = wk.week_start
        and (k.grain = 'payer' or w.cause = k.cause)
    left join payments as p
        on p.payer_id = k.payer_id
        and p.week_start = wk.week_start
    group by k.payer_id, k.grain, k.cause, wk.week_start
),

trailing_stats as (
    select
        *,
        count(*) over trailing_weeks as history_weeks,
        median(takeback) over trailing_weeks as baseline,
        mad(takeback) over trailing_weeks as mad,
        avg(takeback * takeback) over trailing_weeks as mean_square,
        avg(takeback) over trailing_weeks as mean,
        avg(events) over trailing_weeks as baseline_events,
        avg(paid) over (
            partition by payer_id, grain, cause order by week_start rows between 7 preceding and current row
        ) as payments_at_risk
    from series
    window trailing_weeks as (
        partition by payer_id, grain, cause
        order by week_start
        rows between 26 preceding and 1 preceding
    )
),

-- The MAD of a flat or mostly-zero history is ~0 (a cause taken back one week in five has median
-- and MAD 0), so the spread is floored by the root-mean-square deviation from the median, then by
-- a share of the baseline and a dollar amount. A count of events is Poisson: its spread is the
-- square root of its mean (floored at 1 event).
scored as (
    select
        t.*,
        greatest(
            params.mad_scale * t.mad,
            sqrt(greatest(t.mean_square - 2 * t.baseline * t.mean + t.baseline * t.baseline, 0)),
            params.scale_floor_share * abs(t.baseline),
            params.scale_floor_dollars
        ) as spread,
        t.takeback - t.baseline as excess,
        (t.events - t.baseline_events) / sqrt(greatest(t.baseline_events, 1)) as count_score
    from trailing_stats as t, params
    where t.history_weeks >= params.min_history_weeks
),

candidates as (
    select
        s.*,
        s.excess / s.spread as dollar_score,
        least(s.excess / s.spread, s.count_score) as score,
        case when s.payments_at_risk > 0 then s.excess / s.payments_at_risk end as excess_share,
        row_number() over (partition by s.payer_id, s.grain, s.cause order by s.week_start) as seq
    from scored as s, params
    where s.excess / s.spread >= params.min_dollar_score
        and s.count_score >= params.min_count_score
        and s.excess >= params.min_excess
        and (s.payments_at_risk <= 0 or s.excess >= params.min_excess_share * s.payments_at_risk)
),

-- Cooldown: walk each key's candidates in week order, remembering the last alert sent.
cooldown as (
    with recursive walk as (
        select
            payer_id, grain, cause, seq, week_start, excess,
            true as alerted,
            week_start as alert_week,
            excess as alert_excess
        from candidates
        where seq = 1
        union all
        select
            c.payer_id, c.grain, c.cause, c.seq, c.week_start, c.excess,
            c.week_start > w.alert_week + 7 * p.cooldown_weeks or c.excess > w.alert_excess,
            case
                when c.week_start > w.alert_week + 7 * p.cooldown_weeks or c.excess > w.alert_excess
                    then c.week_start
                else w.alert_week
            end,
            case
                when c.week_start > w.alert_week + 7 * p.cooldown_weeks or c.excess > w.alert_excess
                    then c.excess
                else w.alert_excess
            end
        from walk as w
        cross join params as p
        join candidates as c
            on c.payer_id = w.payer_id
            and c.grain = w.grain
            and c.cause is not distinct from w.cause
            and c.seq = w.seq + 1
    )
    select payer_id, grain, cause, week_start from walk where alerted
),

alerts as (
    select c.*
    from candidates as c
    join cooldown as k
        on k.payer_id = c.payer_id
        and k.grain = c.grain
        and k.cause is not distinct from c.cause
        and k.week_start = c.week_start
),

-- What is behind an alert: the takebacks of its payer (and cause) in its week.
contributions as (
    select
        a.payer_id,
        a.grain,
        coalesce(a.cause, '*') as cause_key,
        a.week_start,
        -- Alerts leave the lake (e-mail, webhooks), so a claim is named by its takeback_id
        -- (reversal:<remit_id>:<claim_seq> or plb:<remit_id>:<adjustment_seq>: hashes and sequence
        -- numbers), never by CLP01, the ICN or a PLB reference. takeback_links and takeback_appeals
        -- resolve it (their takeback_id column).
        t.takeback_id as claim_label,
        coalesce(t.provider_npi, 'unknown') as provider_npi,
        coalesce(t.cause, 'unspecified') as takeback_cause,
        cast(t.amount as double) as amount
    from alerts as a
    cross join as_of
    join int_takebacks as t
        on t.payer_id = a.payer_id
        and t.week_start = a.week_start
        and (a.grain = 'payer' or coalesce(t.cause, 'unspecified') = a.cause)
        and t.payment_date <= as_of.cutoff_date
),

top_claims as (
    select payer_id, grain, cause_key, week_start, list(claim_label order by amount desc)[1:3] as top_claims
    from (
        select payer_id, grain, cause_key, week_start, claim_label, sum(amount) as amount
        from contributions group by all having sum(amount) > 0
    )
    group by all
),

top_providers as (
    select payer_id, grain, cause_key, week_start, list(provider_npi order by amount desc)[1:3] as top_providers
    from (
        select payer_id, grain, cause_key, week_start, provider_npi, sum(amount) as amount
        from contributions group by all having sum(amount) > 0
    )
    group by all
),

top_causes as (
    select payer_id, grain, cause_key, week_start, list(takeback_cause order by amount desc)[1:3] as top_causes
    from (
        select payer_id, grain, cause_key, week_start, takeback_cause, sum(amount) as amount
        from contributions group by all having sum(amount) > 0
    )
    group by all
),

final as (
    select
        a.payer_id || '|' || a.grain || '|' || coalesce(a.cause, '*') || '|' || strftime(a.week_start, '%Y-%m-%d')
            as alert_id,
        a.grain,
        a.payer_id,
        n.payer_name,
        a.cause,
        a.week_start,
        cast(round(a.takeback, 2) as decimal(18, 2)) as takeback,
        cast(round(a.baseline, 2) as decimal(18, 2)) as baseline,
        round(a.score, 2) as score,
        cast(round(a.excess, 2) as decimal(18, 2)) as excess,
        cast(round(a.spread, 2) as decimal(18, 2)) as spread,
        cast(a.history_weeks as integer) as history_weeks,
        round(a.dollar_score, 2) as dollar_score,
        round(a.count_score, 2) as count_score,
        cast(a.events as bigint) as takeback_count,
        round(a.baseline_events, 2) as baseline_count,
        cast(round(a.payments_at_risk, 2) as decimal(18, 2)) as payments_at_risk,
        round(a.excess_share, 4) as excess_share,
        coalesce(tc.top_claims, []) as top_claims,
        coalesce(tp.top_providers, []) as top_providers,
        coalesce(tcs.top_causes, []) as top_causes,
        as_of.as_of_week
    from alerts as a
    cross join as_of
    left join dim_payers as n
        on n.payer_id = a.payer_id
    left join top_claims as tc
        on tc.payer_id = a.payer_id and tc.grain = a.grain
        and tc.cause_key = coalesce(a.cause, '*') and tc.week_start = a.week_start
    left join top_providers as tp
        on tp.payer_id = a.payer_id and tp.grain = a.grain
        and tp.cause_key = coalesce(a.cause, '*') and tp.week_start = a.week_start
    left join top_causes as tcs
        on tcs.payer_id = a.payer_id and tcs.grain = a.grain
        and tcs.cause_key = coalesce(a.cause, '*') and tcs.week_start = a.week_start
)

select * from final
order by week_start desc, excess desc
