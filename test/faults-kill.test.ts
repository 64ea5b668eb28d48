import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAKE_TABLES } from '../functions/core/lake/schema.ts';
import { BAD_DIR, expectedRemits, prng, ROOT } from './helpers/badInputs.ts';
import {
  compactedLayoutProblems,
  type IngestRun,
  LakeComparer,
  lakeObjectKeys,
  runCompact,
  runIngest,
} from './helpers/killLoop.ts';
import { cleanup, parquetFiles, remitCounts, tempDir, unreadableParquet } from './helpers/lakeProbe.ts';

/**
 * `recoup ingest` killed with SIGKILL at seeded random points, on a fresh lake each time:
 * no partial remittance is ever visible, no Parquet file in the lake is torn, and a rerun
 * gives exactly the lake of a clean run. Two processes ingesting the same files at once give
 * one copy. Counts are printed and recorded in RELIABILITY.md.
 */

const ITERATIONS = 16;
/** Non-Parquet files a killed run left inside the table folders, per iteration (see the litter test). */
const litter: string[] = [];
const CONCURRENT_ROUNDS = 3;
const COMPACT_ITERATIONS = 8;
const COMPACT_CONCURRENT_ROUNDS = 3;

let inputDir: string;
let reference: string;
let referenceRun: IngestRun;
/** ms from the first lake object to exit, in the clean run: the window where a kill can tear a commit. */
let commitWindowMs: number;
let comparer: LakeComparer;
const scratch: string[] = [];

