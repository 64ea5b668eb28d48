import type { Cents } from './types.ts';

/**
 * Parses an X12 decimal amount (`1222`, `-6173.5`, `.5`, `12.500`) to integer cents, exactly.
 * Returns `null` when the text is not an amount or has non-zero digits past the cents.
 */
export function parseCents(text: string): Cents | null {
  return parseCentsRange(text, 0, text.length);
}

/** `parseCents` over `text.slice(start, end)`, without slicing. */
export function parseCentsRange(text: string, start: number, end: number): Cents | null {
  const n = end;
  if (end - start === 0 || end - start > 20) return null;
  let i = start;
  let negative = false;
  const c0 = text.charCodeAt(start);
  if (c0 === 45 /* - */) {
    negative = true;
    i++;
  } else if (c0 === 43 /* + */) {
    i++;
  }
  let whole = 0;
  let digits = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    whole = whole * 10 + (c - 48);
    digits++;
    i++;
  }
  let fraction = 0;
  if (i < n) {
    if (text.charCodeAt(i) !== 46 /* . */) return null;
    i++;
    let place = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) return null;
      if (place < 2) fraction = fraction * 10 + (c - 48);
      else if (c !== 48) return null;
      place++;
      digits++;
      i++;
    }
    if (place === 1) fraction *= 10;
  }
  if (digits === 0) return null;
  const cents = whole * 100 + fraction;
  if (!Number.isSafeInteger(cents)) return null;
  return negative ? -cents : cents;
}

/** Formats integer cents as a decimal string with two places (`-12.05`). */
export function formatCents(cents: Cents): string {
  const negative = cents < 0;
  const abs = negative ? -cents : cents;
  const whole = Math.floor(abs / 100);
  const fraction = abs - whole * 100;
  return `${negative ? '-' : ''}${whole}.${fraction < 10 ? '0' : ''}${fraction}`;
}

/** Parses `CCYYMMDD` to `YYYY-MM-DD`; `null` when it is not a real calendar date. */
export function parseX12Date(text: string): string | null {
  return parseX12DateRange(text, 0, text.length);
}

/** `parseX12Date` over `text.slice(start, end)`. */
export function parseX12DateRange(source: string, start: number, end: number): string | null {
  if (end - start !== 8) return null;
  const text = start === 0 && end === source.length ? source : source.slice(start, end);
  for (let i = 0; i < 8; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  const year =
    (text.charCodeAt(0) - 48) * 1000 +
    (text.charCodeAt(1) - 48) * 100 +
    (text.charCodeAt(2) - 48) * 10 +
    (text.charCodeAt(3) - 48);
  const month = (text.charCodeAt(4) - 48) * 10 + (text.charCodeAt(5) - 48);
  const day = (text.charCodeAt(6) - 48) * 10 + (text.charCodeAt(7) - 48);
  if (year < 1900 || month < 1 || month > 12 || day < 1) return null;
  if (day > daysInMonth(year, month)) return null;
  return `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}`;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1] as number;
}
