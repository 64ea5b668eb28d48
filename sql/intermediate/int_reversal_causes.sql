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

-- Plan (not logic): reversal_key numbers the reversals, so the sums and the ranking below group by
-- an integer rather than by remit_id (a long string) and claim_seq; materialized, so every reader
-- sees the same numbers.
links as materialized (
    select
        remit_id,
        claim_seq,
        correction_remit_id,
        correction_claim_seq,
        correction_remark_codes,
        row_number() over () as reversal_key
    from int_reversal_links
),

-- Whose CAS count for a reversal: the correction's (seen first) and, when there is a correction,
-- the reversal's own.
cas_sources as (
    select correction_remit_id as remit_id, correction_claim_seq as claim_seq, reversal_key, 0 as source_order
    from links
    where correction_remit_id is not null
    union all
    select remit_id, claim_seq, reversal_key, 1 as source_order
    from links
    where correction_remit_id is not null
),

carc_causes as (
    select * from ref_carc_cause
),

-- CAS (claim and service level) of the correction and of the reversal, per reversal. Plan (not
-- logic): one join of the lake's adjustments with both, so they are read and probed once; the
-- level is tested in the sums below, on the few rows the join keeps, rather than on every row.
changes as (
    select
        s.reversal_key,
        a.reason_code,
        s.source_order,
        a.adjustment_seq,
        a.amount,
        a.level in ('claim', 'service') as is_cas
    from stg_adjustments as a
    join cas_sources as s
        on s.remit_id = a.remit_id
        and s.claim_seq = a.claim_seq
),

change_by_carc as (
    select
        reversal_key,
        reason_code,
        sum(amount) filter (where is_cas) as change,
        min(source_order * 1000000 + adjustment_seq) filter (where is_cas) as first_seen
    from changes
    group by reversal_key, reason_code
),

best_carc as (
    select
        c.reversal_key,
        c.reason_code,
        k.cause,
        c.change,
        row_number() over (
            partition by c.reversal_key
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
        on b.reversal_key = l.reversal_key
        and b.preference = 1
)

select * from final
