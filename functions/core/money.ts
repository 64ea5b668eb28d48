import type { Cents } from './types.ts';

/**
 * Parses an X12 decimal amount (`1222`, `-6173.5`, `.5`, `12.500`) to integer cents, exactly.
 * Returns `null` when the text is not an amount or has non-zero digits past the cents.
 */
export function parseCents(text: string): Cents | null {
  return parseCentsRange(text, 0, text.length);
}

/** `parseCents` over `text.slice(start, end)`. */
export function parseCentsRange(text: string, start: number, end: number): Cents | null {
  // Longer than any amount read (20 characters): refused without copying it.
  if (end - start > 21) return null;
  const n = asciiBytes(text, start, end);
  // No byte is −1: the amount must fill the whole range.
  const cents = parseCentsUntil(SCRATCH, 0, n, -1);
  return Number.isNaN(cents) ? null : cents;
}

/** Room for the text that `parseCentsRange` and `parseX12Days` read as bytes. */
const SCRATCH = new Uint8Array(32);

/**
 * Copies `text.slice(start, end)` (at most 32 characters) into `SCRATCH` as bytes, a character
 * past ASCII as 255 (never part of an amount or a date); returns how many.
 */
function asciiBytes(text: string, start: number, end: number): number {
  const n = Math.min(end - start, SCRATCH.length);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(start + i);
    SCRATCH[i] = c < 128 ? c : 255;
  }
  return n;
}

/** Where the last `parseCentsUntil` stopped: the separator after the amount, or the end. */
export const centsStop = { at: 0 };

/**
 * `parseCentsRange` over the element of `bytes` that starts at `start` and runs to the next
 * `separator` (a character code) or to `end`, found while reading it: the element's characters are read
 * once. Returns NaN when the element is not an amount (blank included); otherwise sets
 * `centsStop.at` to the element's end.
 */
export function parseCentsUntil(bytes: Uint8Array, start: number, end: number, separator: number): Cents {
  // The usual amount, read here: an optional minus, up to 11 digits, and no point or a point and
  // one or two digits. This part is kept small, so that it is inlined where amounts are read;
  // anything else is read by `parseCentsAny`, which gives the same result for these.
  let i = start;
  const negative = i < end && bytes[i] === 45 /* - */ && separator !== 45;
  if (negative) i++;
  const wholeStart = i;
  let cents = 0;
  while (i < end) {
    const digit = (bytes[i] as number) - 48;
    if (digit >>> 0 > 9) break;
    cents = cents * 10 + digit;
    i++;
  }
  const digits = i - wholeStart;
  cents *= 100;
  // Two decimals, or one (a trailing zero suppressed, as X12 allows); a point that is the
  // separator ends the amount instead.
  if (i + 1 < end && bytes[i] === 46 /* . */ && separator !== 46) {
    const tens = (bytes[i + 1] as number) - 48;
    if (tens >>> 0 <= 9) {
      cents += tens * 10;
      i += 2;
      const ones = i < end ? (bytes[i] as number) - 48 : -1;
      if (ones >>> 0 <= 9) {
        cents += ones;
        i++;
      }
    }
  }
  if (digits === 0 || digits > 11 || (i < end && bytes[i] !== separator)) {
    return parseCentsAny(bytes, start, end, separator);
  }
  centsStop.at = i;
  return negative ? -cents : cents;
}

