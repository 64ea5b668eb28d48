import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import type { GenerateOptions, Truth } from '../functions/generate/index.ts';
import { buildGeneratedLake, type ModelLake } from './fixtures/models/modelLake.ts';

// The marts must reproduce the generator's truth.json (DESIGN.md metric definitions) to the cent:
// on tidy generated data, and on data with real payers' habits (realism high), where they match
// only if the models link reversals, corrections and PLB references as the generator did.

type Built = ModelLake & { truth: Truth };

async function rows(built: Built, sql: string): Promise<Record<string, unknown>[]> {
  return (await runQuery(built.db, sql)).rows;
}

/** Rows keyed by `key`, with only the listed columns, for an exact comparison. */
function keyed<T extends Record<string, unknown>>(list: T[], key: (r: T) => string, columns: string[]) {
  const out: Record<string, Record<string, unknown>> = {};
  for (const r of list) out[key(r)] = Object.fromEntries(columns.map((c) => [c, r[c]]));
  return out;
}

const asRows = (list: unknown) => list as Record<string, unknown>[];

/** The comparisons every generated data set must pass, whatever its realism. */
function describeTruth(title: string, options: GenerateOptions, more?: (get: () => Built) => void) {
  describe(title, () => {
    let built: Built;
    const get = () => built;
    beforeAll(async () => {
      built = await buildGeneratedLake(options);
    }, 120_000);
    afterAll(() => built?.close());

    it('has takebacks of every kind to check', () => {
      expect(built.truth.counts.reversals).toBeGreaterThan(5);
      expect(built.truth.counts.corrections).toBeGreaterThan(3);
      expect(Number(built.truth.totals.plb_recovery)).not.toBe(0);
    });

    it('by payer: paid, takeback, net takeback, correction repaid', async () => {
      const actual = await rows(
        built,
        `SELECT r.payer_id,
                sum(r.paid)::DECIMAL(18,2)::VARCHAR AS paid,
                sum(r.takeback)::DECIMAL(18,2)::VARCHAR AS takeback,
                sum(r.net_takeback)::DECIMAL(18,2)::VARCHAR AS net_takeback,
                coalesce((SELECT sum(correction_repaid) FROM int_takebacks t WHERE t.payer_id = r.payer_id), 0)::DECIMAL(18,2)::VARCHAR
                  AS correction_repaid
         FROM recoupment_rates r WHERE grain = 'payer' GROUP BY r.payer_id`,
      );
      const columns = ['paid', 'takeback', 'net_takeback', 'correction_repaid'];
      const key = (r: Record<string, unknown>) => String(r.payer_id);
      expect(keyed(actual, key, columns)).toEqual(keyed(asRows(built.truth.by_payer), key, columns));
    });

    it('by payer × cause: takeback and net takeback', async () => {
      const actual = await rows(
        built,
        `SELECT payer_id, cause,
                sum(takeback)::DECIMAL(18,2)::VARCHAR AS takeback,
                sum(net_takeback)::DECIMAL(18,2)::VARCHAR AS net_takeback
         FROM recoupment_rates WHERE grain = 'payer_cause' GROUP BY payer_id, cause`,
      );
      const columns = ['takeback', 'net_takeback'];
      const key = (r: Record<string, unknown>) => `${r.payer_id}|${r.cause}`;
      expect(keyed(actual, key, columns)).toEqual(keyed(asRows(built.truth.by_payer_cause), key, columns));
    });

    it('by cause: takeback and net takeback', async () => {
      const actual = await rows(
        built,
        `SELECT cause, sum(takeback)::DECIMAL(18,2)::VARCHAR AS takeback,
                sum(net_takeback)::DECIMAL(18,2)::VARCHAR AS net_takeback
         FROM recoupment_rates WHERE grain = 'cause' GROUP BY cause`,
      );
      const columns = ['takeback', 'net_takeback'];
      const key = (r: Record<string, unknown>) => String(r.cause);
      expect(keyed(actual, key, columns)).toEqual(keyed(asRows(built.truth.by_cause), key, columns));
    });

    it('by provider: paid, takeback and net takeback', async () => {
      const actual = await rows(
        built,
        `SELECT provider_npi,
                sum(paid)::DECIMAL(18,2)::VARCHAR AS paid,
                sum(takeback)::DECIMAL(18,2)::VARCHAR AS takeback,
                sum(net_takeback)::DECIMAL(18,2)::VARCHAR AS net_takeback
         FROM recoupment_rates WHERE grain = 'provider' GROUP BY provider_npi`,
      );
      const columns = ['paid', 'takeback', 'net_takeback'];
      const key = (r: Record<string, unknown>) => String(r.provider_npi);
      expect(keyed(actual, key, columns)).toEqual(keyed(asRows(built.truth.by_provider), key, columns));
    });

    it('by payer × week: paid and gross takeback in takeback_trend', async () => {
      const actual = await rows(
        built,
        `SELECT payer_id, CAST(period_start AS VARCHAR) AS week_start, paid::VARCHAR AS paid,
                takeback::VARCHAR AS takeback
         FROM takeback_trend WHERE grain = 'week'`,
      );
      const columns = ['paid', 'takeback'];
      const key = (r: Record<string, unknown>) => `${r.payer_id}|${r.week_start}`;
      const expected = keyed(asRows(built.truth.by_payer_week), key, columns);
      const got = keyed(actual, key, columns);
      // Trend rows run to the as-of week; weeks past a payer's last truth row must be empty.
      for (const [k, v] of Object.entries(got))
        if (!(k in expected)) expect(v).toEqual({ paid: '0.00', takeback: '0.00' });
      for (const [k, v] of Object.entries(expected)) expect(got[k], k).toEqual(v);
    });

    it('payer_scorecard: refunds, interest and outstanding forwarding balance', async () => {
      const actual = await rows(
        built,
        `SELECT payer_id, refunds::VARCHAR AS refunds, interest::VARCHAR AS interest,
                outstanding_fb::VARCHAR AS outstanding_fb, paid::VARCHAR AS paid
         FROM payer_scorecard`,
      );
      const columns = ['refunds', 'interest', 'outstanding_fb', 'paid'];
      const key = (r: Record<string, unknown>) => String(r.payer_id);
      // 12 weeks of data sit inside the default 13-week window.
      expect(keyed(actual, key, columns)).toEqual(keyed(asRows(built.truth.by_payer), key, columns));
    });

    more?.(get);
  });
}

