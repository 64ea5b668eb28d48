-- grain: payer_id, every payer of int_forecast_payer_weeks (a payment or takeback by the as-of
-- week): what the liquidity forecast expects the payer to pay in each forecast week.
--   expected_paid  the mean weekly paid of the last 8 weeks to the as-of week, quiet weeks counted
--                  as 0: also the weeks before the payer's first payment, so a one-off payment in
--                  the as-of week is spread over 8 weeks, not repeated every week of the horizon
--                  (DOUBLE; the mart rounds it to cents).
with

params as (
    select 8 as payment_weeks
),

as_of as (
    select as_of_week from int_as_of
)

select pw.payer_id, sum(pw.paid) / any_value(params.payment_weeks) as expected_paid
from int_forecast_payer_weeks as pw, as_of, params
where pw.week_start > as_of.as_of_week - 7 * params.payment_weeks
group by pw.payer_id
