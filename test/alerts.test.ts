import type { DuckDBConnection } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDuckDb, sqlString } from '../functions/adapters/duckdb/openDuckDb.ts';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
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
  /** Extra takebacks: week index → cents, in one cause, over three claims (50/30/20). */
  spikes?: { week: number; cents: number; cause?: string }[];
}

/** A payer with a steady weekly takeback made of one row per cause, plus injected spikes. */
function steadyPayer(lake: SyntheticLake, s: Series): void {
  const rand = prng(s.seed);
  for (let week = 0; week < s.weeks; week++) {
    const date = addDays(START, 7 * week + 1);
    lake.payments.push(payment(s.payerId, `${s.payerId}-PAY-${week}`, date, s.baseCents * 10));
    for (const cause of CAUSES) {
      const cents = Math.round((s.baseCents / CAUSES.length) * (1 + s.noise * (2 * rand() - 1)));
      lake.takebacks.push(
        takeback({ payerId: s.payerId, date, cents, cause, claimId: `${s.payerId}-${week}-${cause}` }),
      );
    }
    for (const spike of s.spikes ?? []) {
      if (spike.week !== week) continue;
      [0.5, 0.3, 0.2].forEach((share, i) => {
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
    }
  }
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
  it('alerts a single spike once, at payer and payer × cause grain, and nothing else', async () => {
    // Prepare: $20,000 a week ±30%, and $60,000 of audit takebacks on top in week 30.
    const lake = emptyLake();
    steadyPayer(lake, {
      payerId: 'P1',
      weeks: 40,
      baseCents: 2_000_000,
      noise: 0.3,
      seed: 1,
      spikes: [{ week: 30, cents: 6_000_000 }],
    });

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
    expect(Number(payer.score)).toBeGreaterThan(3.5);
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

  it('needs 8 weeks of history before it alerts', async () => {
    const lake = emptyLake();
    steadyPayer(lake, {
      payerId: 'P1',
      weeks: 20,
      baseCents: 2_000_000,
      noise: 0.1,
      seed: 2,
      spikes: [
        { week: 6, cents: 8_000_000 },
        { week: 15, cents: 8_000_000 },
      ],
    });

    const rows = await alerts(lake);

    expect(rows.filter((r) => r.grain === 'payer').map((r) => r.week_start)).toEqual([
      addDays(START, 7 * 15),
    ]);
  });

  it('ignores an abnormal week below the $5,000 dollar floor', async () => {
    // $1,000 a week; a $4,500 jump is a huge z-score but not worth a page.
    const lake = emptyLake();
    steadyPayer(lake, {
      payerId: 'P1',
      weeks: 30,
      baseCents: 100_000,
      noise: 0.05,
      seed: 3,
      spikes: [
        { week: 20, cents: 450_000 },
        { week: 25, cents: 700_000 },
      ],
    });

    const rows = await alerts(lake);

    expect(rows.filter((r) => r.grain === 'payer').map((r) => r.week_start)).toEqual([
      addDays(START, 7 * 25),
    ]);
  });

  it('cools down for 4 weeks unless a later week is larger', async () => {
    // Spikes: week 20 $60k, week 21 $50k (suppressed), week 23 $90k (larger: alerts),
    // week 26 $60k (suppressed: within 4 weeks of 23 and smaller), week 30 $60k (cooldown over).
    const lake = emptyLake();
    steadyPayer(lake, {
      payerId: 'P1',
      weeks: 32,
      baseCents: 2_000_000,
      noise: 0.1,
      seed: 4,
      spikes: [
        { week: 20, cents: 6_000_000 },
        { week: 21, cents: 5_000_000 },
        { week: 23, cents: 9_000_000 },
        { week: 26, cents: 6_000_000 },
        { week: 30, cents: 14_000_000 },
      ],
    });

    const rows = await alerts(lake);

    expect(rows.filter((r) => r.grain === 'payer').map((r) => r.week_start)).toEqual(
      [20, 23, 30].map((w) => addDays(START, 7 * w)),
    );
  });

  it('does not divide by a flat history', async () => {
    // Identical takebacks every week: MAD = 0. A $300 rise must not alert; a $10,000 one must.
    const lake = emptyLake();
    steadyPayer(lake, {
      payerId: 'P1',
      weeks: 30,
      baseCents: 2_000_000,
      noise: 0,
      seed: 5,
      spikes: [
        { week: 15, cents: 30_000 },
        { week: 25, cents: 1_000_000 },
      ],
    });

    const rows = await alerts(lake);

    const payer = rows.filter((r) => r.grain === 'payer');
    expect(payer.map((r) => r.week_start)).toEqual([addDays(START, 7 * 25)]);
    expect(Number.isFinite(Number(payer[0]!.score))).toBe(true);
  });
});
