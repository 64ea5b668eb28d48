import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse835 } from '../functions/core/era/parse835.ts';
import type { IngestInput, IngestSummary } from '../functions/ingest/ingestFiles.ts';
import {
  BAD_DIR,
  COMMITTED_KEPT,
  COMMITTED_REJECTIONS,
  controlText,
  controlWithTrace,
  expectedRemits,
  goodFiles,
  type Rejection,
  ROOT,
  SAMPLES_DIR,
  sha256,
  writeGeneratedBadInputs,
} from './helpers/badInputs.ts';
import { cleanup, ingestInto, inputOf, remitCounts, tempDir, within } from './helpers/lakeProbe.ts';

/**
 * Every bad input, ingested with good files before and after it: the ingest finishes, the good
 * files are all in the lake, each bad file is quarantined whole with a typed reason (or kept and
 * flagged where DESIGN.md says so), and nothing from a quarantined file reaches the lake.
 */
describe('bad inputs: quarantined with a typed reason, good files beside them kept', () => {
  let generatedDir: string;
  let lake: string;
  let inputs: IngestInput[];
  let summary: IngestSummary;
  const rejections = new Map<string, Rejection>();

  beforeAll(async () => {
    generatedDir = tempDir('bad-generated');
    lake = tempDir('bad-lake');
    for (const [name, r] of Object.entries(COMMITTED_REJECTIONS)) rejections.set(join(BAD_DIR, name), r);
    for (const [name, r] of writeGeneratedBadInputs(generatedDir))
      rejections.set(join(generatedDir, name), r);
    const bad = [...rejections.keys(), ...Object.keys(COMMITTED_KEPT).map((n) => join(BAD_DIR, n))];
    const good = goodFiles();
    // Interleave: good, bad, good, bad… so a bad file's rollback sits between staged good rows.
    const ordered: string[] = [];
    for (let i = 0; i < Math.max(bad.length, good.length); i++) {
      if (i < good.length) ordered.push(good[i] as string);
      if (i < bad.length) ordered.push(bad[i] as string);
    }
    inputs = ordered.map((p) => inputOf(p));
    summary = await within(60_000, 'ingest of the bad-input corpus', ingestInto(lake, inputs));
  });

  afterAll(() => cleanup(generatedDir, lake));

  it('covers every committed file of the corpus', () => {
    const committed = readdirSync(BAD_DIR).filter((n) => n.endsWith('.835') && n !== 'control-good.835');
    expect(committed.sort()).toEqual(
      [...Object.keys(COMMITTED_REJECTIONS), ...Object.keys(COMMITTED_KEPT)].sort(),
    );
    expect(rejections.size).toBeGreaterThanOrEqual(20);
  });

  it('quarantines each bad file with its code, segment and element, never an untyped error', () => {
    expect(summary.files).toBe(inputs.length);
    const byFile = new Map(summary.quarantined_files.map((q) => [q.file, q]));
    for (const [file, expected] of rejections) {
      const q = byFile.get(file);
      expect(q, `${basename(file)} should be quarantined`).toBeDefined();
      expect(
        { code: q?.code, segment_index: q?.segment_index, segment_id: q?.segment_id, element: q?.element },
        basename(file),
      ).toEqual(expected);
      expect(q?.reason.length).toBeGreaterThan(5);
    }
    expect(summary.quarantined_files.map((q) => q.code)).not.toContain('INTERNAL_ERROR');
    expect(summary.quarantined).toBe(rejections.size);
  });

  it('puts the quarantined bytes and a JSON sidecar under quarantine/<sha12>-<name>', () => {
    for (const file of rejections.keys()) {
      const bytes = readFileSync(file);
      const key = `quarantine/${sha256(bytes).slice(0, 12)}-${basename(file)}`;
      const q = summary.quarantined_files.find((x) => x.file === file);
      expect(q?.quarantine_key).toBe(key);
      expect(sha256(readFileSync(join(lake, key)))).toBe(sha256(bytes));
      const sidecar = JSON.parse(readFileSync(join(lake, `${key}.error.json`), 'utf8')) as Record<
        string,
        unknown
      >;
      expect(sidecar).toMatchObject({
        file,
        code: q?.code,
        segment_index: q?.segment_index,
        segment_id: q?.segment_id,
        element: q?.element,
      });
      expect(typeof sidecar.quarantined_at).toBe('string');
    }
  });

  it('holds exactly the remittances of the readable files, each with all its claims and adjustments', async () => {
    const expected = expectedRemits(inputs);
    const actual = await remitCounts(lake);
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [id, remit] of expected) {
      const got = actual.get(id);
      expect(got?.claims, `claims of ${remit.remittance.source_key}`).toBe(remit.claims.length);
      expect(got?.adjustments, `adjustments of ${remit.remittance.source_key}`).toBe(
        remit.adjustments.length,
      );
    }
    // No row of a quarantined file: its remittances are absent, including the good first interchange
    // of good-then-broken.835 (trace GOODFIRST01), rolled back with the rest of the file.
    const sources = new Set([...actual.values()].map((r) => r.source_key));
    for (const file of rejections.keys()) expect(sources.has(file), basename(file)).toBe(false);
    expect([...actual.values()].some((r) => r.trace_number === 'GOODFIRST01')).toBe(false);
    // Every good file contributed (or was a duplicate of an earlier one).
    for (const file of goodFiles()) {
      const ids = parse835(readFileSync(file, 'utf8'), { key: file, sha256: '', ingestedAt: '' }).map(
        (r) => r.remittance.remit_id,
      );
      expect(ids.length).toBeGreaterThan(0);
      for (const id of ids) expect(actual.has(id), basename(file)).toBe(true);
    }
  });

  it('keeps an unbalanced transaction flagged balanced=false and lists it; keeps a wrong SE01 with a warning', async () => {
    const actual = [...(await remitCounts(lake)).values()];
    for (const [name, kept] of Object.entries(COMMITTED_KEPT)) {
      const row = actual.find((r) => r.trace_number === kept.trace);
      expect(row, name).toBeDefined();
      expect(row?.source_key).toBe(join(BAD_DIR, name));
      expect(row?.balanced).toBe(kept.balanced);
      if (kept.warning !== null) expect(row?.warnings).toMatch(kept.warning);
      expect(row?.claims).toBe(2);
      expect(row?.adjustments).toBe(4);
    }
    const listed = summary.unbalanced_transactions.find(
      (u) => u.file === join(BAD_DIR, 'bpr-unbalanced.835'),
    );
    expect(listed).toMatchObject({ trace_number: 'UNBAL0001', balance_difference: '-10.00' });
  });
});

