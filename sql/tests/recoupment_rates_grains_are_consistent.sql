-- Offending rows: a recoupment_rates grain whose columns do not match its grouping set, or a
-- period whose takeback differs between grains (every grain partitions the same takebacks).
with

shape as (
    select grain, period, payer_id, cause, provider_npi, provider_role
    from recoupment_rates
    where grain not in ('payer', 'cause', 'provider', 'payer_cause', 'payer_provider')
        or period is null
        or (grain in ('cause', 'provider') and payer_id is not null)
        or (grain in ('payer', 'provider', 'payer_provider') and cause is not null)
        or (grain in ('payer', 'cause', 'payer_cause') and provider_npi is not null)
        or (grain in ('payer', 'cause', 'payer_cause') and provider_role is not null)
        or (grain in ('provider', 'payer_provider') and provider_role not in ('rendering', 'billing'))
        or (grain in ('cause', 'payer_cause') and cause is null)
),

totals as (
    select period, grain, sum(takeback) as takeback, sum(net_takeback) as net_takeback
    from recoupment_rates
    group by period, grain
),

mismatched as (
    select t.period, t.grain, t.takeback, p.takeback as payer_takeback
    from totals as t
    join totals as p on p.period = t.period and p.grain = 'payer'
    where t.takeback <> p.takeback or t.net_takeback <> p.net_takeback
)

select grain, period, payer_id, cause, provider_npi, null as takeback, null as payer_takeback from shape
union all
select grain, period, null, null, null, takeback, payer_takeback from mismatched
