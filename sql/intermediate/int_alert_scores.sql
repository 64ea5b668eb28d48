-- grain: payer_id × grain × cause × week_start of int_alert_series, for the weeks of a mature
-- series (int_alert_params.min_history_weeks of history): each week judged against the 26 weeks
-- before it on two counts, its dollars and its number of takebacks, and against the payer's
-- payment volume (docs/forecast.md):
--   baseline, mad    median and MAD of the trailing takebacks; mean, mean_square their moments;
--   spread           MAD × 1.4826, floored (below); excess = takeback − baseline;
--   dollar_score     excess / spread, the robust z-score of the gross takeback;
--   count_score      (events − baseline_events) / √baseline_events, the Poisson z of the week's
--                    number of takeback events (reversals and offsets): a sweep takes many claims
--                    at once, where one large recovery is an ordinary lumpy week;
--   score            the smaller of the two;
--   payments_at_risk the payer's mean weekly paid of the 8 weeks to the week;
--   excess_share     excess / payments_at_risk (NULL without payments at risk): the rate-aware floor.
with

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
    from int_alert_series
    -- The 26 weeks of int_alert_params.window_weeks (a frame takes a constant).
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
    from trailing_stats as t, int_alert_params as params
    where t.history_weeks >= params.min_history_weeks
)

select
    s.*,
    s.excess / s.spread as dollar_score,
    least(s.excess / s.spread, s.count_score) as score,
    case when s.payments_at_risk > 0 then s.excess / s.payments_at_risk end as excess_share
from scored as s
