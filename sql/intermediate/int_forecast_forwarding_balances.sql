-- grain: payer_id, every payer with an FB (forwarding balance) adjustment by the as-of week's end:
--   outstanding_fb  the balance still carried, −Σ FB (never below 0); the payer applies it in its
--                   next 835, so the liquidity forecast schedules it in the first forecast week.
with

as_of as (
    select cutoff_date from int_as_of
)

select
    a.payer_id,
    greatest(-sum(a.amount), 0) as outstanding_fb
from int_weekly_plb_offsets as a, as_of
where a.reason_code = 'FB'
    and a.payment_date <= as_of.cutoff_date
group by a.payer_id