describe('SE01 segment count: tolerated with a warning, not a rejection', () => {
  // DESIGN.md quarantines "a file that cannot be read". A miscounted SE01 leaves every segment
  // readable, and real payer files carry it: two of the public samples do. Rejecting them would
  // lose real remittances, so the reader keeps them and records the miscount in `warnings`.
  const samples = [
    ['CHS-CDS-AIML_edi-835-parser__tests_test_edi_835_files_test.835', 'SE01 count 17 != 16 segments'],
    [
      'keironstoddart_edi-835-parser__tests_test_edi_835_files_blue_cross_nc_sample.txt',
      'SE01 count 33 != 32 segments',
    ],
  ] as const;

  it.each(samples)('reads the public sample %s and records the miscount', (name, warning) => {
    const path = join(SAMPLES_DIR, name);
    const text = existsSync(path) ? readFileSync(path, 'utf8') : null;
    if (text === null) {
      // Without the shared samples the committed wrong-se-count.835 stands in for them.
      const remits = parse835(readFileSync(join(BAD_DIR, 'wrong-se-count.835'), 'utf8'), {
        key: 'w',
        sha256: '',
        ingestedAt: '',
      });
      expect(remits[0]?.remittance.warnings).toContain('SE01 count');
      return;
    }
    const remits = parse835(text, { key: name, sha256: '', ingestedAt: '' });
    expect(remits).toHaveLength(1);
    expect(remits[0]?.remittance.warnings).toContain(warning);
    expect(remits[0]?.claims.length).toBeGreaterThan(0);
  });

  it('still rejects an SE01 that is not a number', () => {
    expect(() =>
      parse835(readFileSync(join(BAD_DIR, 'missing-se01.835'), 'utf8'), {
        key: 'm',
        sha256: '',
        ingestedAt: '',
      }),
    ).toThrow(expect.objectContaining({ name: 'X12Error', code: 'MISSING_ELEMENT' }));
  });
});

