-- Offending rows: a mart value outside the values its column accepts. Causes and categories come
-- from ref_causes and ref_categories (registered from functions/core/era/taxonomy.ts, the one list);
-- the other enumerations are the models' own (docs/metrics.md, docs/models.md).
select 'recoupment_rates' as mart, 'grain' as col, grain as value from recoupment_rates
where grain not in ('payer', 'cause', 'provider', 'payer_cause', 'payer_provider')
union all
select 'recoupment_rates', 'cause', cause from recoupment_rates
where cause is not null and cause not in (select cause from ref_causes)
union all
select 'recoupment_rates', 'provider_role', provider_role from recoupment_rates
where provider_role is not null and provider_role not in ('rendering', 'billing')
union all
select 'takeback_trend', 'grain', grain from takeback_trend where grain not in ('week', 'month')
union all
select 'takeback_links', 'kind', kind from takeback_links where kind not in ('reversal', 'plb')
union all
select 'takeback_links', 'cause', cause from takeback_links
where cause is null or cause not in (select cause from ref_causes)
union all
select 'takeback_links', 'link_rule', link_rule from takeback_links
where link_rule is not null and link_rule not in (
    'original_reference', 'payer_claim_control', 'claim_id_service_dates', 'claim_id_charge', 'claim_id',
    'icn', 'composite_icn', 'composite_claim_id'
)
union all
select 'takeback_appeals', 'status', status from takeback_appeals
where status not in ('repaid_by_correction', 'expired', 'due_7_days', 'open')
union all
select 'takeback_appeals', 'cause', cause from takeback_appeals
where cause is not null and cause not in (select cause from ref_causes)
union all
select 'takeback_alerts', 'grain', grain from takeback_alerts where grain not in ('payer', 'payer_cause')
union all
select 'takeback_alerts', 'cause', cause from takeback_alerts
where (grain = 'payer') <> (cause is null) or (cause is not null and cause not in (select cause from ref_causes))
union all
select 'plb_summary', 'category', category from plb_summary
where category is null or category not in (select category from ref_categories)
