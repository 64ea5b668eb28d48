/**
 * The models bench (BENCHMARKS.md, "Models"): `recoup build` time and peak RSS at 1 M and 10 M
 * adjustment rows over compacted lakes (the steady state: `recoup compact` after ingest), the 10 M
 * lake also as ingest staged it, and 100 M with --models-100m (ten generated corpora in one lake,
 * compacted); the partitioned build's speed-up (--jobs 2 against one process, on the 10 M lake), and
 * an incremental build that adds one week of files to a two-year lake against a full build of the
 * same lake. Every build runs in its own process (peak RSS is per
 * process); the measurements of a round run next to each other and every other round in reverse
 * order, and medians of the rounds are reported, because this machine's speed drifts.
 *
 * Run alone:  node --import tsx bench/models.ts [--quick] [--rounds N] [--models-100m] [--json]
 * or as part of `npm run bench` (bench/run.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

export interface ModelsBenchOptions {
  /** The repository. */
  root: string;
  /** Where inputs are generated and cached (.bench). */
  work: string;
  quick: boolean;
  rounds: number;
  /** Also build the 100 M-row lake (generated, ingested and compacted the first time: about 2 hours and 12 GB of disk). */
  with100m: boolean;
  log: (line: string) => void;
}

interface Run {
  mode: string;
  /** The build inside its process. */
  seconds: number;
  /** The process, from its start to its exit (Node, loading the code, the build). */
  processSeconds: number;
  maxRssMb: number;
  memoryLimit: string;
  detail: Record<string, unknown>;
}

/** The 100 M-row lake: ten corpora of these seeds, each at this generator scale (9.96 M adjustment rows each). */
const SEEDS_100M = [101, 102, 103, 104, 105, 106, 107, 108, 109, 110];
const SCALE_100M = 909;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const round2 = (n: number) => +n.toFixed(2);

