-- Offending rows: a PLB reference (adjustments.reference_id) that holds a member identifier: a
-- token with the shape of a Medicare Beneficiary Identifier (MBI) or of a HIC number (issue 24
-- case 3; DOMAIN.md §6). The reader keeps only a reference's claim-identifying tokens
-- (functions/core/era/plbReference.ts), so no member id enters the lake, nor any mart or report.
with

plbs as (
    select remit_id, adjustment_seq, payer_id, reference_id
    from stg_adjustments
    where level = 'provider' and reference_id is not null
),

tokens as (
    select
        remit_id,
        adjustment_seq,
        payer_id,
        upper(split_part(trim(reference_id), ' ', 1)) as first_token,
        upper(unnest(string_split_regex(reference_id, '[^A-Za-z0-9]+'))) as token
    from plbs
)

select remit_id, adjustment_seq, payer_id,
    case
        when regexp_full_match(token, '[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9][AC-HJKMNP-RT-Y]{2}[0-9]{2}') then 'mbi'
        else 'hic'
    end as shape
from tokens
where regexp_full_match(token, '[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9][AC-HJKMNP-RT-Y]{2}[0-9]{2}')
    or (regexp_full_match(token, '[0-9]{9}[A-Z][A-Z0-9]?') and token <> first_token)
