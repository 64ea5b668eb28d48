-- grain: one alert = payer_id × grain × cause × week_start, for the weeks whose takeback is abnormal.
-- grain 'payer' (cause NULL: all causes) or 'payer_cause'. Method (docs/forecast.md), one step a
-- model, each stating its grain:
--   int_alert_params   the thresholds (one row);
--   int_alert_series   the weekly takeback series per payer and payer × cause, zero-filled;
--   int_alert_scores   each week of a mature series against the 26 weeks before it: dollar_score
--                      (robust z of the gross takeback), count_score (Poisson z of the takeback
--                      events), score (the smaller), excess_share (excess / payments at risk);
--   int_alerts         the weeks past every threshold, after a 4-week cooldown;
--   int_alert_drivers  the top claims (takeback_id), providers and causes behind each alert.
-- This mart names the payer (dim_payers), keys the alert and rounds what it shows.
with

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
        d.top_claims,
        d.top_providers,
        d.top_causes,
        as_of.as_of_week
    from int_alerts as a
    cross join int_as_of as as_of
    left join dim_payers as n
        on n.payer_id = a.payer_id
    left join int_alert_drivers as d
        on d.payer_id = a.payer_id
        and d.grain = a.grain
        and d.cause is not distinct from a.cause
        and d.week_start = a.week_start
)

select * from final
order by week_start desc, excess desc
