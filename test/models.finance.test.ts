import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listMarts } from '../functions/adapters/duckdb/lakeViews.ts';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import { FINANCE_AS_OF, FINANCE_LAKE } from './fixtures/models/financeLake.ts';
import { buildLakeFromRows, type ModelLake } from './fixtures/models/modelLake.ts';

// The finance marts' windows, names and roles on the hand-made rows of financeLake.ts; every
// expected value is worked out by hand in that file's comments.

let lake: ModelLake;

beforeAll(async () => {
  lake = await buildLakeFromRows(FINANCE_LAKE, { asOf: FINANCE_AS_OF });
});

afterAll(() => lake?.close());

async function q(sql: string) {
  return (await runQuery(lake.db, sql)).rows;
}

describe('payer_scorecard', () => {
  it('counts and lags only takeback events: not a deferral (WO −x) or its repayment (WO +x)', async () => {
    expect(
      await q(`SELECT takeback_count, linked_share, median_lag_days, takeback::VARCHAR AS takeback
               FROM payer_scorecard WHERE payer_id = 'ACT1'`),
    ).toEqual([{ takeback_count: 2, linked_share: 0.5, median_lag_days: 70, takeback: '1050.00' }]);
  });

  it('scores a payer with no recent 835 on its own last 13 weeks, marked inactive and ranked after the active', async () => {
    expect(
      await q(`SELECT payer_id, payer_name, CAST(window_start AS VARCHAR) AS window_start,
                 CAST(window_end AS VARCHAR) AS window_end, CAST(as_of AS VARCHAR) AS as_of,
                 CAST(last_payment_date AS VARCHAR) AS last_payment_date, active,
                 paid::VARCHAR AS paid, takeback::VARCHAR AS takeback, recoupment_rate, rank
               FROM payer_scorecard ORDER BY rank`),
    ).toEqual([
      {
        payer_id: 'ACT1',
        payer_name: 'ACTIVE PLAN',
        window_start: '2024-03-30',
        window_end: '2024-06-28',
        as_of: '2024-06-28',
        last_payment_date: '2024-06-28',
        active: true,
        paid: '3000.00',
        takeback: '1050.00',
        recoupment_rate: 0.35,
        rank: 1,
      },
      {
        payer_id: 'OLD9',
        payer_name: 'DORMANT PLAN',
        window_start: '2023-09-02',
        window_end: '2023-12-01',
        as_of: '2024-06-28',
        last_payment_date: '2023-12-01',
        active: false,
        paid: '1500.00',
        takeback: '1000.00',
        recoupment_rate: 0.666667,
        rank: 2,
      },
    ]);
  });
});

describe('payer names', () => {
  it('are in every mart that has a payer_id, as dim_payers gives them', async () => {
    const marts = listMarts(lake.lake);
    const withPayer = [];
    for (const mart of marts) {
      const cols = (await q(`DESCRIBE ${mart}`)).map((r) => String(r.column_name));
      if (!cols.includes('payer_id')) continue;
      withPayer.push(mart);
      expect(cols, mart).toContain('payer_name');
      const wrong = await q(`SELECT count(*) AS n FROM ${mart} AS m JOIN dim_payers AS p USING (payer_id)
        WHERE m.payer_name IS DISTINCT FROM p.payer_name`);
      expect(wrong, mart).toEqual([{ n: 0 }]);
    }
    expect(withPayer.length).toBeGreaterThanOrEqual(9);
  });

  it('come from one model, dim_payers: the name on the payer’s latest 835', async () => {
    expect(await q('SELECT payer_id, payer_name FROM dim_payers ORDER BY payer_id')).toEqual([
      { payer_id: 'ACT1', payer_name: 'ACTIVE PLAN' },
      { payer_id: 'OLD9', payer_name: 'DORMANT PLAN' },
    ]);
  });
});

