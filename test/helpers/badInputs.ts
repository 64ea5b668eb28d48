import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse835 } from '../../functions/core/era/parse835.ts';
import type { NormalizedRemit } from '../../functions/core/types.ts';

/** The project root (this file is test/helpers/badInputs.ts). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The bad-input corpus (small files; large and binary ones are made by `writeGeneratedBadInputs`). */
export const BAD_DIR = join(ROOT, 'test', 'fixtures', 'bad');
/** Public sample 835s (shared beside the project); may be absent in a bare checkout. */
export const SAMPLES_DIR = resolve(ROOT, '..', 'shared', 'samples835');
/** Hand-written 835 fixtures that must read cleanly. */
export const GOOD_FIXTURE_DIRS = ['cases', 'format', 'recoup'].map((d) =>
  join(ROOT, 'test', 'fixtures', '835', d),
);

/** A deterministic PRNG (mulberry32), so generated inputs are the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The control file of the corpus: one balanced 5010 transaction (2 claims, 4 adjustments incl. a PLB). */
export function controlText(): string {
  return readFileSync(join(BAD_DIR, 'control-good.835'), 'utf8');
}

/** The control file with another TRN02, so it is a distinct remittance. */
export function controlWithTrace(trace: string): string {
  return controlText().replace('TRN*1*GOOD0001*', `TRN*1*${trace}*`);
}

/** Files that must ingest cleanly: the samples (when present) and the hand-written good fixtures. */
export function goodFiles(): string[] {
  const out: string[] = [join(BAD_DIR, 'control-good.835')];
  for (const dir of [SAMPLES_DIR, ...GOOD_FIXTURE_DIRS]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      if (name === 'PROVENANCE.txt' || name.endsWith('.md')) continue;
      out.push(join(dir, name));
    }
  }
  return out;
}

/** What a quarantined file's sidecar must say. `null` = the field must be absent (nothing to point at). */
export interface Rejection {
  code: string;
  segment_index: number | null;
  segment_id: string | null;
  element: string | null;
}

/** Generated bad inputs: too large or binary to commit. Returns name → expected rejection. */
export function writeGeneratedBadInputs(dir: string): Map<string, Rejection> {
  const out = new Map<string, Rejection>();
  const random = prng(835);
  const bytes = new Uint8Array(64 * 1024);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
  // Keep the first two bytes non-zero so the text check (not the UTF-16 sniff) is what rejects it.
  bytes[0] = 0x8f;
  bytes[1] = 0x13;
  writeFileSync(join(dir, 'random-bytes.835'), bytes);
  out.set('random-bytes.835', {
    code: 'UNSUPPORTED_ENCODING',
    segment_index: null,
    segment_id: null,
    element: null,
  });

  // A patient name of 4 MB (NM1*QC is segment 12 of the control file): a runaway element.
  const huge = controlWithTrace('HUGEELEM01').replace(
    'NM1*QC*1*DOE*',
    `NM1*QC*1*${'D'.repeat(4 * 1024 * 1024)}*`,
  );
  writeFileSync(join(dir, 'multi-megabyte-element.835'), huge);
  out.set('multi-megabyte-element.835', {
    code: 'SEGMENT_TOO_LONG',
    segment_index: 12,
    segment_id: null,
    element: null,
  });

  // The same interchange with no segment terminator after the ISA at all: one 3 MB "segment".
  const noTerminator = controlWithTrace('NOTERM0001').split('~\n');
  const runaway = `${noTerminator[0]}~\n${noTerminator.slice(1).join('*').repeat(5000)}`;
  writeFileSync(join(dir, 'no-terminator-runaway.835'), runaway);
  out.set('no-terminator-runaway.835', {
    code: 'SEGMENT_TOO_LONG',
    segment_index: 2,
    segment_id: null,
    element: null,
  });

  const text = controlWithTrace('UTF16LE001');
  writeFileSync(
    join(dir, 'utf16le-bom.835'),
    Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
  );
  out.set('utf16le-bom.835', {
    code: 'UNSUPPORTED_ENCODING',
    segment_index: null,
    segment_id: null,
    element: null,
  });
  writeFileSync(join(dir, 'utf16le-no-bom.835'), Buffer.from(controlWithTrace('UTF16LE002'), 'utf16le'));
  out.set('utf16le-no-bom.835', {
    code: 'UNSUPPORTED_ENCODING',
    segment_index: null,
    segment_id: null,
    element: null,
  });
  const be = Buffer.from(controlWithTrace('UTF16BE001'), 'utf16le').swap16();
  writeFileSync(join(dir, 'utf16be-bom.835'), Buffer.concat([Buffer.from([0xfe, 0xff]), be]));
  out.set('utf16be-bom.835', {
    code: 'UNSUPPORTED_ENCODING',
    segment_index: null,
    segment_id: null,
    element: null,
  });
  return out;
}