describeTruth('marts on generated remittances reproduce truth.json', {
  seed: 11,
  weeks: 12,
  payers: 5,
  providers: 10,
});

// Reversals and PLB recoveries with where they are in the files (TRN02 and place), from takeback_links.
const REVERSAL_LINKS_SQL = `
  WITH traces AS (SELECT remit_id, trace_number FROM remittances)
  SELECT t.payer_id,
         r.trace_number AS trace,
         CAST(split_part(t.takeback_id, ':', 3) AS INTEGER) AS claim,
         c.trace_number AS correction_trace,
         t.correction_claim_seq AS correction_claim,
         t.link_rule,
         t.cause,
         coalesce(t.over_recoupment_reason = 'double_reversal', false) AS double_reversal
  FROM takeback_links t
  JOIN traces r ON r.remit_id = t.remit_id
  LEFT JOIN traces c ON c.remit_id = t.correction_remit_id
  WHERE t.kind = 'reversal'`;

const PLB_LINKS_SQL = `
  WITH traces AS (SELECT remit_id, trace_number FROM remittances),
  pairs AS (
    SELECT remit_id, adjustment_seq,
           row_number() OVER (PARTITION BY remit_id ORDER BY adjustment_seq) AS pair
    FROM adjustments WHERE level = 'provider'
  )
  SELECT t.payer_id, r.trace_number AS trace, p.pair, t.link_rule, t.cause
  FROM takeback_links t
  JOIN traces r ON r.remit_id = t.remit_id
  JOIN pairs p ON p.remit_id = t.remit_id
    AND p.adjustment_seq = CAST(split_part(t.takeback_id, ':', 3) AS INTEGER)
  WHERE t.kind = 'plb'`;

