-- grain: period (month of payment) × payer_id × cause × provider_npi × provider_role: gross and net takeback and
-- the takeback events counted. The finest slice recoupment_rates rolls up; additive, so a
-- partitioned build merges it by union.
--   provider_role  'billing' for a PLB offset that names no claim (charged to PLB01, the payee) and
--                  for a takeback whose provider is the payee (billing) NPI; else 'rendering'.
with

takebacks as (
    select
        t.*,
        case
            when t.kind = 'plb' and t.link_rule is null then 'billing'
            when t.provider_npi is not distinct from r.payee_npi then 'billing'
            else 'rendering'
        end as provider_role
    from int_takebacks as t
    left join int_remittances as r
        on r.remit_id = t.remit_id
),

final as (
    select
        period,
        payer_id,
        cause,
        provider_npi,
        provider_role,
        cast(sum(amount) as decimal(18, 2)) as takeback,
        cast(sum(net_amount) as decimal(18, 2)) as net_takeback,
        cast(count(*) as bigint) as takeback_count
    from takebacks
    group by period, payer_id, cause, provider_npi, provider_role
)

select * from final
