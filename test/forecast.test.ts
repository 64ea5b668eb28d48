import type { DuckDBConnection } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import {
  addDays,
  buildForecastModels,
  type ClaimLevelOptions,
  claimLevelPayer,
  emptyLake,
  loadContract,
  payment,
  plb,
  type SyntheticLake,
  takeback,
} from './forecastSynthetic.ts';

const STEADY: ClaimLevelOptions = {
  payerId: 'P1',
  start: '2025-01-06',
  weeks: 60,
  claimsPerWeek: 40,
  claimCents: 250_000,
  reversalRate: 0.06,
  lagWeights: [
    [1, 0.2],
    [2, 0.3],
    [4, 0.2],
    [8, 0.2],
    [20, 0.1],
  ],
  levelCents: 50_000,
  seed: 7,
};
// Week 59 is Monday 2026-02-23; payments are on Wednesdays.
const LAST_WEEK = '2026-02-23';

let db: DuckDBConnection;

beforeEach(async () => {
  db = await openDuckDb();
});

afterEach(() => {
  db.closeSync();
});

async function forecast(lake: SyntheticLake, asOf: string | null = null) {
  await loadContract(db, lake, asOf);
  await buildForecastModels(db);
  const { rows } = await runQuery(db, 'SELECT * FROM liquidity_forecast ORDER BY payer_id, week_start');
  return rows;
}

const num = (v: unknown) => Number(v);

