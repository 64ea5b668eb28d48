/**
 * Compaction, measured: a corpus is ingested into a staged lake once; then, round by round, a copy
 * of it is compacted by `recoup compact` (a process of its own, timed from start to exit), and the
 * same aggregate query is timed over the staged copy and the compacted one, in turn. Reports
 * compaction throughput (staged MB and rows per second), the lake's size and file count before
 * and after, and the query time on each. Medians of the rounds.
 *
 *   node --import tsx bench/lakeCompaction.ts [--corpus DIR] [--rounds N] [--json]
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..');

function recoup(args: string[]): { stdout: string; seconds: number } {
  const started = performance.now();
  const stdout = execFileSync(process.execPath, [join(root, 'bin/recoup.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  return { stdout, seconds: (performance.now() - started) / 1000 };
}

/** Parquet files and their bytes under the lake's tables and compacted layer (hidden folders left out). */
function lakeSize(lake: string): { files: number; megabytes: number } {
  let files = 0;
  let bytes = 0;
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const full = join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith('.parquet')) {
        files++;
        bytes += statSync(full).size;
      }
    }
  };
  for (const top of ['remittances', 'claims', 'adjustments', 'compacted']) walk(join(lake, top));
  return { files, megabytes: +(bytes / 1e6).toFixed(2) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const QUERY = `SELECT payer_id, payment_month, category, sum(amount) AS amount, count(*) AS n
               FROM adjustments GROUP BY ALL ORDER BY ALL`;

export interface CompactionBench {
  corpusMegabytes: number;
  rounds: number;
  staged: { files: number; megabytes: number };
  compacted: { files: number; megabytes: number };
  rows: { remittances: number; claims: number; adjustments: number };
  compactSeconds: number;
  compactSecondsRounds: number[];
  /** Staged megabytes read per second of `recoup compact` (its whole process). */
  compactMBs: number;
  /** Rows (all three tables) per second. */
  compactRowsPerSecond: number;
  /** `recoup query` of an aggregate over adjustments, whole process, on each lake. */
  querySeconds: { staged: number; compacted: number };
}

export function benchCompaction(
  corpusDir: string,
  options: { rounds: number; work: string; log: (line: string) => void },
): CompactionBench {
  const corpusBytes = readdirSync(corpusDir)
    .filter((n) => !n.endsWith('.json'))
    .reduce((n, f) => n + statSync(join(corpusDir, f)).size, 0);
  const staged = join(options.work, `lake-compaction-staged-${Math.round(corpusBytes / 1e6)}mb`);
  if (!existsSync(join(staged, 'remittances'))) {
    rmSync(staged, { recursive: true, force: true });
    options.log(`compaction: ingesting ${(corpusBytes / 1e6).toFixed(1)} MB into a staged lake …`);
    recoup(['ingest', corpusDir, '--lake', staged, '--json']);
  }
  const before = lakeSize(staged);
  const copy = join(options.work, 'lake-compaction-run');
  const compactSeconds: number[] = [];
  const queryStaged: number[] = [];
  const queryCompacted: number[] = [];
  let after = before;
  let rows = { remittances: 0, claims: 0, adjustments: 0 };
  let stagedMegabytes = 0;
  let answer = '';
  options.log(`compaction: ${before.files} staged files, ${before.megabytes} MB; ${options.rounds} rounds`);
  for (let round = 0; round < options.rounds; round++) {
    rmSync(copy, { recursive: true, force: true });
    cpSync(staged, copy, { recursive: true });
    // Staged query and compaction in turn, the order swapped every other round.
    const queryStagedNow = () => {
      const q = recoup(['query', '--lake', staged, QUERY, '--format', 'csv']);
      queryStaged.push(q.seconds);
      return q.stdout;
    };
    let stagedAnswer = '';
    if (round % 2 === 0) stagedAnswer = queryStagedNow();
    const run = recoup(['compact', '--lake', copy, '--json']);
    if (round % 2 === 1) stagedAnswer = queryStagedNow();
    compactSeconds.push(run.seconds);
    const summary = JSON.parse(run.stdout) as {
      rows_written: typeof rows;
      staged_bytes_read: number;
    };
    rows = summary.rows_written;
    stagedMegabytes = summary.staged_bytes_read / 1e6;
    after = lakeSize(copy);
    const q = recoup(['query', '--lake', copy, QUERY, '--format', 'csv']);
    queryCompacted.push(q.seconds);
    // The same numbers from both lakes, or the measurement is of the wrong thing.
    if (q.stdout !== stagedAnswer) throw new Error('compacted lake answers differently from the staged lake');
    answer = q.stdout;
  }
  rmSync(copy, { recursive: true, force: true });
  const seconds = median(compactSeconds);
  const totalRows = rows.remittances + rows.claims + rows.adjustments;
  const result: CompactionBench = {
    corpusMegabytes: +(corpusBytes / 1e6).toFixed(1),
    rounds: options.rounds,
    staged: before,
    compacted: after,
    rows,
    compactSeconds: +seconds.toFixed(2),
    compactSecondsRounds: compactSeconds.map((s) => +s.toFixed(2)),
    compactMBs: +(stagedMegabytes / seconds).toFixed(1),
    compactRowsPerSecond: Math.round(totalRows / seconds),
    querySeconds: { staged: +median(queryStaged).toFixed(2), compacted: +median(queryCompacted).toFixed(2) },
  };
  options.log(
    `  compact: ${result.compactSeconds} s (${result.compactMBs} MB/s staged, ${result.compactRowsPerSecond} rows/s); ` +
      `lake ${before.files} files ${before.megabytes} MB → ${after.files} files ${after.megabytes} MB; ` +
      `query ${result.querySeconds.staged} s → ${result.querySeconds.compacted} s (${answer.split('\n').length - 2} groups)`,
  );
  return result;
}

if (process.argv[1] === import.meta.filename) {
  const { values } = parseArgs({
    options: { corpus: { type: 'string' }, rounds: { type: 'string' }, json: { type: 'boolean' } },
  });
  const work = join(root, '.bench');
  const result = benchCompaction(values.corpus ?? join(work, 'corpus-8mb'), {
    rounds: Number(values.rounds ?? 3),
    work,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
