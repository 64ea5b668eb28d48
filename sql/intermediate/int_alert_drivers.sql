-- grain: one alert of int_alerts = payer_id × grain × cause × week_start: what is behind it, the
-- takebacks of its payer (and cause) in its week paid up to int_as_of.cutoff_date, the three
-- largest of each kind (by amount, ties in the order of the names below, so every build names the
-- same three; kinds whose amounts net to ≤ 0 left out; [] when none is left):
--   top_claims     takeback_id of the takeback. Alerts leave the lake (e-mail, webhooks), so a claim
--                  is named by its takeback_id (reversal:<remit_id>:<claim_seq> or
--                  plb:<remit_id>:<adjustment_seq>: hashes and sequence numbers), never by CLP01,
--                  the ICN or a PLB reference. takeback_links and takeback_appeals resolve it
--                  (their takeback_id column);
--   top_providers  provider_npi ('unknown' when none);
--   top_causes     cause of the takeback ('unspecified' when none).
with

contributions as (
    select
        a.payer_id,
        a.grain,
        a.cause,
        a.week_start,
        t.takeback_id as claim_label,
        coalesce(t.provider_npi, 'unknown') as provider_npi,
        coalesce(t.cause, 'unspecified') as takeback_cause,
        t.amount
    from int_alerts as a
    cross join int_as_of as as_of
    join int_takebacks as t
        on t.payer_id = a.payer_id
        and t.week_start = a.week_start
        and (a.grain = 'payer' or coalesce(t.cause, 'unspecified') = a.cause)
        and t.payment_date <= as_of.cutoff_date
),

top_claims as (
    select payer_id, grain, cause, week_start, list(claim_label order by amount desc, claim_label)[1:3] as top_claims
    from (
        select payer_id, grain, cause, week_start, claim_label, sum(amount) as amount
        from contributions group by all having sum(amount) > 0
    )
    group by all
),

top_providers as (
    select payer_id, grain, cause, week_start, list(provider_npi order by amount desc, provider_npi)[1:3] as top_providers
    from (
        select payer_id, grain, cause, week_start, provider_npi, sum(amount) as amount
        from contributions group by all having sum(amount) > 0
    )
    group by all
),

top_causes as (
    select payer_id, grain, cause, week_start, list(takeback_cause order by amount desc, takeback_cause)[1:3] as top_causes
    from (
        select payer_id, grain, cause, week_start, takeback_cause, sum(amount) as amount
        from contributions group by all having sum(amount) > 0
    )
    group by all
)

select
    a.payer_id,
    a.grain,
    a.cause,
    a.week_start,
    coalesce(tc.top_claims, []) as top_claims,
    coalesce(tp.top_providers, []) as top_providers,
    coalesce(tcs.top_causes, []) as top_causes
from int_alerts as a
left join top_claims as tc
    on tc.payer_id = a.payer_id and tc.grain = a.grain
    and tc.cause is not distinct from a.cause and tc.week_start = a.week_start
left join top_providers as tp
    on tp.payer_id = a.payer_id and tp.grain = a.grain
    and tp.cause is not distinct from a.cause and tp.week_start = a.week_start
left join top_causes as tcs
    on tcs.payer_id = a.payer_id and tcs.grain = a.grain
    and tcs.cause is not distinct from a.cause and tcs.week_start = a.week_start
