-- grain: one reversal claim (CLP02 = 22) = remit_id × claim_seq, with the cause of the takeback.
-- The product's one rule (docs/models.md "Cause of a takeback"; the reader decides no takeback's
-- cause, the lake's is NULL on reversal rows; DESIGN.md "Cause of a reversal"):
--   pending  no correction has arrived;
--   audit    the correction carries remark N432 (recovery audit);
--   else the CARC whose amount grew most between the original and the correction: the reversal's
--   CAS repeat the original negated, so correction CAS + reversal CAS per CARC is the change; the
--   largest positive change with a known cause (ref_carc_cause) wins, ties to the CARC seen first
--   (correction CAS in file order, then the reversal's);
--   other    a correction that no known CARC explains.
with

links as (
    select * from int_reversal_links
),

cas as (
    select remit_id, claim_seq, adjustment_seq, reason_code, amount
    from stg_adjustments
    where level in ('claim', 'service')
        -- Plan (not logic): only the CAS of the reversals and corrections below, not every CAS.
        and (remit_id, claim_seq) in (
            select remit_id, claim_seq from links
            union all
            select correction_remit_id, correction_claim_seq from links
        )
),

carc_causes as (
    select * from ref_carc_cause
),

-- CAS of the correction (seen first) and of the reversal, per reversal.
changes as (
    select
        l.remit_id,
        l.claim_seq,
        cas.reason_code,
        0 as source_order,
        cas.adjustment_seq,
        cas.amount
    from links as l
    join cas
        on cas.remit_id = l.correction_remit_id
        and cas.claim_seq = l.correction_claim_seq
    union all
    select
        l.remit_id,
        l.claim_seq,
        cas.reason_code,
        1 as source_order,
        cas.adjustment_seq,
        cas.amount
    from links as l
    join cas
        on cas.remit_id = l.remit_id
        and cas.claim_seq = l.claim_seq
    where l.correction_remit_id is not null
),

change_by_carc as (
    select
        remit_id,
        claim_seq,
        reason_code,
        sum(amount) as change,
        min(source_order * 1000000 + adjustment_seq) as first_seen
    from changes
    group by remit_id, claim_seq, reason_code
),

best_carc as (
    select
        c.remit_id,
        c.claim_seq,
        c.reason_code,
        k.cause,
        c.change,
        row_number() over (
            partition by c.remit_id, c.claim_seq
            order by c.change desc, c.first_seen
        ) as preference
    from change_by_carc as c
    join carc_causes as k
        on k.reason_code = c.reason_code
    where c.change > 0
),

final as (
    select
        l.remit_id,
        l.claim_seq,
        case
            when l.correction_remit_id is null then 'pending'
            when list_contains(string_split(coalesce(l.correction_remark_codes, ''), ','), 'N432') then 'audit'
            when b.cause is not null then b.cause
            else 'other'
        end as cause,
        case
            when l.correction_remit_id is not null
                and not list_contains(string_split(coalesce(l.correction_remark_codes, ''), ','), 'N432')
                then b.reason_code
        end as cause_reason_code,
        b.change as cause_change
    from links as l
    left join best_carc as b
        on b.remit_id = l.remit_id
        and b.claim_seq = l.claim_seq
        and b.preference = 1
)

select * from final