/** The committed corpus: file → expected rejection, or how it must be kept. */
export const COMMITTED_REJECTIONS: Record<string, Rejection> = {
  'empty.835': { code: 'EMPTY', segment_index: null, segment_id: null, element: null },
  'truncated-mid-claim.835': { code: 'MISSING_SE', segment_index: 17, segment_id: 'CLP', element: null },
  'st-837.835': { code: 'NOT_835', segment_index: 3, segment_id: 'ST', element: 'ST01' },
  'no-se-ge-iea.835': { code: 'MISSING_SE', segment_index: 19, segment_id: 'PLB', element: null },
  'non-numeric-amount.835': { code: 'BAD_AMOUNT', segment_index: 11, segment_id: 'CLP', element: 'CLP04' },
  'no-isa-starts-at-gs.835': { code: 'NO_ISA', segment_index: null, segment_id: null, element: null },
  'good-then-broken.835': { code: 'MISSING_SE', segment_index: 39, segment_id: 'CLP', element: null },
  'clp-before-st.835': {
    code: 'SEGMENT_OUTSIDE_TRANSACTION',
    segment_index: 3,
    segment_id: 'CLP',
    element: null,
  },
  'cas-before-clp.835': { code: 'UNEXPECTED_SEGMENT', segment_index: 11, segment_id: 'CAS', element: null },
  'missing-bpr.835': { code: 'MISSING_SEGMENT', segment_index: 3, segment_id: 'ST', element: null },
  'bad-isa.835': { code: 'BAD_ISA', segment_index: 1, segment_id: 'ISA', element: 'ISA16' },
  'text-after-iea.835': { code: 'UNEXPECTED_SEGMENT', segment_index: 23, segment_id: null, element: null },
  'bad-cas-quantity.835': { code: 'BAD_NUMBER', segment_index: 15, segment_id: 'CAS', element: 'CAS04' },
  'blank-plb-reason.835': {
    code: 'MISSING_ELEMENT',
    segment_index: 19,
    segment_id: 'PLB',
    element: 'PLB03-1',
  },
  'missing-se01.835': { code: 'MISSING_ELEMENT', segment_index: 20, segment_id: 'SE', element: 'SE01' },
  'bpr-amount-too-precise.835': { code: 'BAD_AMOUNT', segment_index: 4, segment_id: 'BPR', element: 'BPR02' },
};

/** Committed files that are kept (DESIGN.md: unbalanced = kept and flagged; SE01 miscount = warning). */
export const COMMITTED_KEPT: Record<string, { trace: string; balanced: boolean; warning: RegExp | null }> = {
  'bpr-unbalanced.835': { trace: 'UNBAL0001', balanced: false, warning: null },
  'wrong-se-count.835': { trace: 'SECOUNT0001', balanced: true, warning: /^SE01 count 17 != 18 segments$/ },
};

/**
 * What the lake must hold after ingesting files in order: parse835 of each readable file, first
 * occurrence of each remit_id wins (a re-delivered remittance is a duplicate, not a second copy).
 */
export function expectedRemits(files: { path: string; key: string }[]): Map<string, NormalizedRemit> {
  const out = new Map<string, NormalizedRemit>();
  for (const f of files) {
    const bytes = readFileSync(f.path);
    if (looksUtf16(bytes)) continue;
    let remits: NormalizedRemit[];
    try {
      remits = parse835(bytes.toString('utf8'), {
        key: f.key,
        sha256: sha256(bytes),
        ingestedAt: '2024-01-01T00:00:00.000Z',
      });
    } catch {
      continue;
    }
    for (const r of remits) if (!out.has(r.remittance.remit_id)) out.set(r.remittance.remit_id, r);
  }
  return out;
}

/** The ingest's own UTF-16/binary sniff (first two bytes), mirrored so expectations follow the same path. */
export function looksUtf16(bytes: Uint8Array): boolean {
  const b0 = bytes[0];
  const b1 = bytes[1];
  return (
    (b0 === 0xff && b1 === 0xfe) ||
    (b0 === 0xfe && b1 === 0xff) ||
    (bytes.length > 1 && (b0 === 0 || b1 === 0))
  );
}
