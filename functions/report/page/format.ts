/**
 * How the page writes figures. Money arrives as exact decimal strings: it is formatted from the
 * string, and turned into a number only to place a point on a chart.
 */

/** A value as the marts give it: an exact decimal string, a number, or nothing. */
export type Value = string | number | null | undefined;

/** Exact decimal string → cents as BigInt (null when not a number). */
export function cents(value: Value): bigint | null {
  if (value === null || value === undefined || value === '') return null;
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(String(value).trim());
  if (!m) return null;
  const frac = `${m[3] || ''}00`;
  const whole = BigInt(m[2] || '0') * 100n + BigInt(frac.slice(0, 2));
  // Digits past the cents round half away from zero (marts store two decimals; this is a guard).
  const extra = frac.length > 4 && Number(frac[2]) >= 5 ? 1n : 0n;
  const c = whole + extra;
  return m[1] === '-' ? -c : c;
}

/** Cents (BigInt) → the exact decimal string money() reads. */
export function decimalOf(c: bigint): string {
  const abs = c < 0n ? -c : c;
  return `${c < 0n ? '-' : ''}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}

function groups(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** "$1,234" (whole dollars, rounded half away from zero) or "$1,234.56" with showCents. */
export function money(value: Value, showCents?: boolean): string {
  const c = cents(value);
  if (c === null) return '—';
  const neg = c < 0n;
  const abs = neg ? -c : c;
  let text: string;
  if (showCents) {
    const d = abs / 100n;
    const r = abs % 100n;
    text = `$${groups(d.toString())}.${r.toString().padStart(2, '0')}`;
  } else {
    const d = (abs + 50n) / 100n;
    text = `$${groups(d.toString())}`;
  }
  return neg && text !== '$0' ? `−${text}` : text;
}

/** Compact money for headline figures: $1.24M, $385K. */
export function moneyShort(value: Value): string {
  const c = cents(value);
  if (c === null) return '—';
  const n = Number(c) / 100;
  const abs = Math.abs(n);
  const sign = n < 0 ? '−' : '';
  if (abs >= 1e9) return `${sign}$${(abs / 1e9).toFixed(2)}B`;
  if (abs >= 1e6) return `${sign}$${(abs / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${sign}$${(abs / 1e3).toFixed(0)}K`;
  return money(value, false);
}

/** A money value as a number, for a chart (0 when none). */
export function num(value: Value): number {
  const c = cents(value);
  return c === null ? 0 : Number(c) / 100;
}

/** A share as a percentage: "12.3%". */
export function pct(value: Value, digits?: number): string {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return '—';
  return `${(Number(value) * 100).toFixed(digits === undefined ? 1 : digits)}%`;
}

export function days(value: Value): string {
  if (value === null || value === undefined) return '—';
  return `${Math.round(Number(value))}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Mar 5, 2025". */
export function dateLong(iso: string | null | undefined): string {
  if (!iso) return '—';
  const [y, m, d] = String(iso).split('-');
  return `${MONTHS[Number(m) - 1]} ${Number(d)}, ${y}`;
}

/** "Mar 5". */
export function dateShort(iso: string | null | undefined): string {
  if (!iso) return '—';
  const [, m, d] = String(iso).split('-');
  return `${MONTHS[Number(m) - 1]} ${Number(d)}`;
}

/** "Mar 2025". */
export function monthLabel(iso: string): string {
  const [y, m] = String(iso).split('-');
  return `${MONTHS[Number(m) - 1]} ${y}`;
}

/** For tooltips, which ECharts renders as HTML. */
export function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** "late_payment" → "Late payment"; "—" for none. */
export function titleCase(word: string | null | undefined): string {
  if (!word) return '—';
  const s = String(word).replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}
