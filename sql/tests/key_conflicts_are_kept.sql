-- Offending rows: a lake remittance or claim the models lost or doubled. Every remittance of the
-- lake is one row of stg_remittances and every claim one row of stg_claims; every claim paid (BPR16,
-- else the production date) on or before as_of is one row of int_claims. So two remittances that
-- share a key but differ in content (a key conflict, DESIGN.md "Lake contract") are both kept,
-- and linking (which reads int_claims) sees both.
with

params as (
    select as_of from build_params
),

lake_remittances as (
    select remit_id, count(*) as n from remittances group by remit_id
),

staged_remittances as (
    select remit_id, count(*) as n from stg_remittances group by remit_id
),

lake_claims as (
    select
        c.remit_id,
        c.claim_seq,
        count(*) as n,
        bool_or(coalesce(c.payment_date, r.production_date) <= p.as_of) as in_window
    from claims as c
    left join remittances as r
        on r.remit_id = c.remit_id
    cross join params as p
    group by c.remit_id, c.claim_seq, p.as_of
),

staged_claims as (
    select remit_id, claim_seq, count(*) as n from stg_claims group by remit_id, claim_seq
),

modeled_claims as (
    select remit_id, claim_seq, count(*) as n from int_claims group by remit_id, claim_seq
)

select 'stg_remittances' as model, coalesce(l.remit_id, s.remit_id) as remit_id, null as claim_seq,
    l.n as lake_rows, s.n as model_rows
from lake_remittances as l
full outer join staged_remittances as s
    on s.remit_id = l.remit_id
where coalesce(s.n, 0) <> coalesce(l.n, 0)
union all
select 'stg_claims', coalesce(l.remit_id, s.remit_id), coalesce(l.claim_seq, s.claim_seq), l.n, s.n
from lake_claims as l
full outer join staged_claims as s
    on s.remit_id = l.remit_id
    and s.claim_seq = l.claim_seq
where coalesce(s.n, 0) <> coalesce(l.n, 0)
union all
select 'int_claims', coalesce(l.remit_id, m.remit_id), coalesce(l.claim_seq, m.claim_seq), l.n, m.n
from (select * from lake_claims where in_window) as l
full outer join modeled_claims as m
    on m.remit_id = l.remit_id
    and m.claim_seq = l.claim_seq
where coalesce(m.n, 0) <> coalesce(l.n, 0)
