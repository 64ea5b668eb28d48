-- Offending rows: a payer whose paid in recoupment_rates differs from Σ CLP04 over CLP02 ≠ 22 in the lake.
with

params as (
    select as_of from build_params
),

lake as (
    select c.payer_id, sum(c.paid_amount) as paid
    from claims as c
    left join remittances as r on r.remit_id = c.remit_id
    cross join params
    where c.status_code <> '22' and coalesce(c.payment_date, r.production_date) <= params.as_of
    group by c.payer_id
),

rates as (
    select payer_id, sum(paid) as paid
    from recoupment_rates
    where grain = 'payer'
    group by payer_id
)

select coalesce(l.payer_id, r.payer_id) as payer_id, l.paid as lake_paid, r.paid as rates_paid
from lake as l
full outer join rates as r on r.payer_id = l.payer_id
where coalesce(l.paid, 0) <> coalesce(r.paid, 0)
