import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Era835Parser, parse835 } from '../functions/core/era/parse835.ts';
import { remitRows } from '../functions/core/era/remitRows.ts';
import type { NormalizedRemit } from '../functions/core/types.ts';
import { X12Error } from '../functions/core/x12/errors.ts';
import { expectedRemits, goodFiles, looksUtf16, prng, ROOT, sha256 } from './helpers/badInputs.ts';
import { cleanup, ingestInto, inputOf, tempDir, within, withLake } from './helpers/lakeProbe.ts';
import { applyMutations, type Mutation, mutatedInputArb } from './helpers/mutate835.ts';

/**
 * Fuzzing over real and generated 835s: byte flips, byte insertions, truncation, delimiter swaps,
 * segment duplication, deletion and moves (1–4 per input). Seeds are fixed, so a failure replays.
 */

const KNOWN_CODES = new Set([
  'EMPTY',
  'UNSUPPORTED_ENCODING',
  'NO_ISA',
  'BAD_ISA',
  'SEGMENT_TOO_LONG',
  'NOT_835',
  'SEGMENT_OUTSIDE_TRANSACTION',
  'MISSING_SE',
  'SE_COUNT',
  'MISSING_ELEMENT',
  'BAD_AMOUNT',
  'BAD_DATE',
  'BAD_NUMBER',
  'MISSING_SEGMENT',
  'UNEXPECTED_SEGMENT',
  'TRUNCATED',
]);

/** Inputs tried per property (reported in RELIABILITY.md). */
const PARSE_RUNS = 4000;
const CHUNK_RUNS = 600;
const INGEST_ROUNDS = 4;
const FILES_PER_ROUND = 40;

let seeds: { name: string; bytes: Buffer }[] = [];
let generated: string;

