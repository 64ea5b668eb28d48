-- Offending rows: a payer whose gross takeback in the marts differs from the lake's
-- (DESIGN.md: Σ −CLP04 over CLP02 = 22 plus the signed Σ of PLB WO, WU, OB, 72), up to as_of.
with

params as (
    select as_of from build_params
),

-- A missing BPR16 falls back to the production date, as in int_claims.
remit_dates as (
    select remit_id, production_date from remittances
),

lake as (
    select c.payer_id, sum(-c.paid_amount) as takeback
    from claims as c
    left join remit_dates as r on r.remit_id = c.remit_id
    cross join params
    where c.status_code = '22' and coalesce(c.payment_date, r.production_date) <= params.as_of
    group by c.payer_id
    union all
    select a.payer_id, sum(a.amount)
    from adjustments as a
    left join remit_dates as r on r.remit_id = a.remit_id
    cross join params
    where a.level = 'provider' and a.reason_code in ('WO', 'WU', 'OB', '72')
        and coalesce(a.payment_date, r.production_date) <= params.as_of
    group by a.payer_id
),

lake_by_payer as (
    select payer_id, sum(takeback) as takeback from lake group by payer_id
),

rates as (
    select payer_id, sum(takeback) as takeback
    from recoupment_rates
    where grain = 'payer'
    group by payer_id
),

trend as (
    select payer_id, sum(takeback) as takeback
    from takeback_trend
    where grain = 'week'
    group by payer_id
)

select
    coalesce(l.payer_id, r.payer_id, t.payer_id) as payer_id,
    l.takeback as lake_takeback,
    r.takeback as rates_takeback,
    t.takeback as trend_takeback
from lake_by_payer as l
full outer join rates as r on r.payer_id = l.payer_id
full outer join trend as t on t.payer_id = coalesce(l.payer_id, r.payer_id)
where coalesce(l.takeback, 0) <> coalesce(r.takeback, 0)
    or coalesce(l.takeback, 0) <> coalesce(t.takeback, 0)
