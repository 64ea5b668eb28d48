/**
 * The drill-down's CSV export, built in the page (no network, no library). It touches no DOM: the
 * unit test (test/report-csv.test.ts) runs this module in Node.
 */
import type { DrillRow } from './types.ts';

type CellType = 'text' | 'money' | 'integer';
type CellValue = string | number | null | undefined;
interface Context {
  payerName: (id: string) => string | null;
}

/**
 * The drill-down's columns as the CSV carries them. No patient name, member id or patient control
 * number (CLP01): the claim is named by its ICN, and a PLB offset by `reference_export`, its
 * reference without the tokens that are a claim's CLP01 in the lake (loadReportData.ts). A row's
 * `claim_id` (CLP01), which the page shows, is never read here.
 */
const DRILL_COLUMNS: [string, CellType, (r: DrillRow, ctx: Context) => CellValue][] = [
  ['payer_id', 'text', (r) => r.payer_id],
  ['payer_name', 'text', (r, ctx) => ctx.payerName(r.payer_id)],
  ['payment_date', 'text', (r) => r.payment_date],
  ['kind', 'text', (r) => r.kind],
  ['plb_code', 'text', (r) => (r.kind === 'plb' ? r.reason_code : null)],
  ['amount', 'money', (r) => r.amount],
  ['payer_claim_control', 'text', (r) => r.payer_claim_control],
  ['plb_reference', 'text', (r) => (r.kind === 'plb' ? r.reference_export : null)],
  ['original_payment_date', 'text', (r) => r.original_payment_date],
  ['original_paid', 'money', (r) => r.original_paid],
  ['correction_payment_date', 'text', (r) => r.correction_payment_date],
  ['correction_payer_claim_control', 'text', (r) => r.correction_payer_claim_control],
  ['correction_repaid', 'money', (r) => r.correction_repaid],
  ['lag_days', 'integer', (r) => r.lag_days],
  ['cause', 'text', (r) => r.cause],
  ['cause_reason_code', 'text', (r) => r.cause_reason_code],
  ['provider_npi', 'text', (r) => r.provider_npi],
];

/** The CSV's column names, in order. */
export const columns: string[] = DRILL_COLUMNS.map(([name]) => name);

/** An exact decimal string (or integer) as a plain decimal with two places: "-1234.50"; "" when none. */
export function plainMoney(value: CellValue): string {
  if (value === null || value === undefined || value === '') return '';
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(String(value).trim());
  if (!m || (m[2] === '' && (m[3] || '') === '')) return '';
  const frac = `${m[3] || ''}000`;
  let c = BigInt(m[2] || '0') * 100n + BigInt(frac.slice(0, 2));
  // Digits past the cents round half away from zero (marts hold two decimals; this is a guard).
  if (Number(frac[2]) >= 5) c += 1n;
  const sign = m[1] === '-' && c !== 0n ? '-' : '';
  return `${sign}${c / 100n}.${(c % 100n).toString().padStart(2, '0')}`;
}

/**
 * Text that a spreadsheet would read as a formula (=, +, -, @, tab, CR first) gets a leading
 * apostrophe, so a hostile payer name or reference stays text when the file is opened.
 */
export function safeText(value: CellValue): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** One RFC 4180 field: quoted when it holds a quote, comma, CR or LF; quotes doubled. */
export function field(value: CellValue): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** RFC 4180 text: a header record, then one record per row, each ended by CRLF. */
export function csvText(header: string[], records: CellValue[][]): string {
  return [header, ...records].map((record) => `${record.map(field).join(',')}\r\n`).join('');
}

function cell(type: CellType, value: CellValue): string {
  if (type === 'money') return plainMoney(value);
  if (type === 'integer')
    return value === null || value === undefined || value === '' ? '' : String(Math.trunc(Number(value)));
  return safeText(value);
}

/** The drill-down rows (as embedded in the report) as CSV text; payerName(id) names a payer. */
export function drillCsv(rows: DrillRow[], payerName?: (id: string) => string | null): string {
  const ctx: Context = { payerName: payerName || (() => null) };
  return csvText(
    DRILL_COLUMNS.map(([name]) => name),
    rows.map((r) => DRILL_COLUMNS.map(([, type, get]) => cell(type, get(r, ctx)))),
  );
}
