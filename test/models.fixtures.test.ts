import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import { parseModelsConfig } from '../functions/models/modelsConfig.ts';
import { runSqlTests } from '../functions/models/runSqlTests.ts';
import { buildLakeFrom, type ModelLake } from './fixtures/models/modelLake.ts';

// Hand-written 835s (test/fixtures/models/README.md) with values computed by hand.
const FOLDER = join(import.meta.dirname, 'fixtures', 'models');

let built: ModelLake;

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await runQuery(built.db, sql)).rows;
}

describe('models on hand-written remittances', () => {
  beforeAll(async () => {
    built = await buildLakeFrom(FOLDER, {
      asOf: '2024-04-25',
      config: parseModelsConfig({ appealWindowDays: { default: 60, payers: { MODA: 30 } } }),
    });
  });
  afterAll(() => built?.close());

  it('links a reversal to its original and to a correction that arrived in a later file', async () => {
    const [reversal] = await rows(`
      SELECT amount::VARCHAR AS amount, correction_repaid::VARCHAR AS correction_repaid,
             net_amount::VARCHAR AS net_amount, cause, provider_npi, claim_id, linked, lag_days,
             CAST(original_payment_date AS VARCHAR) AS original_payment_date,
             CAST(correction_payment_date AS VARCHAR) AS correction_payment_date, week_start::VARCHAR AS week_start,
             period::VARCHAR AS period
      FROM int_takebacks WHERE payer_id = 'MODA' AND kind = 'reversal'`);
    expect(reversal).toEqual({
      amount: '500.00',
      correction_repaid: '350.00',
      net_amount: '150.00',
      // Correction CO 45 100 + CO 16 150, reversal CO 45 −100: CARC 16 grew by 150.
      cause: 'documentation',
      provider_npi: '1234567893',
      claim_id: 'C1',
      linked: true,
      lag_days: 28,
      original_payment_date: '2024-01-05',
      correction_payment_date: '2024-02-16',
      week_start: '2024-01-29',
      period: '2024-02-01',
    });
  });

  it('keeps a PLB recovery that names no claim, unlinked and unspecified, on PLB01', async () => {
    const [plb] = await rows(`
      SELECT amount::VARCHAR AS amount, net_amount::VARCHAR AS net_amount, cause, provider_npi, linked,
             claim_id, reason_code, reference_id, lag_days
      FROM int_takebacks WHERE payer_id = 'MODA' AND kind = 'plb'`);
    expect(plb).toEqual({
      amount: '100.00',
      net_amount: '100.00',
      cause: 'unspecified',
      provider_npi: '1999999984',
      linked: false,
      claim_id: null,
      reason_code: 'WO',
      reference_id: 'RA999',
      lag_days: null,
    });
  });

  it('nets a deferred WO (−300 now, +300 later) to zero and gives it the reversal cause', async () => {
    const wo = await rows(`
      SELECT CAST(payment_date AS VARCHAR) AS payment_date, amount::VARCHAR AS amount, cause, linked, claim_id, lag_days
      FROM int_takebacks WHERE payer_id = 'MODB' AND kind = 'plb' ORDER BY payment_date`);
    expect(wo).toEqual([
      {
        payment_date: '2024-03-01',
        amount: '-300.00',
        cause: 'pending',
        linked: true,
        claim_id: 'D1',
        lag_days: 28,
      },
      {
        payment_date: '2024-03-29',
        amount: '300.00',
        cause: 'pending',
        linked: true,
        claim_id: 'D1',
        lag_days: 56,
      },
    ]);
  });

  it('rolls up recoupment_rates by payer and period', async () => {
    const got = await rows(`
      SELECT payer_id, period::VARCHAR AS period, paid::VARCHAR AS paid, takeback::VARCHAR AS takeback,
             net_takeback::VARCHAR AS net_takeback, recoupment_rate, net_recoupment_rate, claim_count, takeback_count
      FROM recoupment_rates WHERE grain = 'payer' ORDER BY payer_id, period`);
    expect(got).toEqual([
      {
        payer_id: 'MODA',
        period: '2024-01-01',
        paid: '700.00',
        takeback: '0.00',
        net_takeback: '0.00',
        recoupment_rate: 0,
        net_recoupment_rate: 0,
        claim_count: 2,
        takeback_count: 0,
      },
      // Paid 800 + 350 (correction) + 150; takeback 500 + 100; net 600 − 350.
      {
        payer_id: 'MODA',
        period: '2024-02-01',
        paid: '1300.00',
        takeback: '600.00',
        net_takeback: '250.00',
        recoupment_rate: 0.461538,
        net_recoupment_rate: 0.192308,
        claim_count: 3,
        takeback_count: 2,
      },
      {
        payer_id: 'MODB',
        period: '2024-02-01',
        paid: '300.00',
        takeback: '0.00',
        net_takeback: '0.00',
        recoupment_rate: 0,
        net_recoupment_rate: 0,
        claim_count: 1,
        takeback_count: 0,
      },
      // Reversal 300, WO −300, WO +300.
      {
        payer_id: 'MODB',
        period: '2024-03-01',
        paid: '1500.00',
        takeback: '300.00',
        net_takeback: '300.00',
        recoupment_rate: 0.2,
        net_recoupment_rate: 0.2,
        claim_count: 2,
        takeback_count: 3,
      },
    ]);
  });

  it('gives the cause grain the period paid of all payers, and payer_cause the payer paid', async () => {
    const got = await rows(`
      SELECT grain, payer_id, cause, paid::VARCHAR AS paid, takeback::VARCHAR AS takeback
      FROM recoupment_rates WHERE grain IN ('cause', 'payer_cause') AND period = '2024-02-01'
      ORDER BY grain, cause`);
    expect(got).toEqual([
      { grain: 'cause', payer_id: null, cause: 'documentation', paid: '1600.00', takeback: '500.00' },
      { grain: 'cause', payer_id: null, cause: 'unspecified', paid: '1600.00', takeback: '100.00' },
      { grain: 'payer_cause', payer_id: 'MODA', cause: 'documentation', paid: '1300.00', takeback: '500.00' },
      { grain: 'payer_cause', payer_id: 'MODA', cause: 'unspecified', paid: '1300.00', takeback: '100.00' },
    ]);
  });

  it('lists disputable takebacks with deadlines by the per-payer window, most recoverable first', async () => {
    const got = await rows(`
      SELECT payer_id, kind, amount::VARCHAR AS amount, recoverable_amount::VARCHAR AS recoverable,
             CAST(appeal_deadline AS VARCHAR) AS deadline, days_left, status
      FROM takeback_appeals ORDER BY rank`);
    // MODB's deferred WO (−300, then +300) is no payer takeback to appeal; MODA's reversal is
    // recoverable net of its 350 correction.
    expect(got).toEqual([
      {
        payer_id: 'MODB',
        kind: 'reversal',
        amount: '300.00',
        recoverable: '300.00',
        deadline: '2024-04-30',
        days_left: 5,
        status: 'due_7_days',
      },
      {
        payer_id: 'MODA',
        kind: 'reversal',
        amount: '500.00',
        recoverable: '150.00',
        deadline: '2024-03-03',
        days_left: -53,
        status: 'expired',
      },
      {
        payer_id: 'MODA',
        kind: 'plb',
        amount: '100.00',
        recoverable: '100.00',
        deadline: '2024-03-03',
        days_left: -53,
        status: 'expired',
      },
    ]);
  });

  it('scores payers over the trailing 13 weeks ending at as-of', async () => {
    const got = await rows(`
      SELECT payer_id, CAST(window_start AS VARCHAR) AS window_start, paid::VARCHAR AS paid,
             takeback::VARCHAR AS takeback, rank, median_lag_days, linked_share
      FROM payer_scorecard ORDER BY rank`);
    // Window 2024-01-26 .. 2024-04-25 leaves out MODA's January payment.
    expect(got).toEqual([
      {
        payer_id: 'MODA',
        window_start: '2024-01-26',
        paid: '1300.00',
        takeback: '600.00',
        rank: 1,
        median_lag_days: 28,
        linked_share: 0.5,
      },
      {
        payer_id: 'MODB',
        window_start: '2024-01-26',
        paid: '1800.00',
        takeback: '300.00',
        rank: 2,
        median_lag_days: 28,
        linked_share: 1,
      },
    ]);
  });

  it('passes every singular test in sql/tests', async () => {
    const failed = (await runSqlTests(built.db)).filter((t) => !t.passed);
    expect(failed).toEqual([]);
  });
});