export async function runModelsBench(options: ModelsBenchOptions): Promise<Record<string, unknown>> {
  const { root, work, quick, log } = options;
  mkdirSync(work, { recursive: true });
  const recoup = (args: string[]) =>
    execFileSync(process.execPath, [join(root, 'bin/recoup.js'), ...args], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });

  /** Runs one measurement in a process of its own. */
  const measure = (mode: string, lake: string, jobs = 0, memory = ''): Run => {
    const start = performance.now();
    const out = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(root, 'bench/workers/models.ts'), mode, lake, String(jobs), memory],
      { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 },
    );
    const processSeconds = (performance.now() - start) / 1000;
    if (out.status !== 0) throw new Error(`models bench ${mode} ${lake} failed: ${out.stderr}`);
    const run = JSON.parse(out.stdout.trim().split('\n').pop() as string) as Omit<Run, 'processSeconds'>;
    return { ...run, processSeconds };
  };

  /** A generated corpus (cached): the same folders bench/run.ts uses. */
  const corpus = (mb: number, extra: string[] = [], name = `corpus-${mb}mb`): string => {
    const dir = join(work, name);
    if (existsSync(join(dir, 'truth.json'))) return dir;
    rmSync(dir, { recursive: true, force: true });
    const scale = Math.max(1, Math.round(mb / 1.2));
    log(`generating ${name} (scale ${scale}) …`);
    recoup(['generate', '--out', dir, '--seed', '7', '--scale', String(scale), ...extra, '--json']);
    return dir;
  };

  /** A lake of about `rows` adjustment rows (cached), as bench/run.ts builds it. */
  const lakeOf = (rows: number): string => {
    const lake = join(work, `lake-${rows}`);
    if (!existsSync(join(lake, 'remittances'))) {
      const dir = corpus(Math.max(1, Math.round((rows / 11_000) * 1.2)));
      log(`ingesting a ${rows.toLocaleString()}-row lake …`);
      recoup(['ingest', dir, '--lake', lake, '--json']);
    }
    return lake;
  };

  /** A compacted copy (cached) of a staged lake: its files hard-linked, then `recoup compact`. */
  const compactedOf = (staged: string, name: string): string => {
    const lake = join(work, name);
    const done = join(lake, '.bench-compacted');
    if (!existsSync(done)) {
      rmSync(lake, { recursive: true, force: true });
      copyLake(staged, lake);
      log(`compacting ${name} …`);
      recoup(['compact', '--lake', lake, '--json']);
      writeFileSync(done, `${staged}\n`);
    }
    return lake;
  };

  /** The 100 M-row lake (cached): ten corpora of other seeds ingested into one lake, then compacted. */
  const lake100m = (): string => {
    const staged = join(work, 'lake-100m-staged');
    const done = join(staged, '.bench-complete');
    if (!existsSync(done)) {
      for (const seed of SEEDS_100M) {
        const dir = join(work, `corpus-100m-seed${seed}`);
        if (!existsSync(join(dir, 'truth.json'))) {
          rmSync(dir, { recursive: true, force: true });
          log(`generating corpus seed ${seed} (scale ${SCALE_100M}) for the 100 M lake …`);
          recoup(['generate', '--out', dir, '--seed', String(seed), '--scale', String(SCALE_100M), '--json']);
        }
        log(`ingesting corpus seed ${seed} into the 100 M lake …`);
        recoup(['ingest', dir, '--lake', staged, '--json']);
        // The corpus is not needed once ingested (about 1 GB each).
        rmSync(dir, { recursive: true, force: true });
      }
      writeFileSync(done, `${SEEDS_100M.join(',')} scale ${SCALE_100M}\n`);
    }
    return compactedOf(staged, 'lake-100m-compacted');
  };

  const count = (lake: string) =>
    Number(
      JSON.parse(
        recoup(['query', '--lake', lake, 'SELECT count(*) AS n FROM adjustments', '--format', 'json']),
      )[0].n,
    );

  // The sizes: 1 M and 10 M rows (a 200 k lake with --quick), compacted; the largest also staged.
  const sizes = quick ? [200_000] : [1_000_000, 10_000_000];
  const lakes = sizes.map((rows) => ({ rows, lake: compactedOf(lakeOf(rows), `lake-${rows}-compacted`) }));
  const biggest = lakes[lakes.length - 1] as { rows: number; lake: string };
  const biggestStaged = lakeOf(biggest.rows);

  // A two-year lake, and the files of its last week, delivered to it before each incremental build.
  const twoYear = twoYearLake(quick ? 8 : 455);
  function twoYearLake(scale: number) {
    const data = corpus(scale * 1.2, ['--weeks', '104'], `corpus-2y-s${scale}`);
    const files = readdirSync(data).filter((n) => n.endsWith('.835'));
    const dates = files.map((n) => /\d{4}-\d{2}-\d{2}/.exec(n)?.[0] ?? '').sort();
    const last = dates[dates.length - 1] as string;
    const monday = new Date(Date.parse(`${last}T00:00:00Z`));
    monday.setUTCDate(monday.getUTCDate() - ((monday.getUTCDay() + 6) % 7));
    const lastWeek = monday.toISOString().slice(0, 10);
    const week = files.filter((n) => (/\d{4}-\d{2}-\d{2}/.exec(n)?.[0] ?? '') >= lastWeek);
    // The lake as it stands before the new week: compacted (the steady state), with its warehouse.
    const staged = join(work, `lake-2y-s${scale}-base`);
    const base = join(work, `lake-2y-s${scale}-compacted-base`);
    if (!existsSync(join(base, '.bench-compacted'))) {
      if (!existsSync(join(staged, 'remittances'))) {
        rmSync(staged, { recursive: true, force: true });
        const before = join(work, `corpus-2y-s${scale}-before`);
        rmSync(before, { recursive: true, force: true });
        mkdirSync(before);
        for (const n of files) if (!week.includes(n)) linkSync(join(data, n), join(before, n));
        log(`ingesting the two-year lake without its last week (${lastWeek}) …`);
        recoup(['ingest', before, '--lake', staged, '--json']);
        rmSync(before, { recursive: true, force: true });
      }
      compactedOf(staged, `lake-2y-s${scale}-compacted-base`);
    }
    // Its warehouse, built (or rebuilt, when the models changed since) before the rounds.
    log('bringing its warehouse up to date …');
    const first = measure('incremental', base);
    log(`  ${first.detail.mode} build of the warehouse: ${first.seconds.toFixed(1)} s`);
    const weekDir = join(work, `corpus-2y-s${scale}-week`);
    if (!existsSync(weekDir)) {
      mkdirSync(weekDir);
      for (const n of week) linkSync(join(data, n), join(weekDir, n));
    }
    return { scale, base, weekDir, lastWeek, weekFiles: week.length };
  }

  /** A fresh copy of the two-year lake with its warehouse, with the last week ingested. */
  const twoYearWithWeek = (): string => {
    const lake = join(work, 'lake-2y-run');
    rmSync(lake, { recursive: true, force: true });
    copyLake(twoYear.base, lake);
    recoup(['ingest', twoYear.weekDir, '--lake', lake, '--json']);
    return lake;
  };

  const rounds: Record<string, Run[]> = {};
  const push = (key: string, run: Run) => {
    rounds[key] ??= [];
    (rounds[key] as Run[]).push(run);
  };
  for (let r = 0; r < options.rounds; r++) {
    log(`  models round ${r + 1} of ${options.rounds} …`);
    const forward = r % 2 === 0;
    const fulls: [string, () => Run][] = [
      ...lakes.map(({ rows, lake }): [string, () => Run] => [`full-${rows}`, () => measure('full', lake)]),
      [`full-${biggest.rows}-staged`, () => measure('full', biggestStaged)],
    ];
    for (const [key, fn] of forward ? fulls : [...fulls].reverse()) push(key, fn());
    // The partitioned build next to a build in one process of the same lake.
    const pair: [string, () => Run][] = [
      [`full-${biggest.rows}-pair`, () => measure('full', biggest.lake)],
      [`jobs-${biggest.rows}`, () => measure('jobs', biggest.lake, 2)],
    ];
    for (const [key, fn] of forward ? pair : [...pair].reverse()) push(key, fn());
    // One new week on a two-year lake: incremental, and a full build of the same lake.
    const lake = twoYearWithWeek();
    const two: [string, () => Run][] = [
      ['incremental-2y', () => measure('incremental', lake)],
      ['full-2y', () => measure('full', lake)],
    ];
    for (const [key, fn] of forward ? two : [...two].reverse()) push(key, fn());
    const last = rounds['incremental-2y']?.at(-1);
    if (last?.detail.mode !== 'incremental')
      throw new Error(
        `the incremental build ran as "${last?.detail.mode}" (${last?.detail.reason}), not incremental`,
      );
    rmSync(lake, { recursive: true, force: true });
  }

  const summary = (key: string) => {
    const runs = rounds[key] as Run[];
    return {
      seconds: round2(median(runs.map((x) => x.seconds))),
      processSeconds: round2(median(runs.map((x) => x.processSeconds))),
      peakRssMb: Math.max(...runs.map((x) => x.maxRssMb)),
      memoryLimit: runs[0]?.memoryLimit,
      roundSeconds: runs.map((x) => round2(x.seconds)),
      detail: runs[runs.length - 1]?.detail,
    };
  };
  const perRound = (a: string, b: string) =>
    (rounds[a] as Run[]).map((x, i) => ((rounds[b] as Run[])[i] as Run).seconds / x.seconds);

  const result: Record<string, unknown> = {
    rounds: options.rounds,
    builds: await Promise.all(
      lakes.map(async ({ rows, lake }) => ({
        rows,
        adjustmentRows: count(lake),
        ...summary(`full-${rows}`),
      })),
    ),
    /** The largest lake as ingest staged it (one file per remittance and table), before compaction. */
    staged: { rows: biggest.rows, ...summary(`full-${biggest.rows}-staged`) },
    parallel: {
      rows: biggest.rows,
      jobs: 2,
      oneProcess: summary(`full-${biggest.rows}-pair`),
      partitioned: summary(`jobs-${biggest.rows}`),
      /** Per round, one process's seconds over the partitioned build's; the median. */
      speedup: round2(median(perRound(`jobs-${biggest.rows}`, `full-${biggest.rows}-pair`))),
    },
    incremental: {
      lake: `two years (104 weeks, generator scale ${twoYear.scale}), ${count(twoYear.base).toLocaleString()} adjustment rows before the new week, compacted`,
      newWeek: `${twoYear.lastWeek}: ${twoYear.weekFiles} files`,
      incremental: summary('incremental-2y'),
      full: summary('full-2y'),
      /** Per round, the incremental build's seconds over the full build's; the median. */
      share: round2(median(perRound('full-2y', 'incremental-2y'))),
    },
  };

  if (options.with100m) {
    const lake = lake100m();
    // DuckDB's default memory limit (1.5 GB), what a user gets: with Node's own share and what
    // DuckDB does not count, the process peaks at about 2.2 GB, within the 4 GB.
    log("  100 M rows at DuckDB's default memory limit …");
    const run = measure('full', lake);
    const tenM = (result.builds as { rows: number; seconds: number }[]).find((b) => b.rows === 10_000_000);
    result.build100m = {
      adjustmentRows: count(lake),
      seconds: round2(run.seconds),
      processSeconds: round2(run.processSeconds),
      peakRssMb: run.maxRssMb,
      memoryLimit: run.memoryLimit,
      timesTheTenMillionBuild: tenM === undefined ? null : round2(run.seconds / tenM.seconds),
      detail: run.detail,
    };
  }
  return result;
}