describeTruth(
  'marts on generated remittances with real payers’ habits (realism high) reproduce truth.json',
  { seed: 11, weeks: 12, payers: 5, providers: 10, scale: 4, realism: 'high' },
  (get) => {
    it('has every habit to link through', () => {
      const r = get().truth.realism;
      for (const [name, n] of Object.entries(r)) expect(n, name).toBeGreaterThan(1);
    });

    it('links each reversal to the correction the generator wrote, by the rule it expects', async () => {
      const actual = await rows(get(), REVERSAL_LINKS_SQL);
      const columns = ['correction', 'link_rule', 'cause', 'double_reversal'];
      const key = (r: Record<string, unknown>) => `${r.payer_id}|${r.trace}|${r.claim}`;
      const got = keyed(
        actual.map((r) => ({
          ...r,
          correction: r.correction_trace === null ? null : `${r.correction_trace}|${r.correction_claim}`,
        })),
        key,
        columns,
      );
      const expected = keyed(
        get().truth.links.reversals.map((r) => ({
          payer_id: r.payer_id,
          trace: r.reversal.trace,
          claim: r.reversal.claim,
          correction: r.correction === null ? null : `${r.correction.trace}|${r.correction.claim}`,
          link_rule: r.link_rule,
          cause: r.cause,
          double_reversal: r.double_reversal,
        })),
        key,
        columns,
      );
      expect(got).toEqual(expected);
    });

    it('links each PLB recovery to the claim its reference names, by the rule it expects', async () => {
      const actual = await rows(get(), PLB_LINKS_SQL);
      const columns = ['link_rule', 'cause'];
      const key = (r: Record<string, unknown>) => `${r.payer_id}|${r.trace}|${r.pair}`;
      const expected = keyed(
        get().truth.links.plb.map((r) => ({
          payer_id: r.payer_id,
          trace: r.plb.trace,
          pair: r.plb.pair,
          link_rule: r.link_rule,
          cause: r.cause,
        })),
        key,
        columns,
      );
      expect(keyed(actual, key, columns)).toEqual(expected);
    });

    it('by payer and link rule: takebacks, takeback and correction repaid', async () => {
      const actual = await rows(
        get(),
        `SELECT payer_id, kind, link_rule, count(*)::INTEGER AS takebacks,
                sum(amount)::DECIMAL(18,2)::VARCHAR AS takeback,
                sum(correction_repaid)::DECIMAL(18,2)::VARCHAR AS correction_repaid
         FROM takeback_links GROUP BY payer_id, kind, link_rule`,
      );
      const columns = ['takebacks', 'takeback', 'correction_repaid'];
      const key = (r: Record<string, unknown>) => `${r.payer_id}|${r.kind}|${r.link_rule}`;
      expect(keyed(actual, key, columns)).toEqual(
        keyed(asRows(get().truth.by_payer_link_rule), key, columns),
      );
    });

    it('flags over-recoupment: each double reversal, and what it took back twice', async () => {
      const actual = await rows(
        get(),
        `SELECT payer_id, count(*)::INTEGER AS double_reversals,
                sum(amount)::DECIMAL(18,2)::VARCHAR AS over_recoupment
         FROM takeback_links WHERE over_recoupment_reason = 'double_reversal' GROUP BY payer_id`,
      );
      const columns = ['double_reversals', 'over_recoupment'];
      const key = (r: Record<string, unknown>) => String(r.payer_id);
      const expected = keyed(
        asRows(get().truth.by_payer.filter((p) => p.double_reversals > 0)),
        key,
        columns,
      );
      expect(keyed(actual, key, columns)).toEqual(expected);
    });
  },
);
