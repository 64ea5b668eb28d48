/**
 * PLB03-2 references as payers send them (DOMAIN.md §6), reduced to the tokens that name a claim.
 *
 * The forms seen in real files:
 * - an ICN (payer claim control number) or claim number alone: `02199912345678`;
 * - an ICN followed by the patient's HIC or MBI, or a member number, after a space or another
 *   delimiter: `02199912345678 123456789A`, `02199912345678/1EG4TE5MK73`, `ICN123-123456789A`;
 * - `PTACCT CCYYMMDD CLAIM#`: the patient account number (CLP01), a date and a claim number.
 *
 * Member identifiers never enter the lake: HIC and MBI shapes are dropped wherever they are, a
 * second token after the claim's is a member number unless a date says the `PTACCT CCYYMMDD
 * CLAIM#` form is used, and dates are dropped (a date of service is PHI and names no claim).
 * What remains (the ICN, claim number or patient account number) is kept, separated by single
 * spaces; the models link by each token (sql/intermediate/int_plb_links.sql).
 */
export function plbReferenceTokens(reference: string): string | null {
  const raw = reference.split(TOKEN_DELIMITERS).filter((t) => t.length > 0);
  if (raw.length === 0) return null;
  const tokens = raw.map(withoutMemberSuffix);
  const dateAt = tokens.findIndex(isDate);
  const kept: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (isDate(token) || MBI.test(token.toUpperCase())) continue;
    if (kept.length === 0) {
      // The first token names the claim (an ICN may look like anything but an MBI).
      kept.push(token);
      continue;
    }
    // Another token names a member, unless a date precedes it (`PTACCT CCYYMMDD CLAIM#`: the
    // claim number follows the date) and it has no member id's shape.
    if (dateAt !== -1 && i > dateAt && !isMemberId(token)) kept.push(token);
  }
  return kept.length > 0 ? kept.join(' ') : null;
}

/** Spaces and the delimiters payers put between an ICN and a member id (not `-`: ICNs hold it). */
const TOKEN_DELIMITERS = /[\s/|;,:>^*]+/;

/** Medicare Beneficiary Identifier: 11 characters, C A AN N A AN N A A N N (no S L O I B Z). */
const MBI =
  /^[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9][AC-HJKMNP-RT-Y]{2}[0-9]{2}$/;
/** Health Insurance Claim number: 9 digits and a beneficiary code (a letter, then a letter or digit). */
const HICN = /^[0-9]{9}[A-Z][A-Z0-9]?$/;

function isMemberId(token: string): boolean {
  const t = token.toUpperCase();
  return MBI.test(t) || HICN.test(t);
}

/** `CCYYMMDD` of a calendar-plausible date (19xx or 20xx). */
function isDate(token: string): boolean {
  if (!/^(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])$/.test(token)) return false;
  return true;
}

/** A commercial member number after a `-`: a letter prefix and 6 to 12 digits (`XJH123456789`). */
const MEMBER_NUMBER = /^[A-Z]{1,4}[0-9]{6,12}$/;

/**
 * `ICN-HIC`, `ICN-XJH123456789`: the part after the last `-` dropped when it has a member id's
 * shape. A `-` is otherwise part of the name (`PCN-55`, `2023-123456`).
 */
function withoutMemberSuffix(token: string): string {
  const dash = token.lastIndexOf('-');
  if (dash <= 0 || dash === token.length - 1) return token;
  const suffix = token.slice(dash + 1).toUpperCase();
  return isMemberId(suffix) || MEMBER_NUMBER.test(suffix) ? token.slice(0, dash) : token;
}
