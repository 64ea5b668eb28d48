-- grain: one 835 transaction = remit_id, with what its claims are dated and keyed by: the
-- production date (a missing BPR16's stand-in), the payee and the payee's NPI; the file it came
-- in and when (source_key, ingested_at), which period_restatements reads for late files; and
-- remit_order, its place in remit_id order: a small integer that joins and sorts as the
-- 49-character id does, for keys inside one build (never stored: it numbers the remittances of
-- one build). key_conflict: another remittance has its remit_key (payer, payee, trace, amount,
-- date) with other content (docs/lake.md "Key conflicts"), order-independent. Here and not in
-- stg_remittances, whose every reader would pay for the window (on a staged lake, a second read of
-- every remittance file).
with

remittances as materialized (
    select * from stg_remittances
),

final as (
    select
        remit_id,
        payer_id,
        payee_id,
        payee_npi,
        payment_date,
        production_date,
        source_key,
        ingested_at,
        cast(dense_rank() over (order by remit_id) as integer) as remit_order,
        count(distinct remit_id) over (
            partition by coalesce(remit_key, split_part(remit_id, '-', 1))
        ) > 1 as key_conflict
    from remittances
)

select * from final
