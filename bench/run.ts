/**
 * `npm run bench`: parse/ingest throughput side by side with node-x12 and x12-parser on the same
 * generated files, peak memory on one large file, and `recoup build` time at two lake sizes.
 * Every figure is measured in its own process (peak RSS is per process); times are medians.
 *
 *   npm run -s bench -- [--quick] [--json] [--runs N] [--pairs N] [--corpus-mb N] [--big-mb N] [--no-big] [--no-build] [--help]
 *
 * On the corpus, --runs is the number of rounds (each mode once per round, in turn), and --pairs
 * the number of whole-process pairs of the parse cross-check (0: none).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const USAGE = `usage: npm run -s bench -- [options]

Parse and ingest throughput side by side with node-x12 and x12-parser on the same generated
files, peak memory on one large file, and recoup build at two lake sizes (BENCHMARKS.md).

  --quick          an 8 MB corpus, a 64 MB file, one 200k-row build, 3 rounds, 3 pairs
  --runs N         rounds on the corpus, each mode once a round (default 5)
  --pairs N        whole-process pairs of the parse cross-check (default 9; 0: none)
  --corpus-mb N    size of the generated corpus (default 32)
  --big-mb N       size of the single large file (default 500)
  --no-big         skip the large file
  --no-build       skip the models bench
  --models-rounds N  interleaved rounds of the models bench (default 3)
  --models-100m    the models bench also builds 100 M adjustment rows within 4 GB: ten
                   generated corpora in one lake, compacted (made the first time: about 2
                   hours and 12 GB of disk)
  --no-lake        skip the lake writers and compaction (bench/lakeWriters.ts, bench/lakeCompaction.ts)
  --json           print one JSON object with every figure
  --help           this text

Inputs are generated into .bench/ the first time (about 15 minutes for the full run).`;

function options() {
  try {
    return parseArgs({
      options: {
        quick: { type: 'boolean' },
        json: { type: 'boolean' },
        runs: { type: 'string' },
        pairs: { type: 'string' },
        'corpus-mb': { type: 'string' },
        'big-mb': { type: 'string' },
        'no-big': { type: 'boolean' },
        'no-build': { type: 'boolean' },
        'no-lake': { type: 'boolean' },
        'models-rounds': { type: 'string' },
        'models-100m': { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
}

/** A whole number of at least `min` from option `name`, or the default. */
function count(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`bench: --${name} must be a whole number of at least ${min}, not "${text}"\n`);
    process.exit(2);
  }
  return n;
}

const values = options();
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const quick = values.quick === true;
const runs = count('runs', values.runs, quick ? 3 : 5, 1);
const pairs = count('pairs', values.pairs, quick ? 3 : 9, 0);
const corpusMb = count('corpus-mb', values['corpus-mb'], quick ? 8 : 32, 1);
const bigMb = count('big-mb', values['big-mb'], quick ? 64 : 500, 1);
const work = join(root, '.bench');
mkdirSync(work, { recursive: true });

const log = (line: string) => {
  if (!values.json) process.stderr.write(`${line}\n`);
};

interface Measurement {
  mode: string;
  bytes: number;
  seconds: number[];
  maxRssMb: number;
  detail: Record<string, unknown>;
  /** The process's wall time, from its start to its exit. */
  wallSeconds: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function measure(mode: string, files: { path: string; size: number }[], n: number): Measurement {
  const list = join(work, `files-${mode}.json`);
  writeFileSync(list, JSON.stringify(files));
  const start = performance.now();
  const out = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(root, 'bench/workers/measure.ts'), mode, list, String(n)],
    {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    },
  );
  const wallSeconds = (performance.now() - start) / 1000;
  if (out.status !== 0) throw new Error(`${mode} failed: ${out.stderr}`);
  const measurement = JSON.parse(out.stdout.trim().split('\n').pop() as string) as Measurement;
  return { ...measurement, wallSeconds };
}

function listFiles(dir: string): { path: string; size: number }[] {
  return readdirSync(dir)
    .filter((name) => !name.endsWith('.json'))
    .map((name) => ({ path: join(dir, name), size: statSync(join(dir, name)).size }))
    .filter((f) => f.size > 0);
}

