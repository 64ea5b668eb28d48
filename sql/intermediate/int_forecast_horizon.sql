-- grain: horizon_week, the 13 weeks (Mondays) the liquidity forecast covers, after the as-of week.
-- Computed from int_as_of alone, so the same in every partition of a partitioned build (a
-- parameter model: functions/models/partitionRules.ts).
--   horizon_week  1 .. 13;
--   week_start    the Monday of that week (as_of_week + 7 × horizon_week).
with

params as (
    select 13 as horizon_weeks
),

as_of as (
    select as_of_week from int_as_of
)

select
    cast(range as integer) as horizon_week,
    as_of.as_of_week + 7 * cast(range as integer) as week_start
from as_of, params, range(1, params.horizon_weeks + 1)
