-- grain: one alert = payer_id × grain × cause × week_start, for the weeks whose takeback is abnormal.
-- grain 'payer' (cause NULL: all causes) or 'payer_cause'. Method (docs/forecast.md): robust
-- z-score of the week's gross takeback against the 26 weeks before it (median; MAD × 1.4826 with a
-- floor), at least 8 weeks of history, at least $5,000 above the baseline, above every week of the
-- window (lumpy, mostly-quiet causes otherwise alert on ordinary bursts), and a 4-week cooldown:
-- after an alert the same key stays quiet unless a later week's excess is larger.
with

params as (
    -- The 26-week window is also written into the window frame below (frames take constants).
    select
        26 as window_weeks,
        8 as min_history_weeks,
        3.5 as min_score,
        5000.00 as min_excess,
        1.4826 as mad_scale,
        0.10 as scale_floor_share,
        100.00 as scale_floor_dollars,
        4 as cooldown_weeks
),

as_of as (
    select
        cast(date_trunc('week', as_of) as date) as as_of_week,
        cast(date_trunc('week', as_of) as date) + 6 as cutoff_date
    from (
        select coalesce(
            (select max(as_of) from build_params),
            (select max(payment_date) from int_claim_payments),
            (select max(payment_date) from int_takebacks)
        ) as as_of
    )
    where as_of is not null
),

weekly as (
    select w.payer_id, w.cause, w.week_start, w.takeback
    from int_weekly_takebacks as w, as_of
    where w.week_start <= as_of.as_of_week
),

payer_start as (
    select payer_id, min(week_start) as first_week
    from (
        select payer_id, week_start from weekly
        union all
        select p.payer_id, p.week_start from int_weekly_payments as p, as_of
        where p.week_start <= as_of.as_of_week
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
        cast(coalesce(sum(w.takeback), 0) as double) as takeback
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
        max(takeback) over trailing_weeks as trailing_max
    from series
    window trailing_weeks as (
        partition by payer_id, grain, cause
        order by week_start
        rows between 26 preceding and 1 preceding
    )
),

-- The MAD of a flat or mostly-zero history is ~0 (a cause taken back one week in five has median
-- and MAD 0), so the spread is floored by the root-mean-square deviation from the median, then by
-- a share of the baseline and a dollar amount.
scored as (
    select
        t.*,
        greatest(
            params.mad_scale * t.mad,
            sqrt(greatest(t.mean_square - 2 * t.baseline * t.mean + t.baseline * t.baseline, 0)),
            params.scale_floor_share * abs(t.baseline),
            params.scale_floor_dollars
        ) as spread,
        t.takeback - t.baseline as excess
    from trailing_stats as t, params
    where t.history_weeks >= params.min_history_weeks
),

candidates as (
    select
        s.*,
        s.excess / s.spread as score,
        row_number() over (partition by s.payer_id, s.grain, s.cause order by s.week_start) as seq
    from scored as s, params
    where s.excess / s.spread >= params.min_score
        and s.excess >= params.min_excess
        and s.takeback > s.trailing_max
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
        coalesce(
            t.claim_id || coalesce(' (ICN ' || t.payer_claim_control || ')', ''),
            t.payer_claim_control,
            t.reference_id,
            t.takeback_id
        ) as claim_label,
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
        a.cause,
        a.week_start,
        cast(round(a.takeback, 2) as decimal(18, 2)) as takeback,
        cast(round(a.baseline, 2) as decimal(18, 2)) as baseline,
        round(a.score, 2) as score,
        cast(round(a.excess, 2) as decimal(18, 2)) as excess,
        cast(round(a.spread, 2) as decimal(18, 2)) as spread,
        cast(a.history_weeks as integer) as history_weeks,
        coalesce(tc.top_claims, []) as top_claims,
        coalesce(tp.top_providers, []) as top_providers,
        coalesce(tcs.top_causes, []) as top_causes,
        as_of.as_of_week
    from alerts as a
    cross join as_of
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
