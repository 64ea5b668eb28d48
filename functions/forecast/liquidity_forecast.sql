-- grain: payer_id × week_start, for the 13 weeks (Mondays) after the as-of week.
-- as-of: int_as_of (`--as-of`, else the latest payment date); the week holding it is the
-- last observed week, so a backtest cut is a Sunday. Method (docs/forecast.md), over the
-- int_forecast_* models (sql/intermediate/, each states its grain):
--   expected_payments  int_forecast_expected_payments: trailing 8-week mean of weekly paid
--                      (zero-filled, weeks before the payer's first payment too), held flat;
--   takeback_p10/50/90 int_forecast_takeback_quantiles: rate-scaled empirical quantiles of the
--                      payer's last 52 weeks (int_forecast_payer_weeks) times each forecast week's
--                      payments at risk; takeback_mean the mean rate times them;
--   history_weeks      the weeks of rates behind the quantiles (with fewer than 4, or no payments at
--                      risk, the quantiles are of the weekly takeback dollars instead);
--   scheduled_offsets  known future offsets: outstanding FB (int_forecast_forwarding_balances, due
--                      in the next 835) and deferred WO not repaid yet (int_forecast_wo_deferrals,
--                      due after the payer's median deferral lag, else all payers', else 28 days);
--   net_cash_p50       expected_payments − takeback_p50 − scheduled_offsets;
--   takeback_share     (takeback_p50 + scheduled_offsets) / expected_payments; flag above 20%;
--   payer_name         dim_payers.
-- The deferral lag is the one step here that compares payers (the all-payer median), so a
-- partitioned build merges this mart from its per-payer inputs (functions/models/partitionRules.ts).
with

params as (
    select
        28 as default_deferral_days,
        0.20 as flag_share
),

as_of as (
    select as_of, as_of_week from int_as_of
),

-- Every payer with a payment or takeback by the as-of week (one row each).
payers as (
    select payer_id, expected_paid from int_forecast_expected_payments
),

-- The median days from a WO reference's first deferral to its first repayment: per payer, and over
-- all payers (payer_id NULL) for payers without a repaid deferral.
deferral_lags as (
    select
        payer_id,
        median(date_diff('day', first_deferred_on, first_repaid_on)) as lag_days
    from int_forecast_wo_deferrals
    where first_repaid_on is not null
    group by grouping sets ((payer_id), ())
),

deferred_wo as (
    select
        w.payer_id,
        greatest(
            cast(date_trunc('week', w.last_deferred_on
                + cast(round(coalesce(pl.lag_days, al.lag_days, params.default_deferral_days)) as integer))
                as date),
            as_of.as_of_week + 7
        ) as due_week,
        w.outstanding
    from int_forecast_wo_deferrals as w
    cross join as_of
    cross join params
    left join deferral_lags as pl
        on pl.payer_id = w.payer_id
    left join (select lag_days from deferral_lags where payer_id is null) as al
        on true
    where w.outstanding > 0
),

scheduled as (
    select
        p.payer_id,
        hz.horizon_week,
        case when hz.horizon_week = 1 then coalesce(fb.outstanding_fb, 0) else 0 end as scheduled_fb,
        coalesce((
            select sum(d.outstanding) from deferred_wo as d
            where d.payer_id = p.payer_id and d.due_week = hz.week_start
        ), 0) as scheduled_wo
    from payers as p
    cross join int_forecast_horizon as hz
    left join int_forecast_forwarding_balances as fb
        on fb.payer_id = p.payer_id
),

final as (
    select
        p.payer_id,
        n.payer_name,
        hz.week_start,
        hz.horizon_week,
        as_of.as_of,
        cast(round(coalesce(p.expected_paid, 0), 2) as decimal(18, 2)) as expected_payments,
        cast(round(coalesce(q.p10, 0), 2) as decimal(18, 2)) as takeback_p10,
        cast(round(coalesce(q.p50, 0), 2) as decimal(18, 2)) as takeback_p50,
        cast(round(coalesce(q.p90, 0), 2) as decimal(18, 2)) as takeback_p90,
        cast(round(coalesce(q.mean, 0), 2) as decimal(18, 2)) as takeback_mean,
        cast(s.scheduled_fb as decimal(18, 2)) as scheduled_fb,
        cast(s.scheduled_wo as decimal(18, 2)) as scheduled_wo,
        cast(s.scheduled_fb + s.scheduled_wo as decimal(18, 2)) as scheduled_offsets,
        cast(coalesce(q.history_weeks, 0) as integer) as history_weeks
    from payers as p
    cross join int_forecast_horizon as hz
    cross join as_of
    left join dim_payers as n
        on n.payer_id = p.payer_id
    left join int_forecast_takeback_quantiles as q
        on q.payer_id = p.payer_id and q.horizon_week = hz.horizon_week
    left join scheduled as s
        on s.payer_id = p.payer_id and s.horizon_week = hz.horizon_week
)

select
    final.*,
    cast(expected_payments - takeback_p50 - scheduled_offsets as decimal(18, 2)) as net_cash_p50,
    case
        when expected_payments > 0
            then round(cast(takeback_p50 + scheduled_offsets as double) / cast(expected_payments as double), 4)
    end as takeback_share,
    case
        when expected_payments > 0
            then cast(takeback_p50 + scheduled_offsets as double)
                > params.flag_share * cast(expected_payments as double)
        else takeback_p50 + scheduled_offsets > 0
    end as flag
from final, params
order by payer_id, week_start
