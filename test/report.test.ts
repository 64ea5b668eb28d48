import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLakeViews } from '../functions/adapters/duckdb/lakeViews.ts';
import { openDuckDb, sqlIdent, sqlString } from '../functions/adapters/duckdb/openDuckDb.ts';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import { duckdbType, tableColumns } from '../functions/core/lake/schema.ts';
import { escapeHtml, jsonForScript } from '../functions/report/escape.ts';
import type { ReportData } from '../functions/report/loadReportData.ts';
import { writeReport } from '../functions/report/writeReport.ts';

const HOSTILE = `</script><script>window.pwned=1</script><img src=x onerror="alert('x')"> & "Payer" <!--`;

/**
 * A hand-made lake: two remittances (one from a payer with a hostile name) and the marts with the
 * column names of sql/marts, written as Parquet where createLakeViews finds them.
 */
async function handMadeLake(db: DuckDBConnection, lake: string, marts: string[]): Promise<void> {
  const remits = [
    { payer_id: 'P1', payer_name: 'Acme Health', payment_date: '2025-03-05', remit_id: 'r1' },
    { payer_id: 'P2', payer_name: HOSTILE, payment_date: '2025-03-12', remit_id: 'r2' },
  ];
  for (const r of remits) {
    const dir = join(
      lake,
      'remittances',
      `payer_id=${r.payer_id}`,
      `payment_month=${r.payment_date.slice(0, 7)}`,
    );
    mkdirSync(dir, { recursive: true });
    const cols = tableColumns('remittances').filter((c) => !c.partition);
    const values: Record<string, string> = {
      remit_id: sqlString(r.remit_id),
      payer_name: sqlString(r.payer_name),
      payment_date: `DATE ${sqlString(r.payment_date)}`,
      payment_amount: '100.00',
      balanced: 'true',
    };
    const select = cols.map(
      (c) => `CAST(${values[c.name] ?? 'NULL'} AS ${duckdbType(c.type)}) AS ${sqlIdent(c.name)}`,
    );
    await db.run(
      `COPY (SELECT ${select.join(', ')}) TO ${sqlString(join(dir, `${r.remit_id}.parquet`))} (FORMAT parquet)`,
    );
  }
  const tables: Record<string, string> = {
    payer_scorecard: `SELECT * FROM (VALUES
      ('P1', DATE '2025-01-01', DATE '2025-03-31', 120000.10::DECIMAL(18,2), 6000.05::DECIMAL(18,2), 5000.00::DECIMAL(18,2),
        0.05, 0.0417, 2, 30.0, 0.9, 10.00::DECIMAL(18,2), 1.25::DECIMAL(18,2), 0.00::DECIMAL(18,2), 0.04, 'up'),
      ('P2', DATE '2025-01-01', DATE '2025-03-31', 80000.33::DECIMAL(18,2), 8000.01::DECIMAL(18,2), 7999.99::DECIMAL(18,2),
        0.1, 0.1, 1, 45.5, 0.5, 0.00::DECIMAL(18,2), 0.00::DECIMAL(18,2), 250.50::DECIMAL(18,2), 0.1, 'flat'))
      AS t(payer_id, window_start, window_end, paid, takeback, net_takeback, recoupment_rate, net_recoupment_rate,
        rank, median_lag_days, linked_share, refunds, interest, outstanding_fb, previous_recoupment_rate, trend)`,
    takeback_trend: `SELECT * FROM (VALUES
      ('week', 'P1', DATE '2025-03-03', 1000.00::DECIMAL(18,2), 100.00::DECIMAL(18,2), 90.00::DECIMAL(18,2)),
      ('week', 'P1', DATE '2025-03-10', 1000.00::DECIMAL(18,2), 200.00::DECIMAL(18,2), 150.00::DECIMAL(18,2)),
      ('month', 'P1', DATE '2025-03-01', 2000.00::DECIMAL(18,2), 300.00::DECIMAL(18,2), 240.00::DECIMAL(18,2)),
      ('week', 'P1', DATE '2025-04-07', 1.00::DECIMAL(18,2), 1.00::DECIMAL(18,2), 1.00::DECIMAL(18,2)))
      AS t(grain, payer_id, period_start, paid, takeback, net_takeback)`,
    recoupment_rates: `SELECT * FROM (VALUES
      ('cause', DATE '2025-03-01', NULL, 'coding', NULL, 500.00::DECIMAL(18,2), 40.00::DECIMAL(18,2), 30.00::DECIMAL(18,2), 2),
      ('cause', DATE '2025-02-01', NULL, 'coding', NULL, 500.00::DECIMAL(18,2), 2.50::DECIMAL(18,2), 2.50::DECIMAL(18,2), 1),
      ('provider', DATE '2025-03-01', NULL, NULL, '1234567893', 500.00::DECIMAL(18,2), 42.50::DECIMAL(18,2), 32.50::DECIMAL(18,2), 3),
      ('payer_cause', DATE '2025-03-01', 'P1', 'coding', NULL, 500.00::DECIMAL(18,2), 40.00::DECIMAL(18,2), 30.00::DECIMAL(18,2), 2))
      AS t(grain, period, payer_id, cause, provider_npi, paid, takeback, net_takeback, takeback_count)`,
    liquidity_forecast: `SELECT 'P1' AS payer_id, DATE '2025-03-17' + CAST(7 * i AS INTEGER) AS week_start, DATE '2025-03-12' AS as_of,
      1000.00::DECIMAL(18,2) AS expected_payments, 50.00::DECIMAL(18,2) AS takeback_p10,
      (100 + 20 * i)::DECIMAL(18,2) AS takeback_p50, 400.00::DECIMAL(18,2) AS takeback_p90,
      0.00::DECIMAL(18,2) AS scheduled_offsets, (900 - 20 * i)::DECIMAL(18,2) AS net_cash_p50,
      (100 + 20 * i) / 1000 AS takeback_share, (100 + 20 * i) > 200 AS flag FROM range(0, 13) AS r(i)`,
    takeback_alerts: `SELECT 'payer' AS grain, 'P2' AS payer_id, NULL::VARCHAR AS cause, DATE '2025-03-10' AS week_start,
      9000.00::DECIMAL(18,2) AS takeback, 1000.00::DECIMAL(18,2) AS baseline, 8.5 AS score, 8000.00::DECIMAL(18,2) AS excess,
      ['C1 (ICN 9)', 'C2'] AS top_claims, ['1234567893'] AS top_providers, ['audit'] AS top_causes`,
    takeback_links: `SELECT 'tb' || i AS takeback_id, CASE WHEN i % 2 = 0 THEN 'reversal' ELSE 'plb' END AS kind,
      CASE WHEN i < 5 THEN 'P1' ELSE 'P2' END AS payer_id, DATE '2025-03-05' AS payment_date,
      (i * 10 + 0.01)::DECIMAL(18,2) AS amount, 0.00::DECIMAL(18,2) AS correction_repaid, 'coding' AS cause,
      'CLM' || i AS claim_id, 'ICN' || i AS payer_claim_control, 30 AS lag_days, DATE '2025-02-03' AS original_payment_date,
      NULL::DATE AS correction_payment_date, '1234567893' AS provider_npi FROM range(0, 8) AS r(i)`,
    // Three appeals as of 2025-03-12: due in 5 days, open (39 days left), expired.
    takeback_appeals: `SELECT * FROM (VALUES
      ('tb1', 'reversal', 'P1', DATE '2025-02-15', DATE '2025-03-17', 120.00::DECIMAL(18,2), 100.00::DECIMAL(18,2), 20.00::DECIMAL(18,2), 'open'),
      ('tb2', 'plb', 'P2', DATE '2025-02-19', DATE '2025-04-20', 300.50::DECIMAL(18,2), 300.50::DECIMAL(18,2), 0.00::DECIMAL(18,2), 'open'),
      ('tb3', 'reversal', 'P1', DATE '2024-12-01', DATE '2025-01-30', 75.25::DECIMAL(18,2), 75.25::DECIMAL(18,2), 0.00::DECIMAL(18,2), 'expired'))
      AS t(takeback_id, kind, payer_id, payment_date, appeal_deadline, amount, recoverable_amount, correction_repaid, status)
      CROSS JOIN (SELECT 'CO' AS reason_code, 'ICN-A' AS payer_claim_control, 'CLM-A' AS claim_id, NULL::VARCHAR AS original_claim_key,
        NULL::DATE AS original_payment_date, 'coding' AS cause, '16' AS cause_reason_code, '1234567893' AS provider_npi,
        NULL::VARCHAR AS reference_id, NULL::DATE AS correction_payment_date)`,
    // P1's January 2025 cohort: 1% taken back in week 0, 2.5% by week 1 (complete), 3% by week 2 (not yet).
    recoupment_cohorts: `SELECT * FROM (VALUES
      ('P1', DATE '2025-01-01', 0, 0.01::DOUBLE, true), ('P1', DATE '2025-01-01', 1, 0.025, true), ('P1', DATE '2025-01-01', 2, 0.03, false))
      AS t(payer_id, cohort_month, dev_week, cumulative_share, complete)
      CROSS JOIN (SELECT 10000.00::DECIMAL(18,2) AS cohort_paid, NULL::DOUBLE AS cohort_rate, NULL::DOUBLE AS net_cohort_rate,
        26 AS maturity_weeks)`,
  };
  for (const name of marts) {
    const dir = join(lake, 'marts', name);
    mkdirSync(dir, { recursive: true });
    await db.run(`COPY (${tables[name]}) TO ${sqlString(join(dir, 'data.parquet'))} (FORMAT parquet)`);
  }
}

