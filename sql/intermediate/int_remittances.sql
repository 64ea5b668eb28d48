-- grain: one 835 transaction = remit_id, with remit_order: its place in remit_id order, a small
-- integer that stands for the 49-character id where claims are stored and sorted.
with

remittances as (
    select * from stg_remittances
),

final as (
    select
        remit_id,
        payer_id,
        payment_date,
        production_date,
        cast(dense_rank() over (order by remit_id) as integer) as remit_order
    from remittances
)

select * from final
