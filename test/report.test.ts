import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildDuckDbModels } from '../functions/adapters/duckdb/buildDuckDbModels.ts';
import { createLakeViews } from '../functions/adapters/duckdb/lakeViews.ts';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import { escapeHtml, jsonForScript } from '../functions/report/escape.ts';
import type { ReportData } from '../functions/report/loadReportData.ts';
import { martsAsOf, writeReport } from '../functions/wiring/writeReport.ts';
import { ingestGeneratedLake } from './helpers/generatedLake.ts';
import { ALL_MARTS, HOSTILE, handMadeLake } from './helpers/reportLake.ts';

/** The JSON embedded in a report, parsed back. */
function embedded(html: string): ReportData {
  const m = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  if (!m?.[1]) throw new Error('no embedded report data');
  return JSON.parse(m[1]) as ReportData;
}

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
         sum(refunds) AS refunds, sum(interest) AS interest, sum(outstanding_fb) AS outstanding_fb FROM payer_scorecard
       WHERE active`,
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
      ['P3', 3, '5000.00', '6250.00', 'up'],
    ]);
    // The headline covers the active payers' window; P3 is inactive, on its own window, named by the mart.
    expect(data.scorecard.data[2]).toMatchObject({
      active: false,
      window_start: '2024-08-31',
      window_end: '2024-11-29',
      last_payment_date: '2024-11-29',
      payer_name: 'Dormant Mutual',
    });
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
      {
        payer_id: 'P1',
        period: '2025-03-01',
        takeback: '300.00',
        net_takeback: '240.00',
        paid: '2000.00',
        partial: true,
      },
    ]);
    // Causes summed over periods, exactly.
    expect(data.causes.data.all).toEqual([
      { cause: 'coding', takeback: '42.50', net_takeback: '32.50', takeback_count: 3 },
    ]);
    // Providers keep their role: the billing NPI's unlinked offsets are not a rendering provider's.
    expect(data.providers.data.all.map((r) => [r.provider_npi, r.provider_role, r.takeback])).toEqual([
      ['1234567893', 'rendering', '42.50'],
      ['1999999984', 'billing', '12.00'],
    ]);
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
    // PLB references: the page's whole; the CSV export's without a claim's CLP01 (ACCT9 is one in
    // the lake's claims, CLM5 is the linked claim's own); the alert links its PLB offset by reference.
    expect(
      data.drill.data.rows
        .filter((r) => r.kind === 'plb' && r.payer_id === 'P2')
        .map((r) => [r.reference_id, r.reference_export]),
    ).toEqual([
      ['ICN77 ACCT9', 'ICN77'],
      ['ICN5 CLM5', 'ICN5'],
    ]);
    expect(data.alerts.data.current[0]?.top_claim_references).toEqual(['ICN77 ACCT9', null]);
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

describe('report as of a date', () => {
  it('shows one date range on the page: the models are built again as of --as-of, the lake’s marts left alone', async () => {
    // Prepare: a generated lake, its marts built as of its latest payment.
    const lake = join(dir, 'lake');
    await ingestGeneratedLake(lake, { seed: 5, weeks: 30, payers: 2, scale: 0.3, duplicates: false });
    await buildDuckDbModels({ db, lakeDir: lake });
    const built = await martsAsOf(db);
    expect(built).not.toBeNull();
    const asOf = addDays(built as string, -60);
    const out = join(dir, 'report.html');

    // Act
    const result = await writeReport({ db, lakeDir: lake, out, asOf });
    const data = embedded(readFileSync(out, 'utf8'));

    // Assess: every section ends at the as-of date.
    expect(result).toMatchObject({ as_of: asOf, rebuilt_as_of: true });
    expect(data.as_of).toBe(asOf);
    expect(data.period.to! <= asOf).toBe(true);
    expect(data.totals.window_end).toBe(asOf);
    for (const r of data.scorecard.data) expect(r.window_end! <= asOf).toBe(true);
    expect(data.forecast.data.as_of).toBe(asOf);
    expect(data.forecast.data.rows[0]?.week_start).toBe(addDays(mondayOf(asOf), 7));
    for (const r of [...data.trend.data.weekly, ...data.trend.data.monthly])
      expect(r.period! <= asOf).toBe(true);
    for (const r of data.cohorts.data.rows) expect(r.cohort_month! <= asOf).toBe(true);
    expect(data.appeals.data.as_of).toBe(asOf);
    // The lake's own marts are still as they were built.
    const fresh = await openDuckDb();
    try {
      await createLakeViews(fresh, lake);
      expect(await martsAsOf(fresh)).toBe(built);
    } finally {
      fresh.closeSync();
    }
  });

  it('takes the marts’ as-of date when none is asked for, and builds nothing', async () => {
    const lake = join(dir, 'lake');
    await ingestGeneratedLake(lake, { seed: 5, weeks: 20, payers: 2, scale: 0.3, duplicates: false });
    await buildDuckDbModels({ db, lakeDir: lake });
    const built = await martsAsOf(db);
    const out = join(dir, 'report.html');

    const result = await writeReport({ db, lakeDir: lake, out });
    const data = embedded(readFileSync(out, 'utf8'));

    expect(result.rebuilt_as_of).toBe(false);
    expect(data.as_of).toBe(built);
    expect(data.totals.window_end).toBe(built);
    expect(data.forecast.data.as_of).toBe(built);
  });
});

function addDays(iso: string, n: number): string {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

function mondayOf(iso: string): string {
  const d = new Date(`${iso}T00:00:00Z`);
  return addDays(iso, -((d.getUTCDay() + 6) % 7));
}

describe('a report to share beyond the finance team (claimIds: false, as the AWS stack publishes it)', () => {
  it('holds no CLP01 of the lake anywhere, while the default report shows them', async () => {
    // Prepare: realistic generated data (composite PLB references, reused account numbers), built.
    const lake = await ingestGeneratedLake(join(dir, 'lake'), {
      seed: 12,
      weeks: 20,
      payers: 4,
      realism: 'high',
    });
    await buildDuckDbModels({ db, lakeDir: lake });
    await createLakeViews(db, lake);
    const clp01 = new Set(
      (await runQuery(db, 'SELECT DISTINCT claim_id FROM claims WHERE claim_id IS NOT NULL')).rows.map((r) =>
        String(r.claim_id),
      ),
    );
    const tokens = (data: ReportData) =>
      new Set(
        JSON.stringify(data)
          .split(/[^A-Za-z0-9]+/)
          .filter((t) => t !== ''),
      );

    // Act
    await writeReport({ db, lakeDir: lake, out: join(dir, 'full.html') });
    await writeReport({ db, lakeDir: lake, out: join(dir, 'shared.html'), claimIds: false });
    const full = embedded(readFileSync(join(dir, 'full.html'), 'utf8'));
    const shared = embedded(readFileSync(join(dir, 'shared.html'), 'utf8'));

    // Assess: the default report names claims by CLP01; the shared one names none, anywhere.
    expect([...tokens(full)].filter((t) => clp01.has(t)).length).toBeGreaterThan(0);
    expect([...tokens(shared)].filter((t) => clp01.has(t))).toEqual([]);
    // The same rows are there, named otherwise.
    expect(shared.drill.data.rows.length).toBe(full.drill.data.rows.length);
    expect(shared.drill.data.rows.every((r) => r.claim_id === null)).toBe(true);
    expect(shared.alerts.data.current.length).toBe(full.alerts.data.current.length);
  });
});
