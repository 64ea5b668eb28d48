import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse835 } from '../functions/core/era/parse835.ts';
import { causeOfCarc } from '../functions/core/era/taxonomy.ts';
import { ROOT, sourceFor } from './helpers/fixtures.ts';

/**
 * Real public 835 files with their expected counts, kept beside the project (not in it).
 * RECOUP_SAMPLES835 points elsewhere (e.g. to an absent folder, to see the suite pass empty).
 */
const SAMPLES = process.env.RECOUP_SAMPLES835 ?? resolve(ROOT, '..', 'shared', 'samples835');

interface Provenance {
  file: string;
  isa: number;
  gs: number;
  st: number;
  clp: number;
  cas: number;
  svc: number;
  plb: number;
  plbCodes: string[];
  plbReference: boolean;
  balanced: boolean;
}

/** Parses PROVENANCE.txt: `FILE:` entries, their count line and their balance check line. */
function parseProvenance(text: string): Provenance[] {
  const out: Provenance[] = [];
  for (const block of text.split(/^FILE:\s*/m).slice(1)) {
    const file = (block.split('\n')[0] ?? '').trim();
    const counts = /ISA=(\d+) GS=(\d+) ST\*835=(\d+) CLP=(\d+) CAS=(\d+) SVC=(\d+) PLB=(\d+)/.exec(block);
    const balance = /balance check[^\n]*:\s*(BALANCED|UNBALANCED)\b/.exec(block);
    const codes = /PLB codes:\s*(\S+)/.exec(block);
    const reference = /PLB composite ref present:\s*(True|False)/.exec(block);
    if (counts === null || balance === null || codes === null || reference === null) {
      throw new Error(`PROVENANCE.txt entry for ${file} lacks counts, codes or a balance check`);
    }
    const n = (i: number) => Number(counts[i]);
    out.push({
      file,
      isa: n(1),
      gs: n(2),
      st: n(3),
      clp: n(4),
      cas: n(5),
      svc: n(6),
      plb: n(7),
      plbCodes: codes[1] === '-' ? [] : (codes[1] as string).split(',').sort(),
      plbReference: reference[1] === 'True',
      balanced: balance[1] === 'BALANCED',
    });
  }
  return out;
}

describe('conformance with real public 835 samples (../shared/samples835)', () => {
  it('parses PROVENANCE.txt entries', () => {
    const sample = [
      'FILE: a.835',
      '  ISA=1 GS=1 ST*835=2 CLP=3 CAS=4 SVC=5 PLB=6',
      '  PLB codes: WO,CS   PLB composite ref present: True   PLB WO/FB: True',
      '  balance check (BPR02 == sum CLP04 - sum PLB): UNBALANCED(bpr_bad=1/2 st)',
      '',
      'FILE: b.835',
      '  ISA=0 GS=0 ST*835=1 CLP=1 CAS=0 SVC=0 PLB=0',
      '  PLB codes: -   PLB composite ref present: False   PLB WO/FB: False',
      '  balance check (...): BALANCED',
    ].join('\n');
    expect(parseProvenance(sample)).toEqual([
      {
        file: 'a.835',
        isa: 1,
        gs: 1,
        st: 2,
        clp: 3,
        cas: 4,
        svc: 5,
        plb: 6,
        plbCodes: ['CS', 'WO'],
        plbReference: true,
        balanced: false,
      },
      {
        file: 'b.835',
        isa: 0,
        gs: 0,
        st: 1,
        clp: 1,
        cas: 0,
        svc: 0,
        plb: 0,
        plbCodes: [],
        plbReference: false,
        balanced: true,
      },
    ]);
  });

  // Without the samples (they live outside the repository) the test is reported as not run.
  it.runIf(existsSync(join(SAMPLES, 'PROVENANCE.txt')))(
    'reads every sample with the counts and balance PROVENANCE.txt records',
    () => {
      const entries = parseProvenance(readFileSync(join(SAMPLES, 'PROVENANCE.txt'), 'utf8'));
      expect(entries.length).toBeGreaterThanOrEqual(10);
      let takebackRows = 0;
      for (const entry of entries) {
        const text = readFileSync(join(SAMPLES, entry.file), 'utf8');
        const remits = parse835(text, sourceFor(entry.file, text));
        const where = entry.file;
        expect(remits.length, `${where}: ST transactions`).toBe(entry.st);
        expect(
          remits.reduce((n, r) => n + r.claims.length, 0),
          `${where}: CLP claims`,
        ).toBe(entry.clp);
        // Σ claims' service_count is the SVC count; claim and line CAS give at least one row per CAS segment.
        expect(
          remits.reduce((n, r) => n + r.claims.reduce((m, c) => m + c.service_count, 0), 0),
          `${where}: SVC lines`,
        ).toBe(entry.svc);
        const cas = remits.flatMap((r) => r.adjustments.filter((a) => a.level !== 'provider'));
        expect(cas.length, `${where}: CAS triplets >= CAS segments`).toBeGreaterThanOrEqual(entry.cas);
        expect(cas.length, `${where}: CAS triplets <= 6 per CAS segment`).toBeLessThanOrEqual(6 * entry.cas);
        // PLB pairs: none without a PLB, between 1 and 6 per PLB segment otherwise, with the listed codes.
        const plb = remits.flatMap((r) => r.adjustments.filter((a) => a.level === 'provider'));
        expect(
          plb.length >= entry.plb && plb.length <= 6 * entry.plb,
          `${where}: PLB pairs ${plb.length}`,
        ).toBe(true);
        expect([...new Set(plb.map((a) => a.reason_code))].sort(), `${where}: PLB codes`).toEqual(
          entry.plbCodes,
        );
        expect(
          plb.some((a) => a.reference_id !== null),
          `${where}: PLB reference present`,
        ).toBe(entry.plbReference);
        // The lake decides no takeback's cause (docs/models.md "Cause of a takeback"): none on a
        // reversal's rows or PLB rows; every other row carries its own CARC's class.
        const adjustments = remits.flatMap((r) => r.adjustments);
        expect(
          adjustments.filter((a) => (a.level === 'provider' || a.claim_status === '22') && a.cause !== null),
          `${where}: a reversal or PLB row with a cause`,
        ).toEqual([]);
        for (const a of adjustments.filter((a) => a.level !== 'provider' && a.claim_status !== '22'))
          expect(a.cause, `${where}: CARC ${a.reason_code}`).toBe(causeOfCarc(a.reason_code) ?? 'other');
        takebackRows += adjustments.filter((a) => a.level === 'provider' || a.claim_status === '22').length;
        const unbalanced = remits.filter((r) => !r.remittance.balanced).length;
        if (entry.balanced) expect(unbalanced, `${where}: BALANCED, no transaction flagged`).toBe(0);
        else expect(unbalanced, `${where}: UNBALANCED, a transaction flagged`).toBeGreaterThan(0);
      }
      // The samples hold reversals (CLP02 = 22) and PLBs: the check above is not empty.
      expect(takebackRows).toBeGreaterThan(0);
    },
  );
});
