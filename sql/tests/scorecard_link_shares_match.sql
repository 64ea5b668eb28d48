-- Offending rows: a payer_scorecard share linked by a rule that differs from the share of the
-- window's takebacks that int_takebacks links by that rule (reversals: the rule of the correction,
-- over reversal_count; PLB recoveries: the rule of the claim, over plb_recovery_count), or shares
-- that do not add up to corrected_share / plb_linked_share.
with

windowed as (
    select t.*
    from int_takebacks as t
    join payer_scorecard as s
        on s.payer_id = t.payer_id
        and t.payment_date between s.window_start and s.window_end
),

expected as (
    select
        payer_id,
        kind,
        coalesce(link_rule, 'none') as link_rule,
        count(*) / sum(count(*)) over (partition by payer_id, kind) as share
    from windowed
    group by payer_id, kind, coalesce(link_rule, 'none')
),

actual as (
    unpivot (
        select
            payer_id,
            correction_share_original_reference as "reversal|original_reference",
            correction_share_payer_claim_control as "reversal|payer_claim_control",
            correction_share_claim_id_service_dates as "reversal|claim_id_service_dates",
            correction_share_claim_id_charge as "reversal|claim_id_charge",
            correction_share_claim_id as "reversal|claim_id",
            plb_share_icn as "plb|icn",
            plb_share_claim_id as "plb|claim_id",
            plb_share_composite_icn as "plb|composite_icn",
            plb_share_composite_claim_id as "plb|composite_claim_id"
        from payer_scorecard
    )
    on columns(* exclude (payer_id))
    into name rule_key value share
),

compared as (
    select
        a.payer_id,
        a.rule_key,
        a.share as scorecard_share,
        round(coalesce(e.share, 0), 4) as expected_share
    from actual as a
    left join expected as e
        on e.payer_id = a.payer_id
        and e.kind || '|' || e.link_rule = a.rule_key
)

select payer_id, rule_key, scorecard_share, expected_share
from compared
where scorecard_share <> expected_share
union all
select
    payer_id,
    'sums',
    corrected_share,
    round(
        correction_share_original_reference + correction_share_payer_claim_control
        + correction_share_claim_id_service_dates + correction_share_claim_id_charge + correction_share_claim_id,
        4
    )
from payer_scorecard
where abs(
        corrected_share - (
            correction_share_original_reference + correction_share_payer_claim_control
            + correction_share_claim_id_service_dates + correction_share_claim_id_charge + correction_share_claim_id
        )
    ) > 0.0005
    or abs(
        plb_linked_share - (plb_share_icn + plb_share_claim_id + plb_share_composite_icn + plb_share_composite_claim_id)
    ) > 0.0005