beforeAll(async () => {
  inputDir = tempDir('kill-in');
  const gen = spawnSync(
    process.execPath,
    [
      join(ROOT, 'bin', 'recoup.js'),
      'generate',
      '--out',
      inputDir,
      '--seed',
      '21',
      '--weeks',
      '8',
      '--payers',
      '3',
      '--providers',
      '10',
    ],
    { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
  );
  expect(gen.status, gen.stderr).toBe(0);
  // Two unreadable files ride along, so the quarantine path is killed too.
  for (const bad of ['truncated-mid-claim.835', 'non-numeric-amount.835']) {
    copyFileSync(join(BAD_DIR, bad), join(inputDir, `zz-${bad}`));
  }
  reference = tempDir('kill-ref');
  const started = performance.now();
  let firstObject = 0;
  const poll = setInterval(() => {
    if (firstObject === 0 && existsSync(join(reference, 'adjustments'))) firstObject = performance.now();
  }, 2);
  referenceRun = await runIngest([inputDir], reference);
  clearInterval(poll);
  expect(referenceRun.code, referenceRun.stderr).toBe(0);
  commitWindowMs = Math.max(20, started + referenceRun.ms - (firstObject || started));
  comparer = await LakeComparer.open(reference);
});

afterAll(() => {
  comparer?.close();
  cleanup(inputDir, reference, ...scratch);
});

describe('faults: SIGKILL during ingest', () => {
  it('the clean reference run holds every readable remittance completely', async () => {
    const files = readdirSync(inputDir)
      .filter((n) => !n.endsWith('.json'))
      .sort()
      .map((n) => ({ path: join(inputDir, n), key: join(inputDir, n) }));
    const expected = expectedRemits(files);
    const lake = await remitCounts(reference);
    expect(lake.size).toBe(expected.size);
    expect(expected.size).toBeGreaterThan(30);
    for (const [id, r] of expected) {
      expect(lake.get(id)?.claims).toBe(r.claims.length);
      expect(lake.get(id)?.adjustments).toBe(r.adjustments.length);
    }
    const summary = JSON.parse(referenceRun.stdout) as { quarantined: number };
    expect(summary.quarantined).toBe(2);
  });

  it(`${ITERATIONS} kills at seeded random points: nothing partial visible, rerun = clean lake`, async () => {
    const random = prng(20_241_122);
    const stats = {
      kills: 0,
      exitedBeforeKill: 0,
      midCommit: 0,
      orphansSeen: 0,
      rowsLost: 0,
      rowsDoubled: 0,
    };
    const referenceKeys = lakeObjectKeys(reference);
    expect(referenceKeys.every((k) => k.endsWith('.parquet'))).toBe(true);
    const iteration = async (i: number, inCommitWindow: boolean) => {
      const lake = tempDir(`kill-${i}`);
      scratch.push(lake);
      // Anywhere in the run, or inside the commit window (after the first object).
      const plan = !inCommitWindow
        ? { afterMs: Math.floor(random() * referenceRun.ms) }
        : { whenExists: join(lake, 'adjustments'), afterMs: Math.floor(random() * commitWindowMs) };
      const run = await runIngest([inputDir], lake, plan);
      if (run.killed) stats.kills++;
      else {
        stats.exitedBeforeKill++;
        expect(run.code, run.stderr).toBe(0);
      }

      const torn = (await Promise.all(LAKE_TABLES.map((t) => unreadableParquet(join(lake, t))))).flat();
      expect(torn, `iteration ${i}: unreadable Parquet`).toEqual([]);
      const after = await comparer.diff(lake);
      expect(after.extra, `iteration ${i}: rows not in the reference`).toEqual({
        remittances: 0,
        claims: 0,
        adjustments: 0,
      });
      expect(after.missingOfCommitted, `iteration ${i}: a committed remittance is incomplete`).toEqual({
        remittances: 0,
        claims: 0,
        adjustments: 0,
      });
      expect(after.extraRaw, `iteration ${i}: a file on disk differs from the reference`).toEqual({
        remittances: 0,
        claims: 0,
        adjustments: 0,
      });
      if (after.committed > 0 && after.committed < after.referenceRemittances) stats.midCommit++;
      if (after.orphans > 0) stats.orphansSeen++;

      const rerun = await runIngest([inputDir], lake);
      expect(rerun.code, rerun.stderr).toBe(0);
      const final = await comparer.diff(lake);
      const zero = { remittances: 0, claims: 0, adjustments: 0 };
      expect({
        extra: final.extra,
        missing: final.missing,
        extraRaw: final.extraRaw,
        orphans: final.orphans,
      }).toEqual({
        extra: zero,
        missing: zero,
        extraRaw: zero,
        orphans: 0,
      });
      const keys = lakeObjectKeys(lake);
      expect(keys.filter((k) => k.endsWith('.parquet') && !/^[._]/.test(k.split('/').pop() ?? ''))).toEqual(
        referenceKeys,
      );
      // Hidden names (`.` or `_` first) are skipped by every Parquet reader; anything else is litter.
      const visible = keys.filter((k) => !/^[._]/.test(k.split('/').pop() ?? ''));
      litter.push(...visible.filter((k) => !k.endsWith('.parquet')).map((k) => `iteration ${i}: ${k}`));
      stats.rowsLost += Object.values(final.missing).reduce((a, b) => a + b, 0);
      stats.rowsDoubled += Object.values(final.extra).reduce((a, b) => a + b, 0);
      // The unreadable files are quarantined again, whole.
      for (const bad of ['truncated-mid-claim.835', 'non-numeric-amount.835']) {
        const q = readdirSync(join(lake, 'quarantine')).find((n) => n.endsWith(`-zz-${bad}`));
        expect(q, bad).toBeDefined();
        expect(readFileSync(join(lake, 'quarantine', q as string))).toEqual(readFileSync(join(BAD_DIR, bad)));
      }
      cleanup(lake);
    };
    // Even iterations: anywhere in the run. Odd: inside the commit window.
    for (let i = 0; i < ITERATIONS; i++) await iteration(i, i % 2 === 1);
    // On a loaded machine the commit window can be missed by chance: kill inside it again until
    // three commits were torn (the loop must prove something about them), at most 12 more times.
    for (let extra = 0; stats.midCommit + stats.orphansSeen < 3 && extra < 12; extra++)
      await iteration(ITERATIONS + extra, true);
    console.log(`[faults] SIGKILL loop: ${JSON.stringify(stats)}`);
    // Timing varies with load: a run may finish before its kill; most must not.
    expect(stats.kills).toBeGreaterThanOrEqual(ITERATIONS / 2);
    // The loop must have torn real commits, or it proves nothing about them.
    expect(stats.midCommit + stats.orphansSeen).toBeGreaterThanOrEqual(3);
  }, 360_000);

  /**
   * A kill between writing a temporary object and renaming it leaves `<remit>.parquet.tmp-<pid>-…`
   * (a torn Parquet) inside a partition folder, and no later run removes it. DuckDB's `*.parquet`
   * glob skips it, but readers that list a partition folder (Spark, pyarrow datasets, Athena over a
   * synced copy) take every file whose name does not start with `.` or `_`.
   */
  it('leaves no visible temporary or torn file inside the lake table folders', () => {
    expect(litter).toEqual([]);
  });

  it(`two processes ingesting the same files at once write one copy (${CONCURRENT_ROUNDS} rounds)`, async () => {
    const random = prng(77);
    for (let round = 0; round < CONCURRENT_ROUNDS; round++) {
      const lake = tempDir(`concurrent-${round}`);
      scratch.push(lake);
      const stagger = Math.floor(random() * 300);
      const [a, b] = await Promise.all([
        runIngest([inputDir], lake),
        new Promise<IngestRun>((resolve) => setTimeout(() => resolve(runIngest([inputDir], lake)), stagger)),
      ]);
      expect(a.code, a.stderr).toBe(0);
      expect(b.code, b.stderr).toBe(0);
      const diff = await comparer.diff(lake);
      const zero = { remittances: 0, claims: 0, adjustments: 0 };
      expect({ extra: diff.extra, missing: diff.missing, extraRaw: diff.extraRaw }).toEqual({
        extra: zero,
        missing: zero,
        extraRaw: zero,
      });
      expect(lakeObjectKeys(lake)).toEqual(lakeObjectKeys(reference));
      cleanup(lake);
    }
  });
});

describe('faults: SIGKILL during compaction, and compaction beside ingest', () => {
  const zero = { remittances: 0, claims: 0, adjustments: 0 };

  it(`${COMPACT_ITERATIONS} kills of recoup compact at seeded points: readable, nothing lost or doubled; a rerun completes it`, async () => {
    // A clean compaction of a copy of the reference: its time, and the window after its first object.
    const probe = tempDir('compact-probe');
    scratch.push(probe);
    cpSync(reference, probe, { recursive: true });
    let firstObject = 0;
    const started = performance.now();
    const poll = setInterval(() => {
      if (firstObject === 0 && existsSync(join(probe, 'compacted'))) firstObject = performance.now();
    }, 2);
    const clean = await runCompact(probe);
    clearInterval(poll);
    expect(clean.code, clean.stderr).toBe(0);
    expect(compactedLayoutProblems(probe)).toEqual([]);
    expect(await comparer.diffVisible(probe)).toEqual({ extra: zero, missing: zero });
    const window = Math.max(20, started + clean.ms - (firstObject || started));

    const random = prng(20_261_205);
    const stats = {
      kills: 0,
      exitedBeforeKill: 0,
      leftStaged: 0,
      leftCompacted: 0,
      rowsLost: 0,
      rowsDoubled: 0,
    };
    for (let i = 0; i < COMPACT_ITERATIONS; i++) {
      const lake = tempDir(`compact-kill-${i}`);
      scratch.push(lake);
      cpSync(reference, lake, { recursive: true });
      // Even: anywhere in the run. Odd: after the first compacted object exists (writes, switch, cleanup).
      const plan =
        i % 2 === 0
          ? { afterMs: Math.floor(random() * clean.ms) }
          : { whenExists: join(lake, 'compacted'), afterMs: Math.floor(random() * window) };
      const run = await runCompact(lake, plan);
      if (run.killed) stats.kills++;
      else {
        stats.exitedBeforeKill++;
        expect(run.code, run.stderr).toBe(0);
      }
      // Readers skip hidden folders (`.staging`, where DuckDB writes before a file is moved in).
      const torn = (
        await Promise.all([...LAKE_TABLES, 'compacted'].map((t) => unreadableParquet(join(lake, t))))
      ).flat();
      expect(torn, `iteration ${i}: unreadable Parquet`).toEqual([]);
      const after = await comparer.diffVisible(lake);
      expect(after, `iteration ${i}: what readers see after the kill`).toEqual({
        extra: zero,
        missing: zero,
      });
      const problems = compactedLayoutProblems(lake);
      if (problems.some((p) => p.startsWith('staged'))) stats.leftStaged++;
      if (parquetFiles(join(lake, 'compacted')).length > 0 && problems.length > 0) stats.leftCompacted++;

      const rerun = await runCompact(lake);
      expect(rerun.code, rerun.stderr).toBe(0);
      const final = await comparer.diffVisible(lake);
      stats.rowsLost += Object.values(final.missing).reduce((a, b) => a + b, 0);
      stats.rowsDoubled += Object.values(final.extra).reduce((a, b) => a + b, 0);
      expect(final, `iteration ${i}: after the rerun`).toEqual({ extra: zero, missing: zero });
      expect(compactedLayoutProblems(lake), `iteration ${i}: layout after the rerun`).toEqual([]);
      if (i % 3 === 0) {
        // Every file delivered again after the compaction is a duplicate.
        const again = await runIngest([inputDir], lake);
        expect(again.code, again.stderr).toBe(0);
        const summary = JSON.parse(again.stdout) as {
          remittances_written: number;
          duplicates: number;
          transactions: number;
        };
        expect(summary.remittances_written).toBe(0);
        expect(summary.duplicates).toBe(summary.transactions);
      }
      cleanup(lake);
    }
    console.log(`[faults] SIGKILL compaction loop: ${JSON.stringify(stats)}`);
    expect(stats.kills).toBeGreaterThanOrEqual(COMPACT_ITERATIONS / 2);
    // Kills must have landed mid-compaction (a half-done lake), or the loop proves nothing.
    expect(stats.leftStaged + stats.leftCompacted).toBeGreaterThanOrEqual(2);
  }, 300_000);

  it(`ingest and compaction running at once lose nothing (${COMPACT_CONCURRENT_ROUNDS} rounds)`, async () => {
    // Half the files are in the lake; the other half arrive while it is compacted.
    const names = readdirSync(inputDir)
      .filter((n) => !n.endsWith('.json'))
      .sort();
    const half = tempDir('compact-half');
    scratch.push(half);
    mkdirSync(half, { recursive: true });
    for (const n of names.filter((_, i) => i % 2 === 0)) copyFileSync(join(inputDir, n), join(half, n));
    // The first half was read from other paths, and a re-delivered transaction keeps the envelope
    // of the copy that arrived first: compare everything but the source and envelope columns.
    const byContent = await LakeComparer.open(reference, [
      'source_key',
      'source_sha256',
      'interchange_control',
      'transaction_control',
    ]);
    const random = prng(5_150);
    for (let round = 0; round < COMPACT_CONCURRENT_ROUNDS; round++) {
      const lake = tempDir(`compact-concurrent-${round}`);
      scratch.push(lake);
      const first = await runIngest([half], lake);
      expect(first.code, first.stderr).toBe(0);
      const stagger = Math.floor(random() * 400);
      const [ingest, compaction] = await Promise.all([
        runIngest([inputDir], lake),
        new Promise<IngestRun>((resolve) => setTimeout(() => resolve(runCompact(lake)), stagger)),
      ]);
      expect(ingest.code, ingest.stderr).toBe(0);
      expect(compaction.code, compaction.stderr).toBe(0);
      expect(await byContent.diffVisible(lake), `round ${round}`).toEqual({ extra: zero, missing: zero });
      const last = await runCompact(lake);
      expect(last.code, last.stderr).toBe(0);
      expect(await byContent.diffVisible(lake), `round ${round}, compacted`).toEqual({
        extra: zero,
        missing: zero,
      });
      expect(compactedLayoutProblems(lake)).toEqual([]);
      cleanup(lake);
    }
    byContent.close();
  }, 180_000);
});