/** The JSON embedded in a report, parsed back. */
function embedded(html: string): ReportData {
  const m = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  if (!m?.[1]) throw new Error('no embedded report data');
  return JSON.parse(m[1]) as ReportData;
}

const ALL_MARTS = [
  'payer_scorecard',
  'takeback_trend',
  'recoupment_rates',
  'liquidity_forecast',
  'takeback_alerts',
  'takeback_links',
  'takeback_appeals',
  'recoupment_cohorts',
];

let db: DuckDBConnection;
let dir: string;

beforeEach(async () => {
  db = await openDuckDb();
  dir = mkdtempSync(join(tmpdir(), 'recoup-report-'));
});

afterEach(() => {
  db.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

describe('report data', () => {
  it('embeds exactly what the marts say: scorecard rows and totals as exact decimal strings', async () => {
    // Prepare
    const lake = join(dir, 'lake');
    await handMadeLake(db, lake, ALL_MARTS);
    const out = join(dir, 'report.html');

    // Act
    const result = await writeReport({ db, lakeDir: lake, out, drillCap: 3, appealsAsOf: '2025-03-12' });
    const data = embedded(readFileSync(out, 'utf8'));

    // Assess: totals equal the mart's sums, computed independently in DuckDB.
    await createLakeViews(db, lake);
    const { rows } = await runQuery(
      db,
      `SELECT sum(paid) AS paid, sum(takeback) AS takeback, sum(net_takeback) AS net_takeback,
         sum(refunds) AS refunds, sum(interest) AS interest, sum(outstanding_fb) AS outstanding_fb FROM payer_scorecard`,
    );
    const sums = rows[0]!;
    expect(data.totals).toMatchObject({
      source: 'payer_scorecard',
      paid: sums.paid,
      takeback: sums.takeback,
      net_takeback: sums.net_takeback,
      refunds: sums.refunds,
      interest: sums.interest,
      outstanding_fb: sums.outstanding_fb,
      window_start: '2025-01-01',
      window_end: '2025-03-31',
    });
    expect(data.totals.paid).toBe('200000.43');
    expect(data.totals.takeback).toBe('14000.06');
    // Rows in rank order, money untouched.
    expect(data.scorecard.data.map((r) => [r.payer_id, r.rank, r.paid, r.takeback, r.trend])).toEqual([
      ['P2', 1, '80000.33', '8000.01', 'flat'],
      ['P1', 2, '120000.10', '6000.05', 'up'],
    ]);
    expect(data.scorecard.data[1]).toMatchObject({
      payer_name: 'Acme Health',
      median_lag_days: 30,
      linked_share: 0.9,
    });
    // Trend: both grains; the week after the as-of date (the latest payment, 2025-03-12) is left out.
    expect(data.as_of).toBe('2025-03-12');
    expect(data.period).toEqual({ from: '2025-03-05', to: '2025-03-12' });
    expect(data.trend.data.weekly.map((r) => r.period)).toEqual(['2025-03-03', '2025-03-10']);
    expect(data.trend.data.monthly).toEqual([
      { payer_id: 'P1', period: '2025-03-01', takeback: '300.00', net_takeback: '240.00', paid: '2000.00' },
    ]);
    // Causes summed over periods, exactly.
    expect(data.causes.data.all).toEqual([
      { cause: 'coding', takeback: '42.50', net_takeback: '32.50', takeback_count: 3 },
    ]);
    expect(data.providers.data.all[0]).toMatchObject({ provider_npi: '1234567893', takeback: '42.50' });
    // Forecast, alerts, drill-down (capped per payer, largest first, with the true totals).
    expect(data.forecast.data.rows).toHaveLength(13);
    expect(data.forecast.data.rows.filter((r) => r.flag === true)).toHaveLength(7);
    expect(data.alerts.data.current).toHaveLength(1);
    expect(data.alerts.data.current[0]).toMatchObject({
      payer_id: 'P2',
      excess: '8000.00',
      top_causes: ['audit'],
    });
    expect(data.drill.data.rows.filter((r) => r.payer_id === 'P1').map((r) => r.amount)).toEqual([
      '40.01',
      '30.01',
      '20.01',
    ]);
    expect(data.drill.data.totals).toEqual([
      { payer_id: 'P1', takeback_count: 5, takeback: '100.05' },
      { payer_id: 'P2', takeback_count: 3, takeback: '180.03' },
    ]);
    // Appeals as of the report's date: counts and money by status, the open ones most recoverable first.
    expect(data.appeals.data.as_of).toBe('2025-03-12');
    expect(data.appeals.data.by_status).toEqual([
      { status: 'due_7_days', appeals: 1, recoverable: '100.00' },
      { status: 'open', appeals: 1, recoverable: '300.50' },
      { status: 'expired', appeals: 1, recoverable: '75.25' },
    ]);
    expect(
      data.appeals.data.rows.map((r) => [r.rank, r.payer_id, r.days_left, r.recoverable_amount]),
    ).toEqual([
      [1, 'P2', 39, '300.50'],
      [2, 'P1', 5, '100.00'],
    ]);
    // Cohorts: one row per payer × month, the shares by development week, complete weeks counted.
    expect(data.cohorts.data).toEqual({
      maturity_weeks: 26,
      rows: [
        {
          payer_id: 'P1',
          cohort_month: '2025-01-01',
          cohort_paid: '10000.00',
          shares: [0.01, 0.025, 0.03],
          complete_weeks: 1,
          cohort_rate: null,
          net_cohort_rate: null,
        },
      ],
    });
    // No month is closed in this lake: the section says how to close one.
    expect(data.closes.available).toBe(false);
    expect(data.closes.reason).toMatch(/recoup close/);
    expect(result).toMatchObject({
      payers: 2,
      current_alerts: 1,
      flagged_forecast_weeks: 7,
      missing_marts: [],
    });
  });

  it('keeps a hostile payer name inert: escaped in the JSON, never markup', async () => {
    // Prepare
    const lake = join(dir, 'lake');
    await handMadeLake(db, lake, ALL_MARTS);
    const out = join(dir, 'report.html');

    // Act
    await writeReport({ db, lakeDir: lake, out, title: HOSTILE });
    const html = readFileSync(out, 'utf8');

    // Assess: the name comes back intact from the JSON, and its markup appears nowhere raw.
    expect(embedded(html).payers.find((p) => p.payer_id === 'P2')?.payer_name).toBe(HOSTILE);
    expect(html).not.toContain('<script>window.pwned');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain(`<title>${escapeHtml(HOSTILE)}</title>`);
    // Exactly the three script elements of the page: data, ECharts, page script.
    expect(html.match(/<script[\s>]/g)).toHaveLength(3);
    expect(html.match(/<\/script>/g)).toHaveLength(3);
    expect(jsonForScript({ n: HOSTILE })).not.toMatch(/[<>&]/);
  });

  it('says which sections are missing instead of failing when marts are absent', async () => {
    // Prepare: only the scorecard was built.
    const lake = join(dir, 'lake');
    await handMadeLake(db, lake, ['payer_scorecard']);
    const out = join(dir, 'report.html');

    // Act
    const result = await writeReport({ db, lakeDir: lake, out });
    const data = embedded(readFileSync(out, 'utf8'));

    // Assess
    expect(result.missing_marts).toEqual([
      'takeback_trend',
      'recoupment_rates',
      'liquidity_forecast',
      'takeback_alerts',
      'takeback_links',
      'takeback_appeals',
      'recoupment_cohorts',
    ]);
    expect(data.scorecard.available).toBe(true);
    for (const section of [
      data.trend,
      data.causes,
      data.providers,
      data.forecast,
      data.alerts,
      data.drill,
      data.appeals,
      data.cohorts,
    ]) {
      expect(section.available).toBe(false);
      expect(section.reason).toMatch(/mart is not in this lake; run `recoup build/);
    }
  });

  it('inlines ECharts and fetches nothing: no external src or href', async () => {
    // Prepare
    const lake = join(dir, 'lake');
    await handMadeLake(db, lake, []);
    const out = join(dir, 'report.html');

    // Act
    await writeReport({ db, lakeDir: lake, out });
    const html = readFileSync(out, 'utf8');

    // Assess
    expect(html).toContain('echarts');
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=/i);
    expect(html).toContain("connect-src 'none'");
  });
});
