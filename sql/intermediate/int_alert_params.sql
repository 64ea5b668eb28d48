-- grain: one row: the thresholds of the takeback spike alerts (takeback_alerts; docs/forecast.md),
-- written once for the models that score and judge a week.
-- materialized: view
--   window_weeks         weeks a week is judged against; also written into the window frame of
--                        int_alert_scores (frames take constants);
--   min_history_weeks    a series alerts once it has this many weeks of history (a full window,
--                        so takebacks that trail payments by up to half a year are in the baseline);
--   min_dollar_score, min_count_score, min_excess_share, min_excess   the floors a week passes;
--   mad_scale, scale_floor_share, scale_floor_dollars                 the spread (int_alert_scores);
--   cooldown_weeks       a key stays quiet this long after an alert unless a later week is larger.
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