/** Copies a lake: its (immutable) Parquet files as hard links, everything else (the warehouse) as files. */
function copyLake(from: string, to: string): void {
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const source = join(dir, entry.name);
      const target = join(to, relative(from, source));
      if (entry.isDirectory()) {
        if (entry.name === '.warehouse') {
          cpSync(source, target, { recursive: true });
          continue;
        }
        mkdirSync(target, { recursive: true });
        walk(source);
      } else if (entry.name.endsWith('.parquet') && !relative(from, source).startsWith('marts')) {
        mkdirSync(dirname(target), { recursive: true });
        linkSync(source, target);
      } else if (statSync(source).isFile()) {
        cpSync(source, target);
      }
    }
  };
  mkdirSync(to, { recursive: true });
  walk(from);
}

/** Lines of the models bench for the text report. */
export function formatModelsBench(result: Record<string, unknown>): string[] {
  type S = { seconds: number; processSeconds: number; peakRssMb: number; memoryLimit: string };
  const builds = result.builds as (S & { adjustmentRows: number })[];
  const parallel = result.parallel as { jobs: number; oneProcess: S; partitioned: S; speedup: number };
  const inc = result.incremental as { lake: string; newWeek: string; incremental: S; full: S; share: number };
  const line = (label: string, s: S) =>
    `  ${label.padEnd(34)} ${s.seconds.toFixed(2).padStart(7)} s  ${s.processSeconds.toFixed(2).padStart(7)} s  ${String(s.peakRssMb).padStart(6)} MB  (limit ${s.memoryLimit})`;
  const lines = [
    '',
    `Models (medians of ${result.rounds} interleaved rounds; build in its process, whole process, peak RSS):`,
  ];
  for (const b of builds) lines.push(line(`build, ${b.adjustmentRows.toLocaleString()} rows, compacted`, b));
  const staged = result.staged as S;
  lines.push(line(`  the largest lake, staged`, staged));
  lines.push(line(`  same lake, one process`, parallel.oneProcess));
  lines.push(line(`  same lake, --jobs ${parallel.jobs}`, parallel.partitioned));
  lines.push(`  partitioned speed-up: ${parallel.speedup}× (median of per-round ratios)`);
  lines.push(`  ${inc.lake}; new week ${inc.newWeek}`);
  lines.push(line('  full build', inc.full));
  lines.push(line('  incremental build', inc.incremental));
  lines.push(`  incremental / full: ${(inc.share * 100).toFixed(0)}% (median of per-round ratios)`);
  const big = result.build100m as
    | (S & { adjustmentRows: number; timesTheTenMillionBuild: number | null })
    | undefined;
  if (big !== undefined) {
    lines.push(line(`build, ${big.adjustmentRows.toLocaleString()} rows, compacted`, big));
    lines.push(`  100 M / 10 M build time: ${big.timesTheTenMillionBuild}×`);
  }
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      rounds: { type: 'string' },
      'models-100m': { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  const root = resolve(import.meta.dirname, '..');
  const result = await runModelsBench({
    root,
    work: join(root, '.bench'),
    quick: values.quick === true,
    rounds: Number(values.rounds ?? (values.quick ? 1 : 3)),
    with100m: values['models-100m'] === true,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(
    values.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatModelsBench(result).join('\n')}\n`,
  );
}