describe('transport padding after the last IEA', () => {
  // Files that crossed DOS tools or fixed-block transfers end in a Ctrl-Z (0x1A) EOF mark or NUL
  // padding. The interchange itself is complete and readable: DESIGN.md quarantines only "a file
  // that cannot be read", so the padding must be ignored like trailing whitespace is.
  it.each([
    ['a DOS end-of-file mark (0x1A)', '\x1a'],
    ['NUL padding', '\0'.repeat(512)],
    ['NUL padding and a final line break', `${'\0'.repeat(64)}\r\n`],
  ])('reads a complete interchange followed by %s', (_name, padding) => {
    const remits = parse835(`${controlText()}${padding}`, { key: 'padded.835', sha256: '', ingestedAt: '' });
    expect(remits.map((r) => [r.remittance.trace_number, r.claims.length, r.adjustments.length])).toEqual([
      ['GOOD0001', 2, 4],
    ]);
  });

  it('still rejects prose after the last IEA (not padding)', () => {
    expect(() =>
      parse835(readFileSync(join(BAD_DIR, 'text-after-iea.835'), 'utf8'), {
        key: 't',
        sha256: '',
        ingestedAt: '',
      }),
    ).toThrow(expect.objectContaining({ code: 'UNEXPECTED_SEGMENT' }));
  });
});

describe('rollback of a bad file never touches the good files staged before it', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('rollback');
  });
  afterAll(() => cleanup(dir));

  /**
   * A bad file with hundreds of good transactions (36 600 adjustment rows) before its broken tail
   * stages far more than any in-memory buffer before the error. The rollback must cut the staging
   * back to where the bad file began, which is after the good file's rows. (The DuckDB writer of
   * commit d1a8027 truncated its staging files to the last flushed offset: the good remittance
   * became visible with 2 claims and 0 adjustments, or vanished while the summary counted it.)
   */
  it('a good file staged before a large bad file keeps all its rows', async () => {
    const lines = controlText().split('\n').filter(Boolean);
    const body = lines.slice(2, -2);
    const claimBlock = body.slice(
      body.findIndex((l) => l.startsWith('CLP*CLAIM001')),
      body.findIndex((l) => l.startsWith('PLB')),
    );
    const header = body.slice(
      0,
      body.findIndex((l) => l.startsWith('CLP*CLAIM001')),
    );
    const parts = [lines[0], lines[1]];
    for (let i = 0; i < 600; i++) {
      parts.push(...header.map((l) => l.replace('TRN*1*GOOD0001*', `TRN*1*BIG${i}*`)));
      for (let k = 0; k < 20; k++) parts.push(...claimBlock.map((l) => l.replace(/CLAIM00(\d)/, `C${k}X$1`)));
      parts.push('PLB*1234567893*20241231*WO:ICN0009*30.00~', 'SE*999*0001~');
    }
    parts.push('ST*835*9999~', 'BPR*I*1.00*C*ACH');
    const bigBad = join(dir, 'big-bad.835');
    writeFileSync(bigBad, parts.join('\n'));
    expect(() => parse835(parts.join('\n'), { key: 'b', sha256: '', ingestedAt: '' })).toThrow(
      expect.objectContaining({ code: 'MISSING_SE' }),
    );
    const good = join(BAD_DIR, 'control-good.835');
    const lake = tempDir('rollback-lake');
    try {
      const summary = await within(60_000, 'ingest', ingestInto(lake, [inputOf(good), inputOf(bigBad)]));
      expect(summary.quarantined_files.map((q) => q.code)).toEqual(['MISSING_SE']);
      expect([summary.remittances_written, summary.claims, summary.adjustments]).toEqual([1, 2, 4]);
      const actual = [...(await remitCounts(lake)).values()];
      expect(actual.map((r) => [r.trace_number, r.claims, r.adjustments])).toEqual([['GOOD0001', 2, 4]]);
    } finally {
      cleanup(lake);
    }
  });

  it('a bad file whose first transaction repeats a later good file does not swallow it as a duplicate', async () => {
    const badFirst = join(dir, 'bad-dup-first.835');
    // The control interchange, then a second interchange cut mid-claim.
    const control = controlText();
    writeFileSync(badFirst, `${control}${control.split('CAS*CO*45*20.00~')[0]}`);
    const good = join(BAD_DIR, 'control-good.835');
    const lake = tempDir('rollback-lake');
    try {
      const summary = await ingestInto(lake, [inputOf(badFirst), inputOf(good)]);
      expect(summary.quarantined_files.map((q) => q.file)).toEqual([badFirst]);
      const actual = [...(await remitCounts(lake)).values()];
      expect(actual.map((r) => [r.source_key, r.claims, r.adjustments])).toEqual([[good, 2, 4]]);
      expect(summary.duplicates).toBe(0);
    } finally {
      cleanup(lake);
    }
  });
});