beforeAll(() => {
  generated = tempDir('fuzz-generated');
  const gen = spawnSync(
    process.execPath,
    [
      join(ROOT, 'bin', 'recoup.js'),
      'generate',
      '--out',
      generated,
      '--seed',
      '11',
      '--weeks',
      '3',
      '--payers',
      '5',
      '--providers',
      '5',
    ],
    { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
  );
  expect(gen.status, gen.stderr).toBe(0);
  const generatedFiles = readdirSync(generated)
    .filter((n) => n.endsWith('.835'))
    .sort()
    .map((n) => join(generated, n));
  expect(generatedFiles.length).toBeGreaterThan(5);
  seeds = [...goodFiles(), ...generatedFiles].map((p) => ({ name: p, bytes: readFileSync(p) }));
});

afterAll(() => cleanup(generated));

const source = (key: string) => ({ key, sha256: 'fuzz', ingestedAt: '2024-01-01T00:00:00.000Z' });

/** Parses, returning the rows or the typed error; anything else is rethrown (a bug). */
function outcome(text: string, key: string): { remits: NormalizedRemit[] } | { error: X12Error } {
  try {
    return { remits: parse835(text, source(key)) };
  } catch (error) {
    if (error instanceof X12Error) return { error };
    throw error;
  }
}

function describeInput(seed: number, mutations: Mutation[]): string {
  return `${seeds[seed]?.name} with ${JSON.stringify(mutations)}`;
}

describe('fuzz: the 835 reader on mutated files', () => {
  it(`throws nothing but a located X12Error, and emits lake-safe rows (${PARSE_RUNS} inputs)`, () => {
    let rejected = 0;
    let readable = 0;
    fc.assert(
      fc.property(mutatedInputArb(seeds.length), ({ seed, mutations }) => {
        const bytes = applyMutations((seeds[seed] as { bytes: Buffer }).bytes, mutations);
        let result: ReturnType<typeof outcome>;
        try {
          result = outcome(bytes.toString('utf8'), 'fuzz.835');
        } catch (error) {
          throw new Error(`untyped ${String(error)} on ${describeInput(seed, mutations)}`);
        }
        if ('error' in result) {
          rejected++;
          const e = result.error;
          expect(KNOWN_CODES.has(e.code), e.code).toBe(true);
          expect(e.location.file).toBe('fuzz.835');
          if (e.location.segmentIndex !== undefined)
            expect(e.location.segmentIndex).toBeGreaterThanOrEqual(1);
          // The sidecar names a segment and an element; it never quotes segment text (patient data).
          if (e.location.segmentId !== undefined) expect(e.location.segmentId.length).toBeLessThanOrEqual(3);
          if (e.location.element !== undefined) expect(e.location.element.length).toBeLessThanOrEqual(8);
          expect(JSON.parse(JSON.stringify(e.toJSON())).code).toBe(e.code);
          return;
        }
        readable++;
        for (const remit of result.remits) assertLakeSafe(remit);
      }),
      { seed: 835, numRuns: PARSE_RUNS },
    );
    console.log(`[fuzz] reader: ${PARSE_RUNS} inputs, ${rejected} rejected with X12Error, ${readable} read`);
    expect(rejected + readable).toBe(PARSE_RUNS);
    // Both outcomes must be exercised, or the mutations are too weak (or too strong) to mean much.
    expect(rejected).toBeGreaterThan(PARSE_RUNS / 10);
    expect(readable).toBeGreaterThan(PARSE_RUNS / 10);
  });

  it(`reads the same rows or the same error whatever the chunking (${CHUNK_RUNS} inputs)`, () => {
    fc.assert(
      fc.property(
        mutatedInputArb(seeds.length),
        fc.integer({ min: 1, max: 2 ** 31 }),
        ({ seed, mutations }, chunkSeed) => {
          const text = applyMutations((seeds[seed] as { bytes: Buffer }).bytes, mutations).toString('utf8');
          const whole = outcome(text, 'fuzz.835');
          const random = prng(chunkSeed);
          const remits: NormalizedRemit[] = [];
          let chunked: { remits: NormalizedRemit[] } | { error: X12Error };
          try {
            const parser = new Era835Parser(source('fuzz.835'), (r) => remits.push(remitRows(r)));
            for (let at = 0; at < text.length; ) {
              const size = 1 + Math.floor(random() * (random() < 0.5 ? 8 : 4096));
              parser.write(text.slice(at, at + size));
              at += size;
            }
            parser.end();
            chunked = { remits };
          } catch (error) {
            if (!(error instanceof X12Error)) throw error;
            chunked = { error };
          }
          if ('error' in whole) {
            expect('error' in chunked ? chunked.error.code : 'read').toBe(whole.error.code);
          } else {
            expect('error' in chunked ? `${chunked.error.code}: ${chunked.error.message}` : 'read').toBe(
              'read',
            );
            expect((chunked as { remits: NormalizedRemit[] }).remits).toEqual(whole.remits);
          }
        },
      ),
      { seed: 8350, numRuns: CHUNK_RUNS },
    );
  });
});

/** Rows the lake can store exactly: integer cents, partition-safe keys, rows tied to their remittance. */
function assertLakeSafe(remit: NormalizedRemit): void {
  const r = remit.remittance;
  expect(r.remit_id).toMatch(/^[0-9a-f]{32}-[0-9a-f]{16}$/);
  expect(r.payer_id).toMatch(/^[A-Za-z0-9._-]{1,80}$/);
  expect(r.payer_id.startsWith('.')).toBe(false);
  expect(r.payment_month).toMatch(/^(\d{4}-\d{2}|unknown)$/);
  for (const cents of [r.payment_amount, r.plb_total, r.balance_difference]) {
    expect(Number.isSafeInteger(cents)).toBe(true);
  }
  for (const c of remit.claims) {
    expect(c.remit_id).toBe(r.remit_id);
    expect(c.payment_month).toBe(r.payment_month);
    expect(Number.isSafeInteger(c.paid_amount) && Number.isSafeInteger(c.charge_amount)).toBe(true);
  }
  for (const a of remit.adjustments) {
    expect(a.remit_id).toBe(r.remit_id);
    expect(Number.isSafeInteger(a.amount)).toBe(true);
  }
}

describe('fuzz: ingest of mutated files is all or nothing per file', () => {
  it(`writes each readable file's remittances completely and nothing of the others (${INGEST_ROUNDS * FILES_PER_ROUND} files)`, async () => {
    const samples = fc.sample(mutatedInputArb(seeds.length), {
      seed: 8351,
      numRuns: INGEST_ROUNDS * FILES_PER_ROUND,
    });
    let quarantined = 0;
    let remitsChecked = 0;
    for (let round = 0; round < INGEST_ROUNDS; round++) {
      const dir = tempDir('fuzz-in');
      const lake = tempDir('fuzz-lake');
      try {
        const inputs = samples.slice(round * FILES_PER_ROUND, (round + 1) * FILES_PER_ROUND).map((s, i) => {
          const path = join(dir, `m${String(i).padStart(3, '0')}.835`);
          writeFileSync(path, applyMutations((seeds[s.seed] as { bytes: Buffer }).bytes, s.mutations));
          return inputOf(path);
        });
        // Small batches on odd rounds: commits (and the lake's duplicate check) happen mid-run.
        const summary = await within(
          60_000,
          `fuzz ingest round ${round}`,
          ingestInto(lake, inputs, round % 2 === 1 ? { batchBytes: 4096 } : {}),
        );
        expect(summary.quarantined_files.map((q) => q.code)).not.toContain('INTERNAL_ERROR');
        const unreadable = new Set(
          inputs
            .filter((f) => {
              const bytes = readFileSync(f.path);
              if (looksUtf16(bytes)) return true;
              return 'error' in outcome(bytes.toString('utf8'), f.key);
            })
            .map((f) => f.key),
        );
        expect(new Set(summary.quarantined_files.map((q) => q.file))).toEqual(unreadable);
        quarantined += unreadable.size;
        const expected = expectedRemits(inputs);
        const lakeRows = await lakeTotals(lake);
        expect([...lakeRows.keys()].sort()).toEqual([...expected.keys()].sort());
        for (const [id, remit] of expected) {
          const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
          expect(lakeRows.get(id), `remittance ${id} of ${remit.remittance.source_key}`).toEqual({
            source_key: remit.remittance.source_key,
            source_sha256: sha256(readFileSync(remit.remittance.source_key)),
            claims: remit.claims.length,
            adjustments: remit.adjustments.length,
            paid_cents: sum(remit.claims.map((c) => c.paid_amount)),
            adjustment_cents: sum(remit.adjustments.map((a) => a.amount)),
          });
          remitsChecked++;
        }
      } finally {
        cleanup(dir, lake);
      }
    }
    console.log(
      `[fuzz] ingest: ${INGEST_ROUNDS * FILES_PER_ROUND} files, ${quarantined} quarantined, ${remitsChecked} remittances checked`,
    );
    expect(quarantined).toBeGreaterThan(INGEST_ROUNDS * 2);
    expect(remitsChecked).toBeGreaterThan(INGEST_ROUNDS * 5);
  });
});

/** Per committed remittance: rows and exact money of its claims and adjustments, from the lake views. */
async function lakeTotals(lake: string): Promise<Map<string, Record<string, unknown>>> {
  return withLake(lake, async (db) => {
    const reader = await db.runAndReadAll(
      `SELECT r.remit_id, r.source_key, r.source_sha256,
              (SELECT count(*) FROM claims c WHERE c.remit_id = r.remit_id)::INTEGER AS claims,
              (SELECT count(*) FROM adjustments a WHERE a.remit_id = r.remit_id)::INTEGER AS adjustments,
              (SELECT coalesce(sum(paid_amount * 100), 0) FROM claims c WHERE c.remit_id = r.remit_id)::BIGINT::VARCHAR AS paid,
              (SELECT coalesce(sum(amount * 100), 0) FROM adjustments a WHERE a.remit_id = r.remit_id)::BIGINT::VARCHAR AS adj
       FROM remittances r`,
    );
    const out = new Map<string, Record<string, unknown>>();
    for (const row of reader.getRowObjectsJson() as Record<string, unknown>[]) {
      const id = row.remit_id as string;
      expect(out.has(id), `remittance ${id} twice in the lake`).toBe(false);
      out.set(id, {
        source_key: row.source_key,
        source_sha256: row.source_sha256,
        claims: row.claims,
        adjustments: row.adjustments,
        paid_cents: Number(row.paid),
        adjustment_cents: Number(row.adj),
      });
    }
    return out;
  });
}
