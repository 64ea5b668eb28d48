import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDuckDbModels } from '../functions/adapters/duckdb/buildDuckDbModels.ts';
import { duckDbWarehouse } from '../functions/adapters/duckdb/duckDbWarehouse.ts';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import { readAppeals } from '../functions/appeals/readAppeals.ts';
import { buildLakeFrom, type ModelLake } from './fixtures/models/modelLake.ts';

// Hand-written 835s of one payer, FINA (test/fixtures/finance/README.md), with every kind of
// money movement a worklist must tell apart; values computed by hand below.
const FOLDER = join(import.meta.dirname, 'fixtures', 'finance');
const ROOT = join(import.meta.dirname, '..');

let built: ModelLake;

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await runQuery(built.db, sql)).rows;
}

function recoup(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin', 'recoup.js'), ...args],
      { encoding: 'utf8' },
      (error, stdout, stderr) => resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('finance models on hand-written remittances', () => {
  beforeAll(async () => {
    built = await buildLakeFrom(FOLDER, { asOf: '2024-04-10' });
  });
  afterAll(() => built?.close());

  it('classifies each takeback event by the money movement it is', async () => {
    const got = await rows(`
      SELECT coalesce(reference_id, claim_id) AS what, coalesce(reason_code, 'CLP22') AS code,
             amount::VARCHAR AS amount, event_class, is_takeback_event,
             deferral_repaid::VARCHAR AS deferral_repaid, disputable_amount::VARCHAR AS disputable,
             recoverable_amount::VARCHAR AS recoverable
      FROM int_takeback_events ORDER BY payment_date, kind DESC, what, code`);
    expect(got).toEqual([
      // 02-14: three reversals; A2's correction in the same 835 repaid all of it.
      r('A1', 'CLP22', '1000.00', 'reversal', true, '0.00', '1000.00', '300.00'),
      r('A2', 'CLP22', '400.00', 'reversal', true, '0.00', '400.00', '0.00'),
      r('A5', 'CLP22', '800.00', 'reversal', true, '0.00', '800.00', '800.00'),
      // An offset of A3; A4's WO +250 / 72 −250 is the provider's refund; A5's WO −300 a deferral.
      r('ICNA3', 'WO', '250.00', 'offset', true, '0.00', '250.00', '250.00'),
      r('ICNA4', '72', '-250.00', 'refund', false, '0.00', '0.00', '0.00'),
      r('ICNA4', 'WO', '250.00', 'refund_offset', false, '0.00', '0.00', '0.00'),
      r('ICNA5', 'WO', '-300.00', 'deferral', false, '0.00', '0.00', '0.00'),
      // 02-21 (the late file): an unlinked WU.
      r('RA777', 'WU', '50.00', 'offset', true, '0.00', '50.00', '50.00'),
      // 03-20: an OB, and WO +500 on A5: 300 repays the deferral, 200 is taken anew.
      r('AFF1', 'OB', '100.00', 'offset', true, '0.00', '100.00', '100.00'),
      r('ICNA5', 'WO', '500.00', 'offset', true, '300.00', '200.00', '200.00'),
    ]);
  });

  it('lists only disputable takebacks, ranked by money recoverable, with deadline, days left and status', async () => {
    const got = await rows(`
      SELECT rank, claim_id, kind, reason_code, payer_claim_control AS icn, original_claim_key IS NOT NULL AS has_original,
             recoverable_amount::VARCHAR AS recoverable, correction_repaid::VARCHAR AS repaid, cause,
             CAST(appeal_deadline AS VARCHAR) AS deadline, CAST(as_of AS VARCHAR) AS as_of, days_left, status
      FROM takeback_appeals ORDER BY rank`);
    expect(got).toEqual([
      a(1, 'A5', 'reversal', null, 'ICNA5', true, '800.00', '0.00', 'pending', '2024-04-14', 4, 'due_7_days'),
      a(
        2,
        'A1',
        'reversal',
        null,
        'ICNA1',
        true,
        '300.00',
        '700.00',
        'documentation',
        '2024-04-14',
        4,
        'due_7_days',
      ),
      a(3, 'A3', 'plb', 'WO', 'ICNA3', true, '250.00', '0.00', 'unspecified', '2024-04-14', 4, 'due_7_days'),
      a(4, 'A5', 'plb', 'WO', 'ICNA5', true, '200.00', '0.00', 'pending', '2024-05-19', 39, 'open'),
      a(5, null, 'plb', 'OB', null, false, '100.00', '0.00', 'unspecified', '2024-05-19', 39, 'open'),
      a(6, null, 'plb', 'WU', null, false, '50.00', '0.00', 'unspecified', '2024-04-21', 11, 'open'),
      a(
        7,
        'A2',
        'reversal',
        null,
        'ICNA2',
        true,
        '0.00',
        '400.00',
        'other',
        '2024-04-14',
        4,
        'repaid_by_correction',
      ),
    ]);
  });

  it('sums to the disputable money: gross takeback plus deferrals not yet repaid, less refunds and repayments', async () => {
    const [got] = await rows(`
      SELECT (SELECT sum(amount) FROM int_takebacks)::VARCHAR AS gross,
             (SELECT sum(disputable_amount) FROM takeback_appeals)::VARCHAR AS disputable,
             (SELECT sum(recoverable_amount) FROM takeback_appeals)::VARCHAR AS recoverable`);
    // Gross 2800 = 1000 + 400 + 800 + 250 + (250 − 250) − 300 + 50 + 100 + 500. Disputable leaves out
    // the refund pair (nets 0), the deferral (−300) and its repayment (300 of the 500): also 2800.
    // Recoverable: less A1's 700 and A2's 400 corrections.
    expect(got).toEqual({ gross: '2800.00', disputable: '2800.00', recoverable: '1700.00' });
  });

  it('carries the original claim key of the payment taken back (its remittance and CLP position)', async () => {
    const [got] = await rows(`
      SELECT a.original_claim_key, l.original_remit_id || ':' || l.original_claim_seq AS from_links,
             CAST(a.original_payment_date AS VARCHAR) AS original_payment_date
      FROM takeback_appeals AS a JOIN takeback_links AS l USING (takeback_id) WHERE a.claim_id = 'A1'`);
    expect(got?.original_claim_key).toBe(got?.from_links);
    expect(got?.original_claim_key).toMatch(/^[0-9a-f]{32,}.*:1$/);
    expect(got?.original_payment_date).toBe('2024-01-10');
  });

  it('counts days left to today when the build is given no as-of', async () => {
    const before = new Date().toISOString().slice(0, 10);
    await buildDuckDbModels({ db: built.db, lakeDir: built.lake });
    const after = new Date().toISOString().slice(0, 10);
    const got = await rows(`SELECT DISTINCT CAST(as_of AS VARCHAR) AS as_of FROM takeback_appeals`);
    expect([before, after]).toContain(got[0]?.as_of);
    // The data cut stays the latest payment date.
    const [params] = await rows(`SELECT CAST(as_of AS VARCHAR) AS as_of FROM build_params`);
    expect(params?.as_of).toBe('2024-03-20');
    await buildDuckDbModels({ db: built.db, lakeDir: built.lake, asOf: '2024-04-10' });
  });

  it('readAppeals recounts days left and status to its own as-of date', async () => {
    const later = await readAppeals(duckDbWarehouse(built.db), { asOf: '2024-04-20' });
    expect(later.rows.map((r) => [r.rank, r.claim_id ?? r.reason_code, r.days_left, r.status])).toEqual([
      [1, 'A5', 29, 'open'],
      [2, 'OB', 29, 'open'],
      [3, 'WU', 1, 'due_7_days'],
    ]);
    const due = await readAppeals(duckDbWarehouse(built.db), { asOf: '2024-04-10', dueWithin: 4 });
    expect(due.rows.map((r) => r.recoverable_amount)).toEqual(['800.00', '300.00', '250.00']);
    const all = await readAppeals(duckDbWarehouse(built.db), { asOf: '2024-04-20', all: true });
    expect(all.rows.map((r) => r.status)).toEqual([
      'expired',
      'expired',
      'expired',
      'open',
      'open',
      'due_7_days',
      'repaid_by_correction',
    ]);
  });

  it('recoupment_cohorts develops each payment month: cumulative share of its paid taken back after k weeks', async () => {
    const got = await rows(`
      SELECT dev_week, cohort_paid::VARCHAR AS paid, takeback::VARCHAR AS takeback,
             cumulative_takeback::VARCHAR AS cumulative, cumulative_net_takeback::VARCHAR AS net,
             cumulative_share, complete, mature, cohort_rate
      FROM recoupment_cohorts WHERE cohort_month = DATE '2024-01-01' AND dev_week IN (0, 4, 5, 9, 10, 12, 13)
      ORDER BY dev_week`);
    // Paid 3050 on 01-10. Week 5 (02-14): A1 1000, A2 400, A5 800, WO A3 250 = 2450, net of A2's
    // 400 correction 2050. Week 10 (03-20): WO A5 +200 beyond the deferral; A1's correction −700.
    // As of 04-10 the month's last day (01-31) has had 10 full weeks: cells to week 9 are final.
    expect(got).toEqual([
      c(0, '0.00', '0.00', '0.00', 0, true),
      c(4, '0.00', '0.00', '0.00', 0, true),
      c(5, '2450.00', '2450.00', '2050.00', 0.803279, true),
      c(9, '0.00', '2450.00', '2050.00', 0.803279, true),
      c(10, '200.00', '2650.00', '1550.00', 0.868852, false),
      c(12, '0.00', '2650.00', '1550.00', 0.868852, false),
      c(13, '0.00', '2650.00', '1550.00', 0.868852, false),
    ]);
    // Cells appear week by week: March's cohort has weeks 0 to 5 (03-01 + 35 days ≤ 04-10).
    const [march] = await rows(
      `SELECT max(dev_week) AS weeks FROM recoupment_cohorts WHERE cohort_month = DATE '2024-03-01'`,
    );
    expect(march?.weeks).toBe(5);
  });

  it('gives a cohort its rate once it is mature (complete at 26 weeks)', async () => {
    await buildDuckDbModels({ db: built.db, lakeDir: built.lake, asOf: '2024-08-06' });
    const got = await rows(`
      SELECT DISTINCT cohort_month::VARCHAR AS month, mature, cohort_rate, net_cohort_rate
      FROM recoupment_cohorts ORDER BY month`);
    expect(got[0]).toEqual({
      month: '2024-01-01',
      mature: true,
      cohort_rate: 0.868852,
      net_cohort_rate: 0.508197,
    });
    expect(got.slice(1).every((r) => r.mature === false && r.cohort_rate === null)).toBe(true);
    await buildDuckDbModels({ db: built.db, lakeDir: built.lake, asOf: '2024-08-05' });
    const [younger] = await rows(
      `SELECT DISTINCT mature FROM recoupment_cohorts WHERE cohort_month = DATE '2024-01-01'`,
    );
    expect(younger?.mature).toBe(false);
    await buildDuckDbModels({ db: built.db, lakeDir: built.lake, asOf: '2024-04-10' });
  });

  it('recoup appeals exports the worklist as CSV, and says nothing about claims on stderr', async () => {
    const run = await recoup(['appeals', '--lake', built.lake, '--as-of', '2024-04-12', '--format', 'csv']);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^rank,status,days_left,appeal_deadline,recoverable_amount,amount,/);
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 5).join(','))).toEqual([
      '1,due_7_days,2,2024-04-14,800.00',
      '2,due_7_days,2,2024-04-14,300.00',
      '3,due_7_days,2,2024-04-14,250.00',
      '4,open,37,2024-05-19,200.00',
      '5,open,37,2024-05-19,100.00',
      '6,open,9,2024-04-21,50.00',
    ]);
    const due = await recoup([
      'appeals',
      '--lake',
      built.lake,
      '--as-of',
      '2024-04-12',
      '--due-within',
      '9',
      '--json',
    ]);
    expect((JSON.parse(due.stdout) as { claim_id: string | null }[]).map((r) => r.claim_id)).toEqual([
      'A5',
      'A1',
      'A3',
      null,
    ]);
    const bad = await recoup(['appeals', '--lake', built.lake, '--due-within', 'soon']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--due-within must be a whole number');
  });
});

function r(
  what: string,
  code: string,
  amount: string,
  event_class: string,
  is_takeback_event: boolean,
  deferral_repaid: string,
  disputable: string,
  recoverable: string,
) {
  return { what, code, amount, event_class, is_takeback_event, deferral_repaid, disputable, recoverable };
}

function a(
  rank: number,
  claim_id: string | null,
  kind: string,
  reason_code: string | null,
  icn: string | null,
  has_original: boolean,
  recoverable: string,
  repaid: string,
  cause: string,
  deadline: string,
  days_left: number,
  status: string,
) {
  return {
    rank,
    claim_id,
    kind,
    reason_code,
    icn,
    has_original,
    recoverable,
    repaid,
    cause,
    deadline,
    as_of: '2024-04-10',
    days_left,
    status,
  };
}

function c(
  dev_week: number,
  takeback: string,
  cumulative: string,
  net: string,
  cumulative_share: number,
  complete: boolean,
) {
  return {
    dev_week,
    paid: '3050.00',
    takeback,
    cumulative,
    net,
    cumulative_share,
    complete,
    mature: false,
    cohort_rate: null,
  };
}
