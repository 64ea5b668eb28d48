import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import type { Truth } from '../functions/generate/index.ts';
import { buildGeneratedLake, type ModelLake } from './fixtures/models/modelLake.ts';

// The marts must reproduce the generator's truth.json (DESIGN.md metric definitions) to the cent.

let built: ModelLake & { truth: Truth };

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await runQuery(built.db, sql)).rows;
}

/** Rows keyed by `key`, with only the listed money columns, for an exact comparison. */
function keyed<T extends Record<string, unknown>>(list: T[], key: (r: T) => string, columns: string[]) {
  const out: Record<string, Record<string, unknown>> = {};
  for (const r of list) out[key(r)] = Object.fromEntries(columns.map((c) => [c, r[c]]));
  return out;
}

describe('marts on generated remittances reproduce truth.json', () => {
  beforeAll(async () => {
    built = await buildGeneratedLake({ seed: 11, weeks: 12, payers: 5, providers: 10 });
  });
  afterAll(() => built?.close());

  it('has takebacks of every kind to check', () => {
    expect(built.truth.counts.reversals).toBeGreaterThan(5);
    expect(built.truth.counts.corrections).toBeGreaterThan(3);
    expect(Number(built.truth.totals.plb_recovery)).not.toBe(0);
  });

  it('by payer: paid, takeback, net takeback, correction repaid', async () => {
    const actual = await rows(`
      SELECT r.payer_id,
             sum(r.paid)::DECIMAL(18,2)::VARCHAR AS paid,
             sum(r.takeback)::DECIMAL(18,2)::VARCHAR AS takeback,
             sum(r.net_takeback)::DECIMAL(18,2)::VARCHAR AS net_takeback,
             coalesce((SELECT sum(correction_repaid) FROM int_takebacks t WHERE t.payer_id = r.payer_id), 0)::DECIMAL(18,2)::VARCHAR
               AS correction_repaid
      FROM recoupment_rates r WHERE grain = 'payer' GROUP BY r.payer_id`);
    const columns = ['paid', 'takeback', 'net_takeback', 'correction_repaid'];
    const expected = keyed(
      built.truth.by_payer as unknown as Record<string, unknown>[],
      (r) => String(r.payer_id),
      columns,
    );
    expect(keyed(actual, (r) => String(r.payer_id), columns)).toEqual(expected);
  });

  it('by payer × cause: takeback and net takeback', async () => {
    const actual = await rows(`
      SELECT payer_id, cause,
             sum(takeback)::DECIMAL(18,2)::VARCHAR AS takeback,
             sum(net_takeback)::DECIMAL(18,2)::VARCHAR AS net_takeback
      FROM recoupment_rates WHERE grain = 'payer_cause' GROUP BY payer_id, cause`);
    const columns = ['takeback', 'net_takeback'];
    const key = (r: Record<string, unknown>) => `${r.payer_id}|${r.cause}`;
    expect(keyed(actual, key, columns)).toEqual(
      keyed(built.truth.by_payer_cause as unknown as Record<string, unknown>[], key, columns),
    );
  });

  it('by cause: takeback and net takeback', async () => {
    const actual = await rows(`
      SELECT cause, sum(takeback)::DECIMAL(18,2)::VARCHAR AS takeback,
             sum(net_takeback)::DECIMAL(18,2)::VARCHAR AS net_takeback
      FROM recoupment_rates WHERE grain = 'cause' GROUP BY cause`);
    const columns = ['takeback', 'net_takeback'];
    const key = (r: Record<string, unknown>) => String(r.cause);
    expect(keyed(actual, key, columns)).toEqual(
      keyed(built.truth.by_cause as unknown as Record<string, unknown>[], key, columns),
    );
  });

  it('by provider: paid, takeback and net takeback', async () => {
    const actual = await rows(`
      SELECT provider_npi,
             sum(paid)::DECIMAL(18,2)::VARCHAR AS paid,
             sum(takeback)::DECIMAL(18,2)::VARCHAR AS takeback,
             sum(net_takeback)::DECIMAL(18,2)::VARCHAR AS net_takeback
      FROM recoupment_rates WHERE grain = 'provider' GROUP BY provider_npi`);
    const columns = ['paid', 'takeback', 'net_takeback'];
    const key = (r: Record<string, unknown>) => String(r.provider_npi);
    expect(keyed(actual, key, columns)).toEqual(
      keyed(built.truth.by_provider as unknown as Record<string, unknown>[], key, columns),
    );
  });

  it('by payer × week: paid and gross takeback in takeback_trend', async () => {
    const actual = await rows(`
      SELECT payer_id, CAST(period_start AS VARCHAR) AS week_start, paid::VARCHAR AS paid,
             takeback::VARCHAR AS takeback
      FROM takeback_trend WHERE grain = 'week'`);
    const columns = ['paid', 'takeback'];
    const key = (r: Record<string, unknown>) => `${r.payer_id}|${r.week_start}`;
    const expected = keyed(built.truth.by_payer_week as unknown as Record<string, unknown>[], key, columns);
    const got = keyed(actual, key, columns);
    // Trend rows run to the as-of week; weeks past a payer's last truth row must be empty.
    for (const [k, v] of Object.entries(got))
      if (!(k in expected)) expect(v).toEqual({ paid: '0.00', takeback: '0.00' });
    for (const [k, v] of Object.entries(expected)) expect(got[k], k).toEqual(v);
  });

  it('payer_scorecard: refunds, interest and outstanding forwarding balance', async () => {
    const actual = await rows(`
      SELECT payer_id, refunds::VARCHAR AS refunds, interest::VARCHAR AS interest,
             outstanding_fb::VARCHAR AS outstanding_fb, paid::VARCHAR AS paid
      FROM payer_scorecard`);
    const columns = ['refunds', 'interest', 'outstanding_fb', 'paid'];
    const key = (r: Record<string, unknown>) => String(r.payer_id);
    // 12 weeks of data sit inside the default 13-week window.
    expect(keyed(actual, key, columns)).toEqual(
      keyed(built.truth.by_payer as unknown as Record<string, unknown>[], key, columns),
    );
  });
});