describe('liquidity_forecast', () => {
  it('gives each payer the 13 Mondays after the latest payment week', async () => {
    // Prepare
    const lake = emptyLake();
    claimLevelPayer(lake, STEADY);
    claimLevelPayer(lake, { ...STEADY, payerId: 'P2', seed: 8, claimsPerWeek: 10 });

    // Act
    const rows = await forecast(lake);

    // Assess
    expect(rows).toHaveLength(26);
    const p1 = rows.filter((r) => r.payer_id === 'P1');
    expect(p1.map((r) => r.week_start)).toEqual(
      Array.from({ length: 13 }, (_, i) => addDays(LAST_WEEK, 7 * (i + 1))),
    );
    expect(p1.map((r) => r.horizon_week)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    for (const r of rows) expect(new Date(`${r.week_start}T00:00:00Z`).getUTCDay()).toBe(1);
  });

  it('centres takebacks on the payer’s takeback rate times its payments, with ordered quantiles', async () => {
    // Prepare: 40 claims × $2,500 × 6% reversed + $250 mean unlinked level = $6,250 a week.
    const lake = emptyLake();
    claimLevelPayer(lake, STEADY);

    // Act
    const rows = await forecast(lake);

    // Assess
    const truth = 40 * 2_500 * 0.06 + 250;
    const meanOfMeans = rows.reduce((s, r) => s + num(r.takeback_mean), 0) / rows.length;
    expect(meanOfMeans).toBeGreaterThan(truth * 0.75);
    expect(meanOfMeans).toBeLessThan(truth * 1.25);
    for (const r of rows) {
      expect(num(r.takeback_p10)).toBeLessThanOrEqual(num(r.takeback_p50));
      expect(num(r.takeback_p50)).toBeLessThanOrEqual(num(r.takeback_p90));
      expect(num(r.takeback_p90)).toBeGreaterThan(num(r.takeback_p10));
      expect(num(r.expected_payments)).toBeGreaterThan(80_000);
      expect(num(r.expected_payments)).toBeLessThan(120_000);
    }
  });

  it('is deterministic', async () => {
    const lake = emptyLake();
    claimLevelPayer(lake, STEADY);

    const first = await forecast(lake);
    const second = await forecast(lake);

    expect(second).toEqual(first);
  });

  it('follows the payment cohorts: a surge in payments raises the takebacks of the weeks after it', async () => {
    // Prepare: the same payer twice; in P2 the last 3 weeks pay four times as much, and all
    // reversals come 2 to 4 weeks after payment, so the surge is still to be taken back: the
    // payments at risk (8 weeks to the forecast week) more than double.
    const lags = [
      [2, 0.5],
      [4, 0.5],
    ] as const;
    const lake = emptyLake();
    claimLevelPayer(lake, { ...STEADY, lagWeights: lags, levelCents: 0 });
    const surge = emptyLake();
    claimLevelPayer(surge, { ...STEADY, payerId: 'P2', lagWeights: lags, levelCents: 0 });
    for (const p of surge.payments) {
      if (String(p.payment_date) > addDays(LAST_WEEK, -21)) p.paid = (num(p.paid) * 4).toFixed(2);
    }
    lake.payments.push(...surge.payments);
    lake.takebacks.push(...surge.takebacks);

    // Act
    const rows = await forecast(lake);

    // Assess: weeks 1-3 carry the surge cohorts (lags 2 and 4), the trailing takebacks do not.
    const week = (payer: string, h: number) =>
      rows.find((r) => r.payer_id === payer && r.horizon_week === h)!;
    for (const h of [1, 2, 3]) {
      expect(num(week('P2', h).takeback_mean)).toBeGreaterThan(1.8 * num(week('P1', h).takeback_mean));
    }
  });

  it('takes the quantiles of the weekly takeback rates times the payments at risk', async () => {
    // Prepare: $10,000 paid every week for 20 weeks; unlinked takebacks of $100, $200, … $500 in
    // turn, so the weekly rates are 1% to 5%, four weeks each.
    const lake = emptyLake();
    for (let week = 0; week < 20; week++) {
      const date = addDays('2025-01-06', 7 * week + 2);
      lake.payments.push(payment('R1', `R1-${week}`, date, 1_000_000));
      lake.takebacks.push(
        takeback({ payerId: 'R1', date, cents: 10_000 * (1 + (week % 5)), kind: 'plb', reasonCode: 'WO' }),
      );
    }

    // Act
    const rows = await forecast(lake);

    // Assess: 20 rates; quantile_cont puts p10 at 1%, p50 at 3%, p90 at 5%; × $10,000.
    expect(rows).toHaveLength(13);
    for (const r of rows) {
      expect(r).toMatchObject({
        expected_payments: '10000.00',
        takeback_p10: '100.00',
        takeback_p50: '300.00',
        takeback_p90: '500.00',
        takeback_mean: '300.00',
        history_weeks: 20,
      });
    }
  });

  it('doubles the quantiles when the payments at risk double', async () => {
    // The same takebacks; payments double in the last 8 weeks, so every forecast week has twice
    // the payments at risk of the first 12 weeks (rates of those 8 weeks halve).
    const lake = emptyLake();
    for (let week = 0; week < 20; week++) {
      const date = addDays('2025-01-06', 7 * week + 2);
      lake.payments.push(payment('R2', `R2-${week}`, date, week >= 12 ? 2_000_000 : 1_000_000));
      lake.takebacks.push(takeback({ payerId: 'R2', date, cents: 30_000, kind: 'plb', reasonCode: 'WO' }));
    }

    const rows = await forecast(lake);

    // Rates: 3% for 12 weeks, then $300 over $11,250, $12,500, … $20,000 (2.67% down to 1.5%).
    // p90 is 3% of $20,000; p10 lies 0.9 of the way from $300/$18,750 (1.6%) to $300/$17,500.
    for (const r of rows) {
      expect(r.expected_payments).toBe('20000.00');
      expect(r.takeback_p90).toBe('600.00');
      expect(r.takeback_p10).toBe('340.57');
    }
  });

  it('falls back to the quantiles of weekly dollars when nothing is paid', async () => {
    const lake = emptyLake();
    for (let week = 0; week < 10; week++) {
      const date = addDays('2025-01-06', 7 * week + 2);
      lake.takebacks.push(
        takeback({ payerId: 'Z1', date, cents: 10_000 * (week + 1), kind: 'plb', reasonCode: 'WO' }),
      );
    }

    const rows = await forecast(lake);

    // $100 … $1,000: p10 $190, p50 $550, p90 $910.
    expect(rows[0]).toMatchObject({
      expected_payments: '0.00',
      takeback_p10: '190.00',
      takeback_p50: '550.00',
      takeback_p90: '910.00',
      history_weeks: 10,
    });
  });

  it('spreads a one-off payment over the 8-week mean instead of repeating it every week', async () => {
    // Prepare: a steady payer, and a payer whose only payment ($1,500.50) is in the as-of week.
    const lake = emptyLake();
    claimLevelPayer(lake, STEADY);
    lake.payments.push(payment('Q1', 'ONE-OFF', addDays(LAST_WEEK, 2), 150_050));

    // Act
    const rows = await forecast(lake);

    // Assess: quiet weeks count as 0, the weeks before its first payment too: $1,500.50 / 8.
    const q1 = rows.filter((r) => r.payer_id === 'Q1');
    expect(q1).toHaveLength(13);
    for (const r of q1) expect(r.expected_payments).toBe('187.56');
  });

  it('schedules outstanding FB in week 1 and unrepaid deferred WO at the payer deferral lag', async () => {
    // Prepare: a 21-day deferral history (X1 repaid), an outstanding deferral (X2) and FB carried.
    const lake = emptyLake();
    claimLevelPayer(lake, STEADY);
    lake.adjustments.push(
      plb('P1', '2025-06-04', 'WO', 'X1', -200_000),
      plb('P1', '2025-06-25', 'WO', 'X1', 200_000),
      plb('P1', '2026-02-04', 'WO', 'X2', -300_000),
      plb('P1', '2026-02-04', 'WO', 'X3', -50_000),
      plb('P1', '2026-02-18', 'WO', 'X3', 20_000),
      plb('P1', '2026-01-14', 'FB', null, -150_000),
      plb('P1', '2026-01-21', 'FB', null, 50_000),
    );

    // Act
    const rows = await forecast(lake);

    // Assess: X2 and the unrepaid $300 of X3 are due 21 days after 2026-02-04, week of 2026-02-23,
    // already past, so the first forecast week; FB −(−1500 + 500) = $1,000 in week 1.
    const week1 = rows[0]!;
    expect(week1.scheduled_fb).toBe('1000.00');
    expect(week1.scheduled_wo).toBe('3300.00');
    expect(week1.scheduled_offsets).toBe('4300.00');
    for (const r of rows.slice(1)) expect(r.scheduled_offsets).toBe('0.00');
  });

  it('places a recent deferral in the week its lag falls due', async () => {
    const lake = emptyLake();
    claimLevelPayer(lake, STEADY);
    lake.adjustments.push(
      plb('P1', '2025-06-04', 'WO', 'X1', -200_000),
      plb('P1', '2025-07-16', 'WO', 'X1', 200_000),
      plb('P1', '2026-02-25', 'WO', 'X2', -300_000),
    );

    const rows = await forecast(lake);

    // 42 days after Wednesday 2026-02-25 is Wednesday 2026-04-08: week of 2026-04-06.
    const due = rows.filter((r) => r.scheduled_wo !== '0.00');
    expect(due.map((r) => [r.week_start, r.scheduled_wo])).toEqual([['2026-04-06', '3000.00']]);
  });

  it('computes net cash and flags weeks whose takeback share exceeds 20%', async () => {
    const lake = emptyLake();
    claimLevelPayer(lake, STEADY);
    claimLevelPayer(lake, { ...STEADY, payerId: 'P9', reversalRate: 0.35, seed: 9 });

    const rows = await forecast(lake);

    for (const r of rows) {
      const expected = num(r.expected_payments) - num(r.takeback_p50) - num(r.scheduled_offsets);
      expect(num(r.net_cash_p50)).toBeCloseTo(expected, 2);
      const share = (num(r.takeback_p50) + num(r.scheduled_offsets)) / num(r.expected_payments);
      expect(num(r.takeback_share)).toBeCloseTo(share, 3);
      expect(r.flag).toBe(share > 0.2);
    }
    expect(rows.filter((r) => r.payer_id === 'P1').some((r) => r.flag)).toBe(false);
    expect(rows.filter((r) => r.payer_id === 'P9').every((r) => r.flag)).toBe(true);
  });

  it('uses only what was known at build_params.as_of', async () => {
    // Prepare: the full lake forecast as of 2025-11-02 (a Sunday) must equal the forecast of a
    // lake that ends that day.
    const asOf = '2025-11-02';
    const full = emptyLake();
    claimLevelPayer(full, STEADY);
    full.adjustments.push(
      plb('P1', '2025-10-08', 'WO', 'X1', -200_000),
      plb('P1', '2025-11-12', 'WO', 'X1', 200_000),
      plb('P1', '2025-12-03', 'FB', null, -100_000),
    );
    const cut: SyntheticLake = {
      payments: full.payments.filter((r) => String(r.payment_date) <= asOf),
      takebacks: full.takebacks.filter((r) => String(r.payment_date) <= asOf),
      adjustments: full.adjustments.filter((r) => String(r.payment_date) <= asOf),
    };

    // Act
    const fromFull = await forecast(full, asOf);
    const fromCut = await forecast(cut);

    // Assess
    expect(fromFull[0]!.week_start).toBe('2025-11-03');
    const withoutAsOf = (rows: Record<string, unknown>[]) => rows.map(({ as_of, ...rest }) => rest);
    expect(withoutAsOf(fromFull)).toEqual(withoutAsOf(fromCut));
    expect(fromCut[0]!.as_of).toBe('2025-10-29');
  });

  it('keeps the repayment of a deferral out of the takeback rates: it is a scheduled offset', async () => {
    const lake = emptyLake();
    claimLevelPayer(lake, { ...STEADY, weeks: 10 });
    lake.adjustments.push(
      plb('P1', '2025-01-15', 'WO', 'C1', -400_000),
      plb('P1', '2025-02-05', 'WO', 'C1', 400_000),
    );
    lake.takebacks.push(
      takeback({
        payerId: 'P1',
        date: '2025-02-05',
        cents: 400_000,
        kind: 'plb',
        reasonCode: 'WO',
        referenceId: 'C1',
        claimId: 'C1',
        originalDate: '2025-01-08',
      }),
    );

    await forecast(lake);
    const { rows } = await runQuery(
      db,
      `SELECT component, takeback FROM int_weekly_takeback_development
       WHERE week_start = DATE '2025-02-03' AND component = 'deferral_repayment'`,
    );

    expect(rows).toEqual([{ component: 'deferral_repayment', takeback: '4000.00' }]);
  });
});