describe('a re-delivered remittance lands once', () => {
  /**
   * remit_id is (payer, payee, TRN02, BPR02, BPR16), but the partition month falls back to the
   * production date (DTM*405) when BPR16 is blank or invalid (as in the public medicare-part-a
   * sample). The same remittance re-sent with a new production date then gets the same remit_id
   * in another partition: the duplicate check looks in the wrong folder and the lake holds it twice.
   */
  it('without BPR16, re-sent with a new production date, it is still one remittance', async () => {
    const dir = tempDir('resend');
    const lake = tempDir('resend-lake');
    try {
      const first = controlText().replace('*DA*654321*20240105~', '*DA*654321~');
      const resent = first
        .replace('DTM*405*20240104~', 'DTM*405*20240204~')
        .replace(/000000101/g, '000000777');
      writeFileSync(join(dir, 'first.835'), first);
      writeFileSync(join(dir, 'resent.835'), resent);
      const ids = [first, resent].map(
        (t) => parse835(t, { key: 'k', sha256: '', ingestedAt: '' })[0]?.remittance.remit_id,
      );
      expect(ids[0]).toBe(ids[1]);
      await ingestInto(lake, [inputOf(join(dir, 'first.835'))]);
      const second = await ingestInto(lake, [inputOf(join(dir, 'resent.835'))]);
      expect([second.remittances_written, second.duplicates]).toEqual([0, 1]);
      const actual = [...(await remitCounts(lake)).values()];
      expect(actual.map((r) => [r.source_key, r.claims, r.adjustments])).toEqual([
        [join(dir, 'first.835'), 2, 4],
      ]);
    } finally {
      cleanup(dir, lake);
    }
  });
});

describe('files past 64 MiB take the streaming path, all or nothing', () => {
  /** Writes ~66 MiB: the control envelope around 1 000-transaction blocks cycling through 50 traces. */
  function writeBig(path: string, tracePrefix: string, brokenTail: boolean): void {
    const lines = controlText().split('\n').filter(Boolean);
    const body = lines.slice(2, -2);
    const block = `${Array.from({ length: 1000 }, (_, i) =>
      body.map((l) => l.replace('TRN*1*GOOD0001*', `TRN*1*${tracePrefix}${i % 50}*`)).join('\n'),
    ).join('\n')}\n`;
    const fd = openSync(path, 'w');
    try {
      writeSync(fd, `${lines[0]}\n${lines[1]}\n`);
      for (let size = 0; size < 66 * 1024 * 1024; size += block.length) writeSync(fd, block);
      writeSync(fd, brokenTail ? 'ST*835*9999~\nBPR*I*1.00*C*ACH' : `${lines.slice(-2).join('\n')}\n`);
    } finally {
      closeSync(fd);
    }
  }

  it('reads a good one whole and quarantines a broken one whole, byte for byte', async () => {
    const dir = tempDir('big');
    const lake = tempDir('big-lake');
    try {
      const good = join(dir, 'big-good.835');
      const broken = join(dir, 'big-broken.835');
      writeBig(good, 'BIGGOOD', false);
      writeBig(broken, 'BIGBROKEN', true);
      expect(statSync(broken).size).toBeGreaterThan(64 * 1024 * 1024);
      const summary = await within(
        120_000,
        'ingest of two 66 MiB files',
        ingestInto(lake, [inputOf(good), inputOf(broken)]),
      );
      expect(summary.quarantined_files.map((q) => [q.file, q.code])).toEqual([[broken, 'MISSING_SE']]);
      const actual = [...(await remitCounts(lake)).values()];
      expect(actual).toHaveLength(50);
      for (const r of actual) {
        expect(r.trace_number).toMatch(/^BIGGOOD\d+$/);
        expect([r.claims, r.adjustments]).toEqual([2, 4]);
      }
      const key = summary.quarantined_files[0]?.quarantine_key as string;
      expect(sha256(readFileSync(join(lake, key)))).toBe(sha256(readFileSync(broken)));
      expect(existsSync(join(lake, `${key}.error.json`))).toBe(true);
    } finally {
      cleanup(dir, lake);
    }
  });
});

