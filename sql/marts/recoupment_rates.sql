-- grain: grain × period (month of payment) × payer_id × cause × provider_npi, one GROUPING SETS
-- roll-up named by `grain`: 'payer' (period, payer_id), 'cause' (period, cause), 'provider'
-- (period, provider_npi), 'payer_cause' (period, payer_id, cause), 'payer_provider' (period,
-- payer_id, provider_npi); columns outside the set are NULL.
-- paid (Σ CLP04, CLP02 ≠ 22) has no cause, so on the cause grains paid and claim_count are those of
-- the slice without the cause: all payers' paid in the period for 'cause', the payer's paid in the
-- period for 'payer_cause'. Rates are takeback / paid on that slice, NULL when paid is 0.
with

-- Daily and monthly sums of the claims and takebacks: the roll-ups below add them up.
payments as (
    select * from int_daily_payments
),

takebacks as (
    select * from int_period_takebacks
),

paid_sets as (
    select
        case grouping(payer_id, provider_npi)
            when 0 then 'payer_provider'
            when 1 then 'payer'
            when 2 then 'provider'
            else 'all'
        end as paid_grain,
        period,
        payer_id,
        provider_npi,
        cast(sum(paid) as decimal(18, 2)) as paid,
        cast(sum(claim_count) as bigint) as claim_count
    from payments
    group by grouping sets (
        (period, payer_id),
        (period),
        (period, provider_npi),
        (period, payer_id, provider_npi)
    )
),

takeback_sets as (
    select
        case grouping(payer_id, cause, provider_npi)
            when 3 then 'payer'
            when 5 then 'cause'
            when 6 then 'provider'
            when 1 then 'payer_cause'
            when 2 then 'payer_provider'
        end as grain,
        period,
        payer_id,
        cause,
        provider_npi,
        cast(sum(takeback) as decimal(18, 2)) as takeback,
        cast(sum(net_takeback) as decimal(18, 2)) as net_takeback,
        cast(sum(takeback_count) as bigint) as takeback_count
    from takebacks
    group by grouping sets (
        (period, payer_id),
        (period, cause),
        (period, provider_npi),
        (period, payer_id, cause),
        (period, payer_id, provider_npi)
    )
),

-- Slices that have a provider or payer but no cause: every slice with paid or a takeback.
sliced as (
    select
        coalesce(t.grain, p.paid_grain) as grain,
        coalesce(t.period, p.period) as period,
        coalesce(t.payer_id, p.payer_id) as payer_id,
        cast(null as varchar) as cause,
        coalesce(t.provider_npi, p.provider_npi) as provider_npi,
        coalesce(p.paid, 0) as paid,
        coalesce(t.takeback, 0) as takeback,
        coalesce(t.net_takeback, 0) as net_takeback,
        coalesce(p.claim_count, 0) as claim_count,
        coalesce(t.takeback_count, 0) as takeback_count
    from (select * from takeback_sets where grain in ('payer', 'provider', 'payer_provider')) as t
    full outer join (select * from paid_sets where paid_grain in ('payer', 'provider', 'payer_provider')) as p
        on p.paid_grain = t.grain
        and p.period = t.period
        and p.payer_id is not distinct from t.payer_id
        and p.provider_npi is not distinct from t.provider_npi
),

-- Cause slices exist where a takeback of that cause does; paid comes from the slice without cause.
caused as (
    select
        t.grain,
        t.period,
        t.payer_id,
        t.cause,
        t.provider_npi,
        coalesce(p.paid, 0) as paid,
        t.takeback,
        t.net_takeback,
        coalesce(p.claim_count, 0) as claim_count,
        t.takeback_count
    from takeback_sets as t
    left join paid_sets as p
        on p.period = t.period
        and (
            (t.grain = 'cause' and p.paid_grain = 'all')
            or (t.grain = 'payer_cause' and p.paid_grain = 'payer' and p.payer_id = t.payer_id)
        )
    where t.grain in ('cause', 'payer_cause')
),

unioned as (
    select * from sliced
    union all
    select * from caused
),

final as (
    select
        grain,
        period,
        payer_id,
        cause,
        provider_npi,
        cast(paid as decimal(18, 2)) as paid,
        cast(takeback as decimal(18, 2)) as takeback,
        cast(net_takeback as decimal(18, 2)) as net_takeback,
        case when paid <> 0 then round(cast(takeback as double) / cast(paid as double), 6) end
            as recoupment_rate,
        case when paid <> 0 then round(cast(net_takeback as double) / cast(paid as double), 6) end
            as net_recoupment_rate,
        cast(claim_count as bigint) as claim_count,
        cast(takeback_count as bigint) as takeback_count
    from unioned
)

select * from final
order by grain, period, payer_id, cause, provider_npi
