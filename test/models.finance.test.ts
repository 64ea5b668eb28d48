import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  it('come from one model, int_payers: the name on the payer’s latest 835', async () => {
    expect(await q('SELECT payer_id, payer_name FROM int_payers ORDER BY payer_id')).toEqual([
      { payer_id: 'ACT1', payer_name: 'ACTIVE PLAN' },
      { payer_id: 'OLD9', payer_name: 'DORMANT PLAN' },
    ]);
  });
});
