import type { Rng } from './prng.ts';

/** Luhn sum of a digit string whose last digit is the check digit. */
function luhnSum(digits: string): number {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum;
}

/** Check digit of an NPI's first nine digits: Luhn over the card-issuer prefix 80840 (CMS). */
export function npiCheckDigit(first9: string): number {
  return (10 - (luhnSum(`80840${first9}0`) % 10)) % 10;
}

/** True when the text is ten digits with a valid NPI check digit. */
export function isValidNpi(npi: string): boolean {
  return /^\d{10}$/.test(npi) && luhnSum(`80840${npi}`) % 10 === 0;
}

/** A random valid NPI starting with 1 (individual) or 2 (organization), not in `taken`. */
export function randomNpi(rng: Rng, kind: 'individual' | 'organization', taken: Set<string>): string {
  for (;;) {
    const first9 = `${kind === 'individual' ? '1' : '2'}${rng.digits(8)}`;
    const npi = `${first9}${npiCheckDigit(first9)}`;
    if (!taken.has(npi)) {
      taken.add(npi);
      return npi;
    }
  }
}
