-- grain: one row: the date the build reports as of, worked out once. build_params.as_of is
-- `recoup build --as-of`, else the latest payment date (the build settles it before any model
-- runs: functions/models/registerBuildInputs.ts). Every model that needs the as-of date, its week
-- or the week's last day reads it here.
--   as_of        the as-of date;
--   as_of_week   the Monday of its week;
--   cutoff_date  the Sunday that ends that week.
select
    as_of,
    cast(date_trunc('week', as_of) as date) as as_of_week,
    cast(date_trunc('week', as_of) as date) + 6 as cutoff_date
from build_params
