-- grain: payer_id × provider_npi × provider_role × payment_date: what each payer paid each provider on each day,
-- on non-reversal claims (DESIGN.md "paid"), with the claims counted. The marts that sum payments
-- by period read this instead of every claim; sums of it are exact (DECIMAL) and additive, so a
-- partitioned build merges it by union.
--   provider_role  'rendering' when the claim's provider is a rendering NPI (NM1*82) other than the
--                  payee's, 'billing' when it is the payee (billing) NPI: a claim without a
--                  rendering NPI, or one whose rendering NPI is the payee's own.
with

claim_payments as (
    select
        c.*,
        case when c.provider_npi is not distinct from r.payee_npi then 'billing' else 'rendering' end
            as provider_role
    from int_claim_payments as c
    left join int_remittances as r
        on r.remit_id = c.remit_id
),

final as (
    select
        payer_id,
        provider_npi,
        provider_role,
        payment_date,
        week_start,
        period,
        cast(sum(paid) as decimal(18, 2)) as paid,
        cast(count(*) as bigint) as claim_count
    from claim_payments
    group by payer_id, provider_npi, provider_role, payment_date, week_start, period
)

select * from final
