-- grain: payer_id × reason_code (PLB03-1) × fiscal_period_date (PLB02): every PLB pair of any code,
-- paid on or before build_params.as_of. amount keeps the 835 sign (positive = taken from the
-- provider); taken and returned split it by sign. payer_name: dim_payers.
with

plbs as (
    select * from int_provider_adjustments
),

final as (
    select
        plbs.payer_id,
        any_value(n.payer_name) as payer_name,
        reason_code,
        fiscal_period_date,
        any_value(category) as category,
        bool_or(is_recovery) as is_recovery,
        cast(sum(amount) as decimal(18, 2)) as amount,
        cast(coalesce(sum(amount) filter (where amount > 0), 0) as decimal(18, 2)) as taken,
        cast(coalesce(-sum(amount) filter (where amount < 0), 0) as decimal(18, 2)) as returned,
        cast(count(*) as bigint) as pair_count,
        cast(count(reference_id) as bigint) as referenced_count,
        min(payment_date) as first_payment_date,
        max(payment_date) as last_payment_date
    from plbs
    left join dim_payers as n
        on n.payer_id = plbs.payer_id
    group by plbs.payer_id, reason_code, fiscal_period_date
)

select * from final
order by payer_id, reason_code, fiscal_period_date
