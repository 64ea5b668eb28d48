-- grain: period × payer_id × metric × cause × reason × source_key: how a closed month changed since
-- `recoup close` froze it (closed_periods, closed_recoupment_rates, closed_takebacks, from
-- <lake>/closes/). One row per piece of the change, so what changed (metric: paid, takeback,
-- net_takeback; cause), why (reason) and which late file caused it (source_key, a file ingested
-- after the close) are explicit; Σ delta over a (period, payer_id, metric) = current_value − reported_value.
--   late_payment     a claim paid in the month, from a file ingested after the close;
--   late_takeback    a takeback dated in the month that was not there when it was closed;
--   late_correction  a correction that arrived later repaid more of a reversal of the month
--                    (source_key: the correction's file);
--   cause_changed    the takeback's cause changed (pending → the correction's cause): it moves
--                    from the old cause (−) to the new (+), nets to 0 for the payer;
--   amount_changed   a takeback's gross amount changed;
--   no_longer_found  a frozen takeback the lake no longer gives;
--   unexplained      what the pieces above do not account for (e.g. a close of stale marts).
-- reported_value / current_value are the payer's figure of the metric for the month, as closed and
-- now; restated is current_value ≠ reported_value. Months without a change have no rows.
-- payer_name: dim_payers (the payer's name today).
with

closes as (
    select period, closed_at from closed_periods
),

-- Plan (not logic): remittances come from int_remittances, a table the build has made already,
-- not from the lake's files again: with nothing closed this mart costs little.
-- Payers this build sees (a build partitioned by payer sees some): a close covers all payers.
payers as (
    select distinct payer_id from int_remittances
),

files as (
    select remit_id, source_key, ingested_at from int_remittances
),

reported as (
    select
        r.period,
        r.payer_id,
        sum(r.paid) as paid,
        sum(r.takeback) as takeback,
        sum(r.net_takeback) as net_takeback
    from closed_recoupment_rates as r
    join payers
        on payers.payer_id = r.payer_id
    where r.grain = 'payer'
    group by r.period, r.payer_id
),

current_paid as (
    select p.period, p.payer_id, sum(p.paid) as paid
    from int_daily_payments as p
    join closes as c
        on c.period = p.period
    group by p.period, p.payer_id
),

current_takeback as (
    select t.period, t.payer_id, sum(t.amount) as takeback, sum(t.net_amount) as net_takeback
    from int_takebacks as t
    join closes as c
        on c.period = t.period
    group by t.period, t.payer_id
),

payer_periods as (
    select period, payer_id from reported
    union
    select period, payer_id from current_paid
    union
    select period, payer_id from current_takeback
),

totals as (
    select
        pp.period,
        pp.payer_id,
        m.metric,
        case m.metric
            when 'paid' then coalesce(r.paid, 0)
            when 'takeback' then coalesce(r.takeback, 0)
            else coalesce(r.net_takeback, 0)
        end as reported,
        case m.metric
            when 'paid' then coalesce(cp.paid, 0)
            when 'takeback' then coalesce(ct.takeback, 0)
            else coalesce(ct.net_takeback, 0)
        end as current
    from payer_periods as pp
    cross join (select unnest(['paid', 'takeback', 'net_takeback']) as metric) as m
    left join reported as r
        on r.period = pp.period and r.payer_id = pp.payer_id
    left join current_paid as cp
        on cp.period = pp.period and cp.payer_id = pp.payer_id
    left join current_takeback as ct
        on ct.period = pp.period and ct.payer_id = pp.payer_id
),

-- Remittances ingested after a period was closed, with that period: the only claims read below.
late_files as (
    select f.remit_id, f.source_key, c.period
    from files as f
    join closes as c
        on f.ingested_at > c.closed_at
),

late_payments as (
    select
        p.period,
        p.payer_id,
        'paid' as metric,
        cast(null as varchar) as cause,
        'late_payment' as reason,
        l.source_key,
        p.paid as delta
    from int_claim_payments as p
    join late_files as l
        on l.remit_id = p.remit_id
        and l.period = p.period
),

now_takebacks as (
    select
        t.takeback_id,
        t.period,
        t.payer_id,
        t.amount,
        t.correction_repaid,
        t.net_amount,
        coalesce(t.cause, 'unspecified') as cause,
        f.source_key,
        cf.source_key as correction_source_key
    from int_takebacks as t
    join closes as c
        on c.period = t.period
    left join files as f
        on f.remit_id = t.remit_id
    left join files as cf
        on cf.remit_id = t.correction_remit_id
),

then_takebacks as (
    select
        t.takeback_id,
        t.period,
        t.payer_id,
        t.amount,
        t.correction_repaid,
        t.net_amount,
        coalesce(t.cause, 'unspecified') as cause
    from closed_takebacks as t
    join payers
        on payers.payer_id = t.payer_id
),

paired as (
    select
        coalesce(n.period, t.period) as period,
        coalesce(n.payer_id, t.payer_id) as payer_id,
        n.takeback_id is not null as is_now,
        t.takeback_id is not null as was_then,
        n.amount as now_amount,
        n.correction_repaid as now_correction,
        n.net_amount as now_net,
        n.cause as now_cause,
        n.source_key,
        n.correction_source_key,
        t.amount as then_amount,
        t.correction_repaid as then_correction,
        t.net_amount as then_net,
        t.cause as then_cause
    from now_takebacks as n
    full outer join then_takebacks as t
        on t.takeback_id = n.takeback_id
),

takeback_changes as (
    -- New in the month.
    select period, payer_id, 'takeback' as metric, now_cause as cause, 'late_takeback' as reason, source_key,
        now_amount as delta
    from paired where is_now and not was_then
    union all
    select period, payer_id, 'net_takeback', now_cause, 'late_takeback', source_key, now_net
    from paired where is_now and not was_then
    -- Gone from the month.
    union all
    select period, payer_id, 'takeback', then_cause, 'no_longer_found', cast(null as varchar), -then_amount
    from paired where was_then and not is_now
    union all
    select period, payer_id, 'net_takeback', then_cause, 'no_longer_found', cast(null as varchar), -then_net
    from paired where was_then and not is_now
    -- Moved to another cause: the frozen amounts leave the old cause and join the new one.
    union all
    select period, payer_id, metric, cause, 'cause_changed', correction_source_key, delta
    from paired,
        lateral (
            select 'takeback' as metric, then_cause as cause, -then_amount as delta
            union all select 'takeback', now_cause, then_amount
            union all select 'net_takeback', then_cause, -then_net
            union all select 'net_takeback', now_cause, then_net
        )
    where is_now and was_then and now_cause <> then_cause
    -- A correction repaid more (or less) than when the month was closed.
    union all
    select period, payer_id, 'net_takeback', now_cause, 'late_correction', correction_source_key,
        -(now_correction - then_correction)
    from paired where is_now and was_then and now_correction <> then_correction
    -- The gross amount itself changed.
    union all
    select period, payer_id, 'takeback', now_cause, 'amount_changed', source_key, now_amount - then_amount
    from paired where is_now and was_then and now_amount <> then_amount
    union all
    select period, payer_id, 'net_takeback', now_cause, 'amount_changed', source_key, now_amount - then_amount
    from paired where is_now and was_then and now_amount <> then_amount
),

pieces as (
    select * from late_payments
    union all
    select * from takeback_changes
),

explained as (
    select period, payer_id, metric, sum(delta) as delta
    from pieces
    group by period, payer_id, metric
),

residuals as (
    select
        t.period,
        t.payer_id,
        t.metric,
        cast(null as varchar) as cause,
        'unexplained' as reason,
        cast(null as varchar) as source_key,
        (t.current - t.reported) - coalesce(e.delta, 0) as delta
    from totals as t
    left join explained as e
        on e.period = t.period and e.payer_id = t.payer_id and e.metric = t.metric
    where (t.current - t.reported) - coalesce(e.delta, 0) <> 0
),

grouped as (
    select
        period,
        payer_id,
        metric,
        cause,
        reason,
        source_key,
        sum(delta) as delta,
        count(*) as items
    from (select * from pieces union all select * from residuals)
    group by period, payer_id, metric, cause, reason, source_key
),

final as (
    select
        g.period,
        g.payer_id,
        n.payer_name,
        g.metric,
        g.cause,
        g.reason,
        g.source_key,
        cast(g.delta as decimal(18, 2)) as delta,
        cast(g.items as bigint) as items,
        cast(t.reported as decimal(18, 2)) as reported_value,
        cast(t.current as decimal(18, 2)) as current_value,
        t.current <> t.reported as restated,
        c.closed_at
    from grouped as g
    join totals as t
        on t.period = g.period and t.payer_id = g.payer_id and t.metric = g.metric
    join closes as c
        on c.period = g.period
    left join dim_payers as n
        on n.payer_id = g.payer_id
    where g.delta <> 0
)

select * from final
order by period, payer_id, metric, reason, cause, source_key
