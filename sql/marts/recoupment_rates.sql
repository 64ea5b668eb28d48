-- grain: grain × period (month of payment) × payer_id × cause × provider_npi × provider_role, one GROUPING SETS
-- roll-up named by `grain`: 'payer' (period, payer_id), 'cause' (period, cause), 'provider'
-- (period, provider_npi), 'payer_cause' (period, payer_id, cause), 'payer_provider' (period,
-- payer_id, provider_npi); columns outside the set are NULL.
-- paid (Σ CLP04, CLP02 ≠ 22) has no cause, so on the cause grains paid and claim_count are those of
-- the slice without the cause: all payers' paid in the period for 'cause', the payer's paid in the
-- period for 'payer_cause'. Rates are takeback / paid on that slice, NULL when paid is 0.
--   provider_role   on the provider grains, part of the slice: 'rendering' (NM1*82 of the claim)
--                   or 'billing' (the payee NPI: claims without a rendering NPI, and PLB offsets
--                   that name no claim, which PLB01 charges to the billing group), so a billing
--                   group's unlinked offsets never rank as a rendering provider; NULL elsewhere;
--   payer_name      dim_payers, on rows with a payer_id;
--   partial_period  the month is not wholly covered: it ends after build_params.as_of, or starts
--                   before the first payment in the lake (of the payer, on payer grains), so its
--                   rate is of part of a month.
with

params as (
    select as_of from int_as_of
),

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
        provider_role,
        cast(sum(paid) as decimal(18, 2)) as paid,
        cast(sum(claim_count) as bigint) as claim_count
    from payments
    group by grouping sets (
        (period, payer_id),
        (period),
        (period, provider_npi, provider_role),
        (period, payer_id, provider_npi, provider_role)
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
        provider_role,
        cast(sum(takeback) as decimal(18, 2)) as takeback,
        cast(sum(net_takeback) as decimal(18, 2)) as net_takeback,
        cast(sum(takeback_count) as bigint) as takeback_count
    from takebacks
    group by grouping sets (
        (period, payer_id),
        (period, cause),
        (period, provider_npi, provider_role),
        (period, payer_id, cause),
        (period, payer_id, provider_npi, provider_role)
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
        coalesce(t.provider_role, p.provider_role) as provider_role,
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
        and p.provider_role is not distinct from t.provider_role
),

-- Cause slices exist where a takeback of that cause does; paid comes from the slice without cause.
caused as (
    select
        t.grain,
        t.period,
        t.payer_id,
        t.cause,
        t.provider_npi,
        t.provider_role,
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

-- The first payment date: of the lake, and of each payer.
first_dates as (
    select payer_id, min(first_payment_date) as first_payment_date
    from dim_payers
    group by grouping sets ((payer_id), ())
),

final as (
    select
        u.grain,
        u.period,
        u.payer_id,
        n.payer_name,
        u.cause,
        u.provider_npi,
        u.provider_role,
        cast(u.paid as decimal(18, 2)) as paid,
        cast(u.takeback as decimal(18, 2)) as takeback,
        cast(u.net_takeback as decimal(18, 2)) as net_takeback,
        case when u.paid <> 0 then round(cast(u.takeback as double) / cast(u.paid as double), 6) end
            as recoupment_rate,
        case when u.paid <> 0 then round(cast(u.net_takeback as double) / cast(u.paid as double), 6) end
            as net_recoupment_rate,
        cast(u.claim_count as bigint) as claim_count,
        cast(u.takeback_count as bigint) as takeback_count,
        coalesce(
            cast(u.period + interval 1 month as date) - 1 > params.as_of
            or u.period < coalesce(fp.first_payment_date, fl.first_payment_date),
            false
        ) as partial_period
    from unioned as u
    cross join params
    left join dim_payers as n
        on n.payer_id = u.payer_id
    left join first_dates as fp
        on fp.payer_id = u.payer_id
    left join (select first_payment_date from first_dates where payer_id is null) as fl
        on true
)

select * from final
order by grain, period, payer_id, cause, provider_npi, provider_role