function recoup(args: string[]): string {
  return execFileSync(process.execPath, [join(root, 'bin/recoup.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
}

/** Generates a corpus of about `mb` megabytes in many files (cached between runs). */
function corpus(mb: number): string {
  const dir = join(work, `corpus-${mb}mb`);
  if (existsSync(join(dir, 'truth.json'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  // Scale 1 is roughly 1.2 MB (about 1,000 remittances, one file per payer, payee and week).
  const scale = Math.max(1, Math.round(mb / 1.2));
  log(`generating ~${mb} MB corpus (scale ${scale}) …`);
  recoup(['generate', '--out', dir, '--seed', '7', '--scale', String(scale), '--json']);
  return dir;
}

async function bigFile(mb: number): Promise<string> {
  const path = join(work, `big-${mb}mb.835`);
  if (existsSync(path) && statSync(path).size >= mb * 1e6 * 0.95) return path;
  log(`writing one ${mb} MB file …`);
  const { writeLargeFile } = (await import('../functions/generate/index.ts')) as {
    writeLargeFile: (path: string, bytes: number, seed: number) => Promise<unknown>;
  };
  await writeLargeFile(path, mb * 1e6, 11);
  return path;
}

const mbps = (m: Measurement) => m.bytes / 1e6 / median(m.seconds);

/** Runs of a corpus mode in one process: the first warms the JIT up and is not counted. */
const PROCESS_RUNS = 3;

const results: Record<string, unknown> = {
  machine: {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  },
  runs,
};

const corpusDir = corpus(corpusMb);
const files = listFiles(corpusDir);
const corpusBytes = files.reduce((n, f) => n + f.size, 0);
log(`corpus: ${files.length} files, ${(corpusBytes / 1e6).toFixed(1)} MB; ${runs} rounds`);
// Each comparison's two sides run next to each other (parse beside the packages, x12-parser
// beside ingest), and every other round runs in reverse order: this machine's speed drifts, and a
// slow phase that falls between two measurements would otherwise skew their ratio.
const modes = [
  'ours-parse',
  'node-x12',
  'x12-parser',
  'ours-ingest',
  ...(existsSync('/dev/shm') ? ['ours-ingest-tmpfs'] : []),
];
// Rounds, each running every mode once in a process of its own (one warm-up run, then the best
// of the others): ratios are taken round by round and their median reported, with the medians of
// the throughputs.
const rounds: Record<string, Measurement[]> = Object.fromEntries(modes.map((m) => [m, []]));
for (let round = 0; round < runs; round++) {
  log(`  round ${round + 1} of ${runs} …`);
  const order = round % 2 === 0 ? modes : [...modes].reverse();
  for (const mode of order) (rounds[mode] as Measurement[]).push(measure(mode, files, PROCESS_RUNS));
}
/** Seconds of a mode in each round: its best run after the first. */
const steady = (mode: string) => (rounds[mode] as Measurement[]).map((m) => Math.min(...m.seconds.slice(1)));
const throughput = (mode: string) => corpusBytes / 1e6 / median(steady(mode));
/** Per round, the ratio of `theirs` seconds to ours. */
const roundRatios = (ours: string, theirs: (round: number) => number) =>
  steady(ours).map((s, round) => theirs(round) / s);
const ratioOf = (ours: string, theirs: (round: number) => number) =>
  +median(roundRatios(ours, theirs)).toFixed(2);
/** The lowest and highest ratio of a round: how far the machine's drift moved it. */
const ratioRange = (ours: string, theirs: (round: number) => number) => {
  const r = roundRatios(ours, theirs);
  return [+Math.min(...r).toFixed(2), +Math.max(...r).toFixed(2)];
};
/** Per round, the faster package's seconds. */
const fasterPackage = (round: number) =>
  Math.min(steady('node-x12')[round] as number, steady('x12-parser')[round] as number);
const x12Parser = (round: number) => steady('x12-parser')[round] as number;
results.corpus = {
  files: files.length,
  megabytes: +(corpusBytes / 1e6).toFixed(1),
  rounds: runs,
  throughputMBs: Object.fromEntries(modes.map((m) => [m, +throughput(m).toFixed(1)])),
  peakRssMb: Object.fromEntries(
    modes.map((m) => [m, Math.max(...(rounds[m] as Measurement[]).map((r) => r.maxRssMb))]),
  ),
  ratios: {
    parseVsFasterPackage: ratioOf('ours-parse', fasterPackage),
    ingestVsX12ParserTokenize: ratioOf('ours-ingest', x12Parser),
    ...(modes.includes('ours-ingest-tmpfs')
      ? { ingestTmpfsVsX12ParserTokenize: ratioOf('ours-ingest-tmpfs', x12Parser) }
      : {}),
  },
  /** The lowest and highest of each ratio's per-round values. */
  ratioRanges: {
    parseVsFasterPackage: ratioRange('ours-parse', fasterPackage),
    ingestVsX12ParserTokenize: ratioRange('ours-ingest', x12Parser),
    ...(modes.includes('ours-ingest-tmpfs')
      ? { ingestTmpfsVsX12ParserTokenize: ratioRange('ours-ingest-tmpfs', x12Parser) }
      : {}),
  },
  /** Each mode's seconds in each round (its best run after the warm-up), for the spread. */
  roundSeconds: Object.fromEntries(modes.map((m) => [m, steady(m).map((s) => +s.toFixed(3))])),
  detail: Object.fromEntries(modes.map((m) => [m, (rounds[m] as Measurement[])[0]?.detail])),
};

/**
 * The parse ratio timed as whole processes, a cross-check that does not depend on the rounds'
 * best runs: one process parses the corpus WHOLE_PASSES times with our parser, the other once
 * with the faster package, started in turn; each process's wall time runs from its start to its
 * exit (Node's start, loading, reading the files and the JIT's warm-up included on both sides).
 * A pair's ratio is WHOLE_PASSES × theirs / ours; the median of the pairs is reported.
 */
const WHOLE_PASSES = 10;

if (pairs > 0) {
  const faster = throughput('node-x12') >= throughput('x12-parser') ? 'node-x12' : 'x12-parser';
  log(`whole processes: ours (${WHOLE_PASSES} passes) and ${faster} (1 pass) in turn, ${pairs} pairs …`);
  const ratios: number[] = [];
  const oursSeconds: number[] = [];
  const theirsSeconds: number[] = [];
  const oursProcess = () => measure('ours-parse', files, WHOLE_PASSES).wallSeconds;
  const theirsProcess = () => measure(faster, files, 1).wallSeconds;
  for (let pair = 0; pair < pairs; pair++) {
    // Every other pair in reverse order, as the rounds run.
    let ours: number;
    let theirs: number;
    if (pair % 2 === 0) {
      ours = oursProcess();
      theirs = theirsProcess();
    } else {
      theirs = theirsProcess();
      ours = oursProcess();
    }
    oursSeconds.push(+ours.toFixed(3));
    theirsSeconds.push(+theirs.toFixed(3));
    ratios.push((WHOLE_PASSES * theirs) / ours);
  }
  results.wholeProcess = {
    pairs,
    package: faster,
    oursPasses: WHOLE_PASSES,
    parseVsFasterPackage: +median(ratios).toFixed(2),
    ratioRange: [+Math.min(...ratios).toFixed(2), +Math.max(...ratios).toFixed(2)],
    oursSeconds,
    theirsSeconds,
  };
}

if (!values['no-big']) {
  const big = await bigFile(bigMb);
  const bigFiles = [{ path: big, size: statSync(big).size }];
  log(`one large file: ${(bigFiles[0]!.size / 1e6).toFixed(0)} MB`);
  const stream = measure('ours-parse-stream', bigFiles, quick ? 1 : 3);
  log('  ours-ingest (large file) …');
  const ingest = measure('ours-ingest', bigFiles, 1);
  const ingestTmpfs = existsSync('/dev/shm') ? measure('ours-ingest-tmpfs', bigFiles, 1) : undefined;
  results.largeFile = {
    megabytes: +(bigFiles[0]!.size / 1e6).toFixed(0),
    parseStreamMBs: +mbps(stream).toFixed(1),
    parseStreamPeakRssMb: stream.maxRssMb,
    ingestMBs: +mbps(ingest).toFixed(1),
    ingestPeakRssMb: ingest.maxRssMb,
    ...(ingestTmpfs
      ? { ingestTmpfsMBs: +mbps(ingestTmpfs).toFixed(1), ingestTmpfsPeakRssMb: ingestTmpfs.maxRssMb }
      : {}),
    ingestDetail: ingest.detail,
  };
}

if (!values['no-build']) {
  const { runModelsBench } = await import('./models.ts');
  results.models = await runModelsBench({
    root,
    work,
    quick,
    rounds: count('models-rounds', values['models-rounds'], quick ? 1 : 3, 1),
    with100m: values['models-100m'] === true,
    log,
  });
}

if (!values['no-lake']) {
  // The staged lake's Parquet writer against parquet-wasm and hyparquet-writer, and compaction:
  // throughput, lake size and file count before and after (BENCHMARKS.md, "The lake").
  const { benchLakeWriters } = await import('./lakeWriters.ts');
  const { benchCompaction } = await import('./lakeCompaction.ts');
  results.lakeWriters = await benchLakeWriters(corpusDir, { mb: quick ? 2 : 4, rounds: runs, work, log });
  results.compaction = benchCompaction(corpusDir, { rounds: quick ? 1 : 3, work, log });
}

if (values.json) {
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
} else {
  const c = results.corpus as {
    throughputMBs: Record<string, number>;
    peakRssMb: Record<string, number>;
    ratios: Record<string, number>;
    ratioRanges: Record<string, [number, number]>;
  };
  const spread = (name: string) => {
    const range = c.ratioRanges[name];
    return range === undefined ? '' : `, rounds ${range[0]}–${range[1]}×`;
  };
  const lines = [
    '',
    `Throughput on ${files.length} files, ${(corpusBytes / 1e6).toFixed(1)} MB (median of ${runs} rounds):`,
  ];
  for (const m of modes)
    lines.push(
      `  ${m.padEnd(12)} ${String(c.throughputMBs[m]).padStart(8)} MB/s   peak RSS ${c.peakRssMb[m]} MB`,
    );
  lines.push(
    `  parse+normalize vs the faster package: ${c.ratios.parseVsFasterPackage}× (median of per-round ratios${spread('parseVsFasterPackage')})`,
  );
  lines.push(
    `  end-to-end ingest vs x12-parser tokenize-only: ${c.ratios.ingestVsX12ParserTokenize}× (disk${spread('ingestVsX12ParserTokenize')})`,
  );
  if (c.ratios.ingestTmpfsVsX12ParserTokenize !== undefined) {
    lines.push(
      `  end-to-end ingest vs x12-parser tokenize-only: ${c.ratios.ingestTmpfsVsX12ParserTokenize}× (lake on tmpfs${spread('ingestTmpfsVsX12ParserTokenize')})`,
    );
  }
  const w = results.wholeProcess as
    | { pairs: number; package: string; parseVsFasterPackage: number; ratioRange: [number, number] }
    | undefined;
  if (w !== undefined) {
    lines.push(
      `  parse+normalize vs ${w.package}, whole processes (${WHOLE_PASSES} passes against 1): ${w.parseVsFasterPackage}× (median of ${w.pairs} pairs, ${w.ratioRange[0]}–${w.ratioRange[1]}×)`,
    );
  }
  if (results.largeFile) lines.push('', `Large file: ${JSON.stringify(results.largeFile)}`);
  if (results.models)
    lines.push(...(await import('./models.ts')).formatModelsBench(results.models as Record<string, unknown>));
  if (results.lakeWriters) lines.push('', `Lake writers: ${JSON.stringify(results.lakeWriters)}`);
  if (results.compaction) lines.push('', `Compaction: ${JSON.stringify(results.compaction)}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
