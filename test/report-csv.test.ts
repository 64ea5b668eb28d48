import { describe, expect, it } from 'vitest';
import * as csv from '../functions/report/page/csv.ts';
import type { DrillRow } from '../functions/report/page/types.ts';

/**
 * The drill-down's CSV export (functions/report/page/csv.ts): the module the report's page script
 * bundles (npm run build:report), run here in Node.
 */

/** A drill-down row as loadReportData embeds it. */
function row(overrides: Partial<DrillRow>): DrillRow {
  return {
    payer_id: 'P1',
    kind: 'reversal',
    payment_date: '2025-03-05',
    amount: '10.00',
    claim_id: null,
    payer_claim_control: null,
    original_payment_date: null,
    correction_payment_date: null,
    correction_repaid: null,
    lag_days: null,
    cause: null,
    cause_reason_code: null,
    reason_code: null,
    reference_id: null,
    reference_export: null,
    provider_npi: null,
    original_paid: null,
    correction_payer_claim_control: null,
    ...overrides,
  };
}

describe('CSV encoding (RFC 4180)', () => {
  it('quotes a field holding a quote, comma, CR or LF, doubling the quotes, and ends records with CRLF', () => {
    expect(csv.field('plain')).toBe('plain');
    expect(csv.field('a,b')).toBe('"a,b"');
    expect(csv.field('say "hi"')).toBe('"say ""hi"""');
    expect(csv.field('two\nlines')).toBe('"two\nlines"');
    expect(csv.field('cr\rhere')).toBe('"cr\rhere"');
    expect(csv.field(' spaced ')).toBe(' spaced ');
    expect(csv.field(null)).toBe('');
    expect(
      csv.csvText(
        ['a', 'b'],
        [
          ['1', 'x,y'],
          ['', '"q"'],
        ],
      ),
    ).toBe('a,b\r\n1,"x,y"\r\n,"""q"""\r\n');
  });

  it('writes money as a plain decimal with two places, exact from the string', () => {
    expect(csv.plainMoney('70.01')).toBe('70.01');
    expect(csv.plainMoney('1234567.5')).toBe('1234567.50');
    expect(csv.plainMoney('5')).toBe('5.00');
    expect(csv.plainMoney('-0.10')).toBe('-0.10');
    expect(csv.plainMoney('-12.30')).toBe('-12.30');
    expect(csv.plainMoney('.5')).toBe('0.50');
    // Past two decimals: half away from zero (the marts hold two; this is a guard).
    expect(csv.plainMoney('1.005')).toBe('1.01');
    expect(csv.plainMoney('-1.005')).toBe('-1.01');
    expect(csv.plainMoney('-0.004')).toBe('0.00');
    // Larger than a double holds exactly: still exact.
    expect(csv.plainMoney('90071992547409931.99')).toBe('90071992547409931.99');
    expect(csv.plainMoney(null)).toBe('');
    expect(csv.plainMoney('n/a')).toBe('');
  });

  it('keeps text a spreadsheet would run as a formula as text', () => {
    expect(csv.safeText('=HYPERLINK("x")')).toBe('\'=HYPERLINK("x")');
    expect(csv.safeText('+1')).toBe("'+1");
    expect(csv.safeText('-1')).toBe("'-1");
    expect(csv.safeText('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csv.safeText('ICN77')).toBe('ICN77');
  });
});

describe('the drill-down as CSV', () => {
  it('has a header and one record per row, money plain, and no CLP01, whatever the row holds', () => {
    // Prepare: a PLB offset linked to a claim (CLP01 "PCN-SECRET", also a token of its reference),
    // and a reversal of a payer with a comma, quotes and a newline in its name.
    const rows = [
      row({
        payer_id: 'P2',
        kind: 'plb',
        reason_code: 'WO',
        amount: '1234.5',
        claim_id: 'PCN-SECRET',
        payer_claim_control: 'ICN-77',
        reference_id: 'ICN-77 PCN-SECRET',
        reference_export: 'ICN-77',
        cause: 'audit',
        lag_days: 30,
        provider_npi: '1234567893',
      }),
      row({
        payer_id: 'P1',
        amount: '-0.10',
        claim_id: 'CLM1-SECRET',
        payer_claim_control: 'ICN1',
        original_payment_date: '2025-02-03',
        original_paid: '500',
        correction_payment_date: '2025-03-20',
        correction_payer_claim_control: 'ICN1B',
        correction_repaid: '400.00',
        cause: 'coding',
        cause_reason_code: '16',
      }),
    ];
    const names: Record<string, string> = { P1: 'Acme, "Best"\nHealth', P2: '=cmd' };

    // Act
    const text = csv.drillCsv(rows, (id) => names[id] ?? null);

    // Assess
    expect(text).toBe(
      [
        'payer_id,payer_name,payment_date,kind,plb_code,amount,payer_claim_control,plb_reference,original_payment_date,original_paid,correction_payment_date,correction_payer_claim_control,correction_repaid,lag_days,cause,cause_reason_code,provider_npi',
        "P2,'=cmd,2025-03-05,plb,WO,1234.50,ICN-77,ICN-77,,,,,,30,audit,,1234567893",
        'P1,"Acme, ""Best""\nHealth",2025-03-05,reversal,,-0.10,ICN1,,2025-02-03,500.00,2025-03-20,ICN1B,400.00,,coding,16,',
        '',
      ].join('\r\n'),
    );
    expect(text).not.toContain('SECRET');
    expect(csv.columns).not.toContain('claim_id');
  });

  it('never falls back to the whole PLB reference: without reference_export the column is empty', () => {
    const text = csv.drillCsv(
      [row({ kind: 'plb', reason_code: 'WO', reference_id: 'ACCT9-SECRET', reference_export: undefined })],
      () => null,
    );
    expect(text).not.toContain('SECRET');
    expect(text.split('\r\n')[1]).toBe('P1,,2025-03-05,plb,WO,10.00,,,,,,,,,,,');
  });
});
