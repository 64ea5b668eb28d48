import { describe, expect, it } from 'vitest';
import { parse835 } from '../functions/core/era/parse835.ts';
import { plbReferenceTokens } from '../functions/core/era/plbReference.ts';
import { readFixture, sourceFor } from './helpers/fixtures.ts';

describe('PLB03-2 references: the tokens that name a claim, member ids removed (DOMAIN.md §6)', () => {
  it('keeps an ICN or claim number alone', () => {
    expect(plbReferenceTokens('02199912345678')).toBe('02199912345678');
    expect(plbReferenceTokens('ICNFULL001')).toBe('ICNFULL001');
    // An alphanumeric ICN is the claim's name whatever its shape (but an MBI's).
    expect(plbReferenceTokens('ABC123456')).toBe('ABC123456');
    expect(plbReferenceTokens('  111 ')).toBe('111');
  });

  it('drops the HIC, MBI or member number after an ICN, whatever delimiter comes between', () => {
    expect(plbReferenceTokens('02199912345678 123456789A')).toBe('02199912345678');
    expect(plbReferenceTokens('02199912345678  1EG4TE5MK73')).toBe('02199912345678');
    expect(plbReferenceTokens('02199912345678/1EG4TE5MK73')).toBe('02199912345678');
    expect(plbReferenceTokens('02199912345678:123456789A')).toBe('02199912345678');
    expect(plbReferenceTokens('02199912345678|W987654321')).toBe('02199912345678');
    expect(plbReferenceTokens('ICN123-123456789A')).toBe('ICN123');
    expect(plbReferenceTokens('ICN123-XJH123456789')).toBe('ICN123');
    // A dash inside an account or claim number stays.
    expect(plbReferenceTokens('PCN-55')).toBe('PCN-55');
    expect(plbReferenceTokens('2023-123456')).toBe('2023-123456');
    // A member number of no known shape is dropped too: it follows the claim's name.
    expect(plbReferenceTokens('ICN77 MEMBER0042')).toBe('ICN77');
  });

  it('reads PTACCT CCYYMMDD CLAIM#: keeps the account and the claim number, drops the date', () => {
    expect(plbReferenceTokens('PCN-55 20240115 CLM998877')).toBe('PCN-55 CLM998877');
    expect(plbReferenceTokens('PCN-55 20240115 CLM998877 123456789A')).toBe('PCN-55 CLM998877');
  });

  it('keeps no MBI even alone, so no member id enters the lake', () => {
    expect(plbReferenceTokens('1EG4TE5MK73')).toBeNull();
    expect(plbReferenceTokens('1eg4te5mk73 ')).toBeNull();
    expect(plbReferenceTokens('')).toBeNull();
  });
});

describe('PLB references in the reader (cases/plb-composite-references.835)', () => {
  const text = readFixture('cases', 'plb-composite-references.835');
  const [remit] = parse835(text, sourceFor('cases/plb-composite-references.835', text));
  const plb = remit?.adjustments.filter((a) => a.level === 'provider') ?? [];

  it('stores each reference reduced to its claim tokens', () => {
    expect(plb.map((a) => [a.reason_code, a.reference_id])).toEqual([
      ['WO', 'ICNCOMP0001'],
      ['WO', 'ICNCOMP0002'],
      ['72', 'ICNCOMP0001'],
      ['WO', 'PCN-C3 ICNOLD0003'],
    ]);
  });

  it('writes no member id or date of the file into any row', () => {
    const rows = JSON.stringify(remit);
    for (const secret of ['123456789A', '1EG4TE5MK73', 'W987654321', '20240115'])
      expect(rows).not.toContain(secret);
  });

  it('links a composite reference to the claim of this remittance its ICN names, and takes its provider', () => {
    const claim = remit?.claims.find((c) => c.payer_claim_control === 'ICNCOMP0001');
    const first = plb[0];
    expect(first?.claim_seq).toBe(claim?.claim_seq);
    expect(first?.provider_npi).toBe(claim?.provider_npi);
    // The PTACCT form links by its patient account token (CLP01 of the third claim).
    const third = remit?.claims.find((c) => c.claim_id === 'PCN-C3');
    expect(plb[3]?.claim_seq).toBe(third?.claim_seq);
  });
});

it('the composite-reference fixture balances (BPR02 = Σ CLP04 − Σ PLB)', () => {
  const text = readFixture('cases', 'plb-composite-references.835');
  const [remit] = parse835(text, sourceFor('cases/plb-composite-references.835', text));
  expect(remit?.remittance.balanced).toBe(true);
});
