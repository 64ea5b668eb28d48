import type { DuckDBConnection } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import { sqlString } from '../functions/ports/warehouse.ts';
import {
  addDays,
  buildForecastModels,
  emptyLake,
  loadContract,
  payment,
  prng,
  type SyntheticLake,
  takeback,
} from './forecastSynthetic.ts';

const START = '2025-01-06';
const CAUSES = ['coding', 'eligibility', 'audit', 'duplicate'];

interface Series {
  payerId: string;
  weeks: number;
  /** Mean weekly takeback, in cents, spread evenly over the four causes. */
  baseCents: number;
  /** Uniform noise: each row is base × (1 ± noise). */
  noise: number;
  seed: number;
  /** Weekly payments, in cents (default 10 × baseCents). */
  paidCents?: number;
  /**
   * Extra takebacks: week index → cents, in one cause, over three claims (50/30/20), plus `sweep`
   * small $100 takebacks of other claims (default 9: a recovery sweep takes many claims at once).
   */
  spikes?: { week: number; cents: number; cause?: string; sweep?: number; claims?: 1 | 3 }[];
}

/** A payer with a steady weekly takeback made of one row per cause (4 a week), plus injected spikes. */
function steadyPayer(lake: SyntheticLake, s: Series): void {
  const rand = prng(s.seed);
  for (let week = 0; week < s.weeks; week++) {
    const date = addDays(START, 7 * week + 1);
    lake.payments.push(payment(s.payerId, `${s.payerId}-PAY-${week}`, date, s.paidCents ?? s.baseCents * 10));
    for (const cause of CAUSES) {
      const cents = Math.round((s.baseCents / CAUSES.length) * (1 + s.noise * (2 * rand() - 1)));
      lake.takebacks.push(
        takeback({ payerId: s.payerId, date, cents, cause, claimId: `${s.payerId}-${week}-${cause}` }),
      );
    }
    for (const spike of s.spikes ?? []) {
      if (spike.week !== week) continue;
      const shares = spike.claims === 1 ? [1] : [0.5, 0.3, 0.2];
      shares.forEach((share, i) => {
        lake.takebacks.push(
          takeback({
            payerId: s.payerId,
            date,
            cents: Math.round(spike.cents * share),
            cause: spike.cause ?? 'audit',
            claimId: `${s.payerId}-SPIKE-${week}-${i}`,
            npi: `199999999${i}`,
          }),
        );
      });
      for (let i = 0; i < (spike.sweep ?? 9); i++) {
        lake.takebacks.push(
          takeback({
            payerId: s.payerId,
            date,
            cents: 10_000,
            cause: spike.cause ?? 'audit',
            claimId: `${s.payerId}-SWEEP-${week}-${i}`,
          }),
        );
      }
    }
  }
}

/**
 * $20,000 a week ±30% in 4 takebacks for 40 weeks, and in week 30 $60,000 more: by default a sweep
 * of 12 audit takebacks ($60,900 with the 9 small ones), or as `spike` says.
 */
function sweepLake(spike: Partial<NonNullable<Series['spikes']>[number]> = {}): SyntheticLake {
  const lake = emptyLake();
  steadyPayer(lake, {
    payerId: 'P1',
    weeks: 40,
    baseCents: 2_000_000,
    noise: 0.3,
    seed: 1,
    spikes: [{ week: 30, cents: 6_000_000, ...spike }],
  });
  return lake;
}

let db: DuckDBConnection;

beforeEach(async () => {
  db = await openDuckDb();
});

afterEach(() => {
  db.closeSync();
});

async function alerts(lake: SyntheticLake) {
  await loadContract(db, lake);
  await buildForecastModels(db);
  const { rows } = await runQuery(db, 'SELECT * FROM takeback_alerts ORDER BY week_start, grain, cause');
  return rows;
}

