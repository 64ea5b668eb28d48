-- grain: one alert = payer_id × grain × cause × week_start: the weeks of int_alert_scores whose
-- takeback is abnormal, before they are named and explained (takeback_alerts). A week alerts when
-- dollar_score ≥ 3, count_score ≥ 3, excess_share ≥ 10% (or no payments at risk) and excess ≥ $500
-- (int_alert_params), and after a 4-week cooldown: the same key stays quiet unless a later week's
-- excess is larger. Columns: those of int_alert_scores.
with

candidates as (
    select
        s.*,
        row_number() over (partition by s.payer_id, s.grain, s.cause order by s.week_start) as seq
    from int_alert_scores as s, int_alert_params as params
    where s.dollar_score >= params.min_dollar_score
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
        cross join int_alert_params as p
        join candidates as c
            on c.payer_id = w.payer_id
            and c.grain = w.grain
            and c.cause is not distinct from w.cause
            and c.seq = w.seq + 1
    )
    select payer_id, grain, cause, week_start from walk where alerted
)

select c.* exclude (seq)
from candidates as c
join cooldown as k
    on k.payer_id = c.payer_id
    and k.grain = c.grain
    and k.cause is not distinct from c.cause
    and k.week_start = c.week_start
