import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { CloseManifest } from '../../functions/close/periods.ts';
import { duckDbTypeOfGlue, MART_COLUMNS } from '../../functions/core/lake/martSchema.ts';
import { duckdbType, tableColumns } from '../../functions/core/lake/schema.ts';
import { sqlIdent, sqlString } from '../../functions/ports/warehouse.ts';

export const HOSTILE = `</script><script>window.pwned=1</script><img src=x onerror="alert('x')"> & "Payer" <!--`;

/**
 * A hand-made lake: two remittances (one from a payer with a hostile name) and the marts with the
 * columns of their contract (writeMart), written as Parquet where createLakeViews finds them. P2's largest
 * takeback (tb7, $70.01) is a PLB offset whose reference names no claim: the alert lists it; its
 * second token, ACCT9, is the patient control number (CLP01) of a P2 claim in the lake's claims
 * table, so the drill-down's CSV export leaves it out. tb5 is a PLB offset linked to its claim
 * (CLM5), whose reference holds that CLP01 too. P3
 * (Dormant Mutual) sent no 835 in the window: the scorecard scores it on its own last weeks,
 * inactive, and took back more than it paid there (125%). March 2025 is partly covered (as of 2025-03-12). NPI 1999999984 is a billing NPI.
 */
export async function handMadeLake(db: DuckDBConnection, lake: string, marts: string[]): Promise<void> {
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
  // One claim of P2 (r2): its CLP01 is ACCT9, the second token of tb7's PLB reference.
  const claimDir = join(lake, 'claims', 'payer_id=P2', 'payment_month=2025-03');
  mkdirSync(claimDir, { recursive: true });
  const claimValues: Record<string, string> = {
    remit_id: "'r2'",
    claim_seq: '1',
    claim_id: "'ACCT9'",
    status_code: "'1'",
    payer_claim_control: "'ICN90'",
    payment_date: "DATE '2025-03-12'",
  };
  const claimSelect = tableColumns('claims')
    .filter((c) => !c.partition)
    .map((c) => `CAST(${claimValues[c.name] ?? 'NULL'} AS ${duckdbType(c.type)}) AS ${sqlIdent(c.name)}`);
  await db.run(
    `COPY (SELECT ${claimSelect.join(', ')}) TO ${sqlString(join(claimDir, 'r2.parquet'))} (FORMAT parquet)`,
  );
  const tables: Record<string, string> = {
    payer_scorecard: `SELECT *, payer_id <> 'P3' AS active,
      CASE payer_id WHEN 'P3' THEN DATE '2024-11-29' ELSE DATE '2025-03-12' END AS last_payment_date,
      CASE payer_id WHEN 'P3' THEN 'Dormant Mutual' END AS payer_name FROM (VALUES
      ('P1', DATE '2025-01-01', DATE '2025-03-31', 120000.10::DECIMAL(18,2), 6000.05::DECIMAL(18,2), 5000.00::DECIMAL(18,2),
        0.05, 0.0417, 2, 30.0, 0.9, 10.00::DECIMAL(18,2), 1.25::DECIMAL(18,2), 0.00::DECIMAL(18,2), 0.04, 'up'),
      ('P2', DATE '2025-01-01', DATE '2025-03-31', 80000.33::DECIMAL(18,2), 8000.01::DECIMAL(18,2), 7999.99::DECIMAL(18,2),
        0.1, 0.1, 1, 45.5, 0.5, 0.00::DECIMAL(18,2), 0.00::DECIMAL(18,2), 250.50::DECIMAL(18,2), 0.1, 'flat'),
      ('P3', DATE '2024-08-31', DATE '2024-11-29', 5000.00::DECIMAL(18,2), 6250.00::DECIMAL(18,2), 6250.00::DECIMAL(18,2),
        1.25, 1.25, 3, 20.0, 1.0, 0.00::DECIMAL(18,2), 0.00::DECIMAL(18,2), 0.00::DECIMAL(18,2), 0.4, 'up'))
      AS t(payer_id, window_start, window_end, paid, takeback, net_takeback, recoupment_rate, net_recoupment_rate,
        rank, median_lag_days, linked_share, refunds, interest, outstanding_fb, previous_recoupment_rate, trend)`,
    takeback_trend: `SELECT * FROM (VALUES
      ('week', 'P1', DATE '2025-03-03', 1000.00::DECIMAL(18,2), 100.00::DECIMAL(18,2), 90.00::DECIMAL(18,2), false),
      ('week', 'P1', DATE '2025-03-10', 1000.00::DECIMAL(18,2), 200.00::DECIMAL(18,2), 150.00::DECIMAL(18,2), true),
      ('month', 'P1', DATE '2025-03-01', 2000.00::DECIMAL(18,2), 300.00::DECIMAL(18,2), 240.00::DECIMAL(18,2), true),
      ('week', 'P1', DATE '2025-04-07', 1.00::DECIMAL(18,2), 1.00::DECIMAL(18,2), 1.00::DECIMAL(18,2), true))
      AS t(grain, payer_id, period_start, paid, takeback, net_takeback, partial_period)`,
    recoupment_rates: `SELECT * FROM (VALUES
      ('cause', DATE '2025-03-01', NULL, 'coding', NULL, NULL, 500.00::DECIMAL(18,2), 40.00::DECIMAL(18,2), 30.00::DECIMAL(18,2), 2),
      ('cause', DATE '2025-02-01', NULL, 'coding', NULL, NULL, 500.00::DECIMAL(18,2), 2.50::DECIMAL(18,2), 2.50::DECIMAL(18,2), 1),
      ('provider', DATE '2025-03-01', NULL, NULL, '1234567893', 'rendering', 500.00::DECIMAL(18,2), 42.50::DECIMAL(18,2), 32.50::DECIMAL(18,2), 3),
      ('provider', DATE '2025-03-01', NULL, NULL, '1999999984', 'billing', 900.00::DECIMAL(18,2), 12.00::DECIMAL(18,2), 12.00::DECIMAL(18,2), 1),
      ('payer_cause', DATE '2025-03-01', 'P1', 'coding', NULL, NULL, 500.00::DECIMAL(18,2), 40.00::DECIMAL(18,2), 30.00::DECIMAL(18,2), 2))
      AS t(grain, period, payer_id, cause, provider_npi, provider_role, paid, takeback, net_takeback, takeback_count)`,
    liquidity_forecast: `SELECT 'P1' AS payer_id, DATE '2025-03-17' + CAST(7 * i AS INTEGER) AS week_start, DATE '2025-03-12' AS as_of,
      1000.00::DECIMAL(18,2) AS expected_payments, 50.00::DECIMAL(18,2) AS takeback_p10,
      (100 + 20 * i)::DECIMAL(18,2) AS takeback_p50, 400.00::DECIMAL(18,2) AS takeback_p90,
      0.00::DECIMAL(18,2) AS scheduled_offsets, (900 - 20 * i)::DECIMAL(18,2) AS net_cash_p50,
      (100 + 20 * i) / 1000 AS takeback_share, (100 + 20 * i) > 200 AS flag FROM range(0, 13) AS r(i)`,
    takeback_alerts: `SELECT 'payer' AS grain, 'P2' AS payer_id, NULL::VARCHAR AS cause, DATE '2025-03-10' AS week_start,
      9000.00::DECIMAL(18,2) AS takeback, 1000.00::DECIMAL(18,2) AS baseline, 8.5 AS score, 8000.00::DECIMAL(18,2) AS excess,
      ['tb7', 'C2'] AS top_claims, ['1234567893'] AS top_providers, ['audit'] AS top_causes`,
    takeback_links: `SELECT 'tb' || i AS takeback_id, CASE WHEN i % 2 = 0 THEN 'reversal' ELSE 'plb' END AS kind,
      CASE WHEN i < 5 THEN 'P1' ELSE 'P2' END AS payer_id, DATE '2025-03-05' AS payment_date,
      (i * 10 + 0.01)::DECIMAL(18,2) AS amount, 0.00::DECIMAL(18,2) AS correction_repaid, 'coding' AS cause,
      CASE WHEN i <> 7 THEN 'CLM' || i END AS claim_id, CASE WHEN i <> 7 THEN 'ICN' || i END AS payer_claim_control,
      CASE i WHEN 7 THEN 'ICN77 ACCT9' WHEN 5 THEN 'ICN5 CLM5' END AS reference_id, CASE WHEN i % 2 = 1 THEN 'WO' END AS reason_code, 30 AS lag_days, DATE '2025-02-03' AS original_payment_date,
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
  for (const name of marts) await writeMart(db, lake, name, tables[name] as string);
}

/**
 * Writes a hand-made mart as `recoup build` would: every column of its contract
 * (functions/core/lake/martSchema.ts), in its order and of its type; a column the rows leave out
 * is NULL. A column the contract does not have is a mistake of the fixture.
 */
async function writeMart(db: DuckDBConnection, lake: string, mart: string, sql: string): Promise<void> {
  const contract = MART_COLUMNS[mart];
  if (contract === undefined) throw new Error(`${mart} is not a mart of the contract`);
  const given = new Set(
    (await db.runAndReadAll(`DESCRIBE (${sql})`)).getRowObjectsJson().map((r) => String(r.column_name)),
  );
  const extra = [...given].filter((c) => !contract.some((column) => column.name === c));
  if (extra.length > 0) throw new Error(`hand-made ${mart}: ${extra.join(', ')} not in its contract`);
  const select = contract.map(
    (c) =>
      `CAST(${given.has(c.name) ? sqlIdent(c.name) : 'NULL'} AS ${duckDbTypeOfGlue(c.type)}) AS ${sqlIdent(c.name)}`,
  );
  const dir = join(lake, 'marts', mart);
  mkdirSync(dir, { recursive: true });
  await db.run(
    `COPY (SELECT ${select.join(', ')} FROM (${sql})) TO ${sqlString(join(dir, 'data.parquet'))} (FORMAT parquet)`,
  );
}

export const ALL_MARTS = [
  'payer_scorecard',
  'takeback_trend',
  'recoupment_rates',
  'liquidity_forecast',
  'takeback_alerts',
  'takeback_links',
  'takeback_appeals',
  'recoupment_cohorts',
];

/**
 * Closes 2025-02 in a hand-made lake (the manifest `recoup close` writes) and adds the
 * period_restatements mart: a late takeback of P1 raised February's takeback from $500.00 to $620.00.
 */
export async function closeFebruary(db: DuckDBConnection, lake: string): Promise<void> {
  const manifest: CloseManifest = {
    format: 'recoup-close/1',
    period: '2025-02',
    closed_at: '2025-03-01T09:00:00.000Z',
    marts: {},
    remittances: 2,
    latest_ingested_at: '2025-03-01T08:00:00.000Z',
  };
  mkdirSync(join(lake, 'closes', '2025-02'), { recursive: true });
  writeFileSync(join(lake, 'closes', '2025-02', 'close.json'), JSON.stringify(manifest));
  await writeMart(
    db,
    lake,
    'period_restatements',
    `SELECT DATE '2025-02-01' AS period, 'P1' AS payer_id, 'takeback' AS metric, 'coding' AS cause,
      'late_takeback' AS reason, 'late-835.txt' AS source_key, 120.00::DECIMAL(18,2) AS delta, 1 AS items,
      500.00::DECIMAL(18,2) AS reported_value, 620.00::DECIMAL(18,2) AS current_value, true AS restated`,
  );
}