describe('takeback_alerts', () => {
  it('alerts a recovery sweep once, at payer and payer × cause grain, and nothing else', async () => {
    // Prepare: $20,000 a week ±30% in 4 takebacks, and a sweep of 12 audit takebacks ($60,900) in week 30.
    const lake = sweepLake();

    // Act
    const rows = await alerts(lake);

    // Assess
    const spikeWeek = addDays(START, 7 * 30);
    expect(rows.map((r) => r.alert_id)).toEqual([
      `P1|payer|*|${spikeWeek}`,
      `P1|payer_cause|audit|${spikeWeek}`,
    ]);
    const payer = rows[0]!;
    expect(payer).toMatchObject({ grain: 'payer', payer_id: 'P1', cause: null, week_start: spikeWeek });
    expect(Number(payer.takeback)).toBeGreaterThan(75_000);
    expect(Number(payer.baseline)).toBeGreaterThan(17_000);
    expect(Number(payer.baseline)).toBeLessThan(23_000);
    expect(Number(payer.excess)).toBeCloseTo(Number(payer.takeback) - Number(payer.baseline), 1);
    // 16 takebacks against 4 a week: (16 − 4) / √4 = 6; the score is the weaker of the two.
    expect(payer).toMatchObject({ takeback_count: 16, baseline_count: 4, count_score: 6 });
    expect(Number(payer.dollar_score)).toBeGreaterThan(3.5);
    expect(Number(payer.score)).toBe(Math.min(Number(payer.dollar_score), 6));
    // Payments at risk $200,000 a week: the excess is about 30% of them.
    expect(payer.payments_at_risk).toBe('200000.00');
    expect(Number(payer.excess_share)).toBeCloseTo(Number(payer.excess) / 200_000, 3);
    // Claims are named by their takeback_id (no CLP01 leaves the lake); it resolves to the claims.
    const keys = payer.top_claims as string[];
    const resolved = await runQuery(
      db,
      `SELECT claim_id FROM int_takebacks WHERE takeback_id IN (${keys.map(sqlString).join(', ')})
       ORDER BY amount DESC`,
    );
    expect(resolved.rows.map((r) => r.claim_id)).toEqual(['P1-SPIKE-30-0', 'P1-SPIKE-30-1', 'P1-SPIKE-30-2']);
    for (const key of keys) expect(key).not.toContain('SPIKE');
    // $30,000 and $18,000 of the spike; the steady $20,000 all comes from the default provider.
    expect(payer.top_providers).toEqual(['1999999990', '1000000001', '1999999991']);
    expect((payer.top_causes as string[])[0]).toBe('audit');
    expect(rows[1]!.top_causes).toEqual(['audit']);
  });

  it('names the same drivers on every build: tied amounts in the order of their names', async () => {
    // Prepare: the sweep of the first test, and four $40,000 audit takebacks of four providers in
    // week 30, pushed in descending NPI order: the tie among the largest providers is broken by NPI.
    const lake = sweepLake();
    const week30 = addDays(START, 7 * 30 + 1);
    for (const npi of ['1888888884', '1888888883', '1888888882', '1888888881']) {
      lake.takebacks.push(
        takeback({
          payerId: 'P1',
          date: week30,
          cents: 4_000_000,
          cause: 'audit',
          claimId: `TIE-${npi}`,
          npi,
        }),
      );
    }

    // Act
    const payer = (await alerts(lake)).find((r) => r.grain === 'payer');

    // Assess
    expect(payer?.top_providers).toEqual(['1888888881', '1888888882', '1888888883']);
    const tied = lake.takebacks
      .filter((t) => String(t.claim_id).startsWith('TIE-'))
      .map((t) => String(t.takeback_id))
      .sort();
    expect(payer?.top_claims).toEqual(tied.slice(0, 3));
  });

  it('does not page for one large recovery: an abnormal week is many takebacks, not one', async () => {
    // The same $60,000 in one claim: a dollar score well above 3.5, but one more takeback than usual.
    const lake = sweepLake({ claims: 1, sweep: 0 });

    expect(await alerts(lake)).toEqual([]);
  });

  it('stays quiet on ±30% noise', async () => {
    const lake = emptyLake();
    for (let i = 0; i < 6; i++) {
      steadyPayer(lake, {
        payerId: `N${i}`,
        weeks: 60,
        baseCents: 2_000_000 * (i + 1),
        noise: 0.3,
        seed: 10 + i,
      });
    }

    const rows = await alerts(lake);

    expect(rows).toEqual([]);
  });

  it('waits for a mature series: no alert before 26 weeks of history', async () => {
    const lake = emptyLake();
    steadyPayer(lake, {
      payerId: 'P1',
      weeks: 40,
      baseCents: 2_000_000,
      noise: 0.1,
      seed: 2,
      spikes: [
        { week: 15, cents: 8_000_000 },
        { week: 25, cents: 8_000_000 },
        { week: 34, cents: 12_000_000 },
      ],
    });

    const rows = await alerts(lake);

    expect(rows.filter((r) => r.grain === 'payer').map((r) => r.week_start)).toEqual([
      addDays(START, 7 * 34),
    ]);
    expect(rows.every((r) => Number(r.history_weeks) === 26)).toBe(true);
  });

  it('judges a week against the payer’s payment volume: the same sweep pages a small payer only', async () => {
    // Both take back $1,000 a week; S pays $10,000 a week, L $1,000,000. A $4,500 sweep is 45% of
    // S's weekly payments and 0.45% of L's. Three more takebacks than usual ($500) are no sweep.
    const lake = emptyLake();
    for (const [payerId, paidCents] of [
      ['S', 1_000_000],
      ['L', 100_000_000],
    ] as const) {
      steadyPayer(lake, {
        payerId,
        weeks: 40,
        baseCents: 100_000,
        paidCents,
        noise: 0.05,
        seed: 3,
        spikes: [
          { week: 28, cents: 50_000, sweep: 0 },
          { week: 34, cents: 450_000 },
        ],
      });
    }

    const rows = await alerts(lake);

    const payer = rows.filter((r) => r.grain === 'payer');
    expect(payer.map((r) => [r.payer_id, r.week_start])).toEqual([['S', addDays(START, 7 * 34)]]);
    expect(Number(payer[0]!.excess_share)).toBeGreaterThan(0.4);
  });

  it('cools down for 4 weeks unless a later week is larger', async () => {
    // Sweeps: week 30 $60k, week 31 $50k (suppressed), week 33 $90k (larger: alerts),
    // week 36 $60k (suppressed: within 4 weeks of 33 and smaller), week 40 $140k (cooldown over).
    const lake = emptyLake();
    steadyPayer(lake, {
      payerId: 'P1',
      weeks: 42,
      baseCents: 2_000_000,
      noise: 0.1,
      seed: 4,
      spikes: [
        { week: 30, cents: 6_000_000 },
        { week: 31, cents: 5_000_000 },
        { week: 33, cents: 9_000_000 },
        { week: 36, cents: 6_000_000 },
        { week: 40, cents: 14_000_000 },
      ],
    });

    const rows = await alerts(lake);

    expect(rows.filter((r) => r.grain === 'payer').map((r) => r.week_start)).toEqual(
      [30, 33, 40].map((w) => addDays(START, 7 * w)),
    );
  });

  it('does not divide by a flat history', async () => {
    // Identical takebacks every week: MAD = 0. A $1,200 rise (over the $500 floor) must not alert
    // on a $20,000 baseline (the spread is floored at 10% of it); a $10,000 one (20% of $50,000
    // weekly payments) must.
    const lake = emptyLake();
    steadyPayer(lake, {
      payerId: 'P1',
      weeks: 34,
      baseCents: 2_000_000,
      paidCents: 5_000_000,
      noise: 0,
      seed: 5,
      spikes: [
        { week: 27, cents: 30_000 },
        { week: 31, cents: 910_000 },
      ],
    });

    const rows = await alerts(lake);

    const payer = rows.filter((r) => r.grain === 'payer');
    expect(payer.map((r) => r.week_start)).toEqual([addDays(START, 7 * 31)]);
    expect(Number.isFinite(Number(payer[0]!.score))).toBe(true);
  });
});