describe('amounts whose totals overflow the lake DECIMAL(18,2)', () => {
  /**
   * Each PLB amount parses (9e13 dollars is a safe integer of cents), but 120 of them sum to
   * 1.08e16 dollars: past 2^53 cents (so the float sum is no longer exact) and past the 16 integer
   * digits of DECIMAL(18,2). Money is exact or the file is refused: a typed BAD_AMOUNT, and the
   * good file of the same batch lands. (Observed: the DuckDB writer failed the whole ingest with a
   * CSV conversion error; the in-process encoder stores plb_total 10800000000000000.00, beyond
   * DECIMAL(18,2), and balance_difference -10799999999999969.28 instead of -10799999999999970.00.)
   */
  it('is a typed rejection of that file, not a failed ingest that loses the batch', async () => {
    const dir = tempDir('overflow');
    const lake = tempDir('overflow-lake');
    try {
      const plb = `PLB*1234567893*20241231${'*WO:X*90000000000000.00'.repeat(6)}~`;
      const huge = controlWithTrace('HUGEPLB001').replace(/PLB\*[^~]*~/, Array(20).fill(plb).join('\n'));
      const hugePath = join(dir, 'huge-plb-total.835');
      writeFileSync(hugePath, huge);
      const good = join(BAD_DIR, 'control-good.835');
      const summary = await within(60_000, 'ingest', ingestInto(lake, [inputOf(good), inputOf(hugePath)]));
      expect(summary.quarantined_files.map((q) => [q.file, q.code])).toEqual([[hugePath, 'BAD_AMOUNT']]);
      const actual = [...(await remitCounts(lake)).values()];
      expect(actual.map((r) => r.trace_number)).toEqual(['GOOD0001']);
    } finally {
      cleanup(dir, lake);
    }
  });
});

describe('the CLI process on the whole corpus', () => {
  it('exits 0 within its time bound and reports every quarantined file', async () => {
    const generated = tempDir('bad-cli-in');
    const lake = tempDir('bad-cli-lake');
    try {
      const expected = writeGeneratedBadInputs(generated);
      writeFileSync(join(generated, 'good.835'), controlText());
      const child = spawn(
        process.execPath,
        [join(ROOT, 'bin', 'recoup.js'), 'ingest', BAD_DIR, generated, '--lake', lake, '--json'],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const code = await within(
        60_000,
        'recoup ingest',
        new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c))),
      ).finally(() => child.kill('SIGKILL'));
      expect(code, stderr).toBe(0);
      const summary = JSON.parse(stdout) as IngestSummary;
      expect(summary.quarantined).toBe(Object.keys(COMMITTED_REJECTIONS).length + expected.size);
      expect(summary.quarantined_files.map((q) => q.code)).not.toContain('INTERNAL_ERROR');
      // control-good.835 and good.835 are the same remittance: one written, one duplicate.
      expect(summary.remittances_written).toBe(1 + Object.keys(COMMITTED_KEPT).length);
      expect(summary.duplicates).toBe(1);
    } finally {
      cleanup(generated, lake);
    }
  });
});