describe('recoupment_rates', () => {
  it('keeps rendering and billing NPIs apart: an unlinked PLB offset ranks as the billing NPI, never as a rendering provider', async () => {
    expect(
      await q(`SELECT provider_npi, provider_role, paid::VARCHAR AS paid, takeback::VARCHAR AS takeback
               FROM recoupment_rates WHERE grain = 'provider' AND period = DATE '2024-06-01'
               ORDER BY provider_role`),
    ).toEqual([
      // I3 (no rendering NPI) paid 2000 to the payee NPI; the WO +50 naming no claim is charged to it.
      { provider_npi: '1999999984', provider_role: 'billing', paid: '2000.00', takeback: '50.00' },
      // The reversal of I1 (1000) and the deferral pair on I2 (−300 + 300), whose claims name the rendering NPI.
      { provider_npi: '1111111112', provider_role: 'rendering', paid: '0.00', takeback: '1000.00' },
    ]);
    expect(
      await q(`SELECT count(*) AS n FROM recoupment_rates WHERE grain IN ('payer', 'cause', 'payer_cause')
               AND provider_role IS NOT NULL`),
    ).toEqual([{ n: 0 }]);
  });

  it('names the payer and flags the months not wholly covered', async () => {
    expect(
      await q(`SELECT payer_id, payer_name, CAST(period AS VARCHAR) AS period, partial_period
               FROM recoupment_rates WHERE grain = 'payer' ORDER BY payer_id, period`),
    ).toEqual([
      // June 2024 ends after the as-of date (2024-06-28).
      { payer_id: 'ACT1', payer_name: 'ACTIVE PLAN', period: '2024-03-01', partial_period: false },
      { payer_id: 'ACT1', payer_name: 'ACTIVE PLAN', period: '2024-04-01', partial_period: false },
      { payer_id: 'ACT1', payer_name: 'ACTIVE PLAN', period: '2024-06-01', partial_period: true },
      // OLD9's first payment is on 2023-10-06: its October is part of a month.
      { payer_id: 'OLD9', payer_name: 'DORMANT PLAN', period: '2023-10-01', partial_period: true },
      { payer_id: 'OLD9', payer_name: 'DORMANT PLAN', period: '2023-12-01', partial_period: false },
    ]);
  });
});

describe('takeback_trend', () => {
  it('flags the first and last periods that are only partly covered', async () => {
    const months = await q(`SELECT payer_id, CAST(period_start AS VARCHAR) AS period, partial_period
      FROM takeback_trend WHERE grain = 'month' AND partial_period ORDER BY payer_id, period_start`);
    expect(months).toEqual([
      { payer_id: 'ACT1', period: '2024-06-01', partial_period: true },
      { payer_id: 'OLD9', period: '2023-10-01', partial_period: true },
      { payer_id: 'OLD9', period: '2024-06-01', partial_period: true },
    ]);
    const weeks = await q(`SELECT CAST(period_start AS VARCHAR) AS period FROM takeback_trend
      WHERE grain = 'week' AND payer_id = 'ACT1' AND partial_period ORDER BY period_start`);
    // ACT1's first payment is on a Friday (2024-03-01), its last week ends after the as-of date.
    expect(weeks).toEqual([{ period: '2024-02-26' }, { period: '2024-06-24' }]);
  });
});

describe('forecast and alerts', () => {
  it('name the payer like every other mart', async () => {
    expect(await q('SELECT DISTINCT payer_id, payer_name FROM liquidity_forecast ORDER BY payer_id')).toEqual(
      [
        { payer_id: 'ACT1', payer_name: 'ACTIVE PLAN' },
        { payer_id: 'OLD9', payer_name: 'DORMANT PLAN' },
      ],
    );
    expect(
      await q(`SELECT column_name FROM information_schema.columns
               WHERE table_name = 'takeback_alerts' AND column_name = 'payer_name'`),
    ).toEqual([{ column_name: 'payer_name' }]);
  });
});
