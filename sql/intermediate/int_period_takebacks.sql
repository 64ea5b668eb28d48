-- grain: period (month of payment) × payer_id × cause × provider_npi: gross and net takeback and
-- the takeback events counted. The finest slice recoupment_rates rolls up; additive, so a
-- partitioned build merges it by union.
with

takebacks as (
    select * from int_takebacks
),

final as (
    select
        period,
        payer_id,
        cause,
        provider_npi,
        cast(sum(amount) as decimal(18, 2)) as takeback,
        cast(sum(net_amount) as decimal(18, 2)) as net_takeback,
        cast(count(*) as bigint) as takeback_count
    from takebacks
    group by period, payer_id, cause, provider_npi
)

select * from final