/** `parseCentsUntil` for any amount: signs, any number of decimals, up to 20 characters. */
function parseCentsAny(bytes: Uint8Array, start: number, end: number, separator: number): Cents {
  let i = start;
  let negative = false;
  // A separator is never a sign or a decimal point here (X12 allows `+`, `-` or `.` as one).
  if (i < end && (bytes[i] as number) !== separator) {
    const c0 = bytes[i] as number;
    if (c0 === 45 /* - */) {
      negative = true;
      i++;
    } else if (c0 === 43 /* + */) {
      i++;
    }
  }
  let whole = 0;
  let digits = 0;
  while (i < end) {
    const c = bytes[i] as number;
    if (c < 48 || c > 57) break;
    whole = whole * 10 + (c - 48);
    digits++;
    i++;
  }
  let fraction = 0;
  if (i < end && (bytes[i] as number) === 46 /* . */ && separator !== 46) {
    i++;
    let place = 0;
    while (i < end) {
      const c = bytes[i] as number;
      if (c < 48 || c > 57) break;
      if (place < 2) fraction = fraction * 10 + (c - 48);
      else if (c !== 48) return Number.NaN;
      place++;
      digits++;
      i++;
    }
    if (place === 1) fraction *= 10;
  }
  if (i < end && (bytes[i] as number) !== separator) return Number.NaN;
  if (digits === 0 || i - start > 20) return Number.NaN;
  const cents = whole * 100 + fraction;
  if (!Number.isSafeInteger(cents)) return Number.NaN;
  centsStop.at = i;
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
export function parseX12DateRange(text: string, start: number, end: number): string | null {
  const days = parseX12Days(text.slice(start, end));
  return !Number.isNaN(days) ? isoDateOfDays(days) : null;
}

/** `CCYYMMDD` as days since 1970-01-01, or NaN when it is not a real calendar date. */
export function parseX12Days(text: string): number {
  if (text.length !== 8) return Number.NaN;
  return parseX12DaysRange(SCRATCH, 0, asciiBytes(text, 0, 8));
}

/**
 * `CCYYMMDD` in bytes [start, end) as days since 1970-01-01 (the Parquet DATE value), or
 * NaN when it is not a real calendar date. The reader keeps dates as day numbers: no string per date.
 */
export function parseX12DaysRange(bytes: Uint8Array, start: number, end: number): number {
  if (end - start !== 8) return Number.NaN;
  return parseX12DaysWords(wordAt(bytes, start), wordAt(bytes, start + 4));
}

/** Bytes [at, at + 4) as a little-endian 32-bit word. */
function wordAt(bytes: Uint8Array, at: number): number {
  return (
    (bytes[at] as number) |
    ((bytes[at + 1] as number) << 8) |
    ((bytes[at + 2] as number) << 16) |
    ((bytes[at + 3] as number) << 24)
  );
}

/**
 * `parseX12DaysRange` of eight bytes given as two little-endian 32-bit words (`CCYY`, `MMDD`; the
 * first character in the low byte), as a DataView reads them: two reads instead of eight.
 */
export function parseX12DaysWords(low: number, high: number): number {
  // Every byte a digit: neither the byte, nor it minus '0', nor it plus (0x80 - ':') has its
  // high bit set (a borrow or carry between bytes can only come from a byte that fails itself).
  const check =
    low | (low - 0x30303030) | (low + 0x46464646) | high | (high - 0x30303030) | (high + 0x46464646);
  if ((check & 0x80808080) !== 0) return Number.NaN;
  // The characters' codes, less 48 ('0') for each digit of each number.
  const year =
    (low & 0xff) * 1000 + ((low >> 8) & 0xff) * 100 + ((low >> 16) & 0xff) * 10 + (low >>> 24) - 48 * 1111;
  const month = (high & 0xff) * 10 + ((high >> 8) & 0xff) - 48 * 11;
  const day = ((high >> 16) & 0xff) * 10 + (high >>> 24) - 48 * 11;
  if (year < 1900 || month < 1 || month > 12 || day < 1) return Number.NaN;
  const slot = (year - 1900) * 12 + month - 1;
  if (slot < MONTH_STARTS.length) {
    // Remittance dates fall in a few hundred months: their first days are looked up, not computed.
    if (day > (MONTH_LENGTHS[slot] as number)) return Number.NaN;
    return (MONTH_STARTS[slot] as number) + day - 1;
  }
  if (day > daysInMonth(year, month)) return Number.NaN;
  return daysFromCivil(year, month, day);
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Days since 1970-01-01 of an ISO `YYYY-MM-DD` date (NaN when it is not one). */
export function daysOfIsoDate(iso: string): number {
  if (iso.length !== 10 || iso.charCodeAt(4) !== 45 || iso.charCodeAt(7) !== 45) return Number.NaN;
  return parseX12Days(`${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}`);
}

/** ISO `YYYY-MM-DD` of a day number (the inverse of `daysFromCivil`, H. Hinnant's civil_from_days). */
export function isoDateOfDays(days: number): string {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return `${String(year).padStart(4, '0')}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Day number of the first day, and length, of every month from 1900-01 to 2199-12. */
const MONTH_STARTS = new Int32Array(300 * 12);
const MONTH_LENGTHS = new Uint8Array(300 * 12);
for (let slot = 0; slot < MONTH_STARTS.length; slot++) {
  const year = 1900 + Math.floor(slot / 12);
  const month = (slot % 12) + 1;
  MONTH_STARTS[slot] = daysFromCivil(year, month, 1);
  MONTH_LENGTHS[slot] = daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1] as number;
}
