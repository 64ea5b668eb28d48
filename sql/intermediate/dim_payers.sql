-- grain: one payer (payer_id): the one rule for the payer's name that every mart and command shows.
--   payer_name          N1*PR name (N102) of the payer's latest remittance that carries one: latest
--                       payment date up to int_as_of.as_of (remittances with no valid date last),
--                       then latest production date, then highest remit_id; trimmed; NULL when no
--                       remittance names the payer;
--   first_payment_date, last_payment_date
--                       the payer's first and latest payment date up to as_of.
-- A payer renamed in its 835s shows its latest name everywhere; marts join this model by payer_id.
with

params as (
    select as_of from int_as_of
),

remittances as (
    select r.payer_id, r.remit_id, r.payment_date, r.production_date, nullif(trim(r.payer_name), '') as payer_name
    from stg_remittances as r, params
    where r.payment_date is null or r.payment_date <= params.as_of
),

named as (
    select
        payer_id,
        payer_name,
        row_number() over (
            partition by payer_id
            order by payment_date desc nulls last, production_date desc nulls last, remit_id desc
        ) as recency
    from remittances
    where payer_name is not null
),

final as (
    select
        r.payer_id,
        any_value(n.payer_name) as payer_name,
        min(r.payment_date) as first_payment_date,
        max(r.payment_date) as last_payment_date
    from remittances as r
    left join named as n
        on n.payer_id = r.payer_id
        and n.recency = 1
    group by r.payer_id
)

select * from final
