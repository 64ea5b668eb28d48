import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MARTS_DIR } from '../../core/lake/schema.ts';
import type { ModelResult } from '../../models/buildModels.ts';
import {
  type BuildResources,
  buildResources,
  memorySize,
  parseMemorySize,
} from '../../models/buildResources.ts';
import { ModelError } from '../../models/loadModels.ts';
import type { ModelsConfig } from '../../models/modelsConfig.ts';
import type { PartitionPlan } from '../../models/planPartitions.ts';
import type { BuildPartitionOptions, PartitionResult } from './buildPartition.ts';
import { mergePartitions } from './mergePartitions.ts';
import { planPartitions } from './planPartitions.ts';

export interface BuildPartitionedOptions {
  lakeDir: string;
  /** Partitions run at once, each a child process with its own DuckDB. */
  jobs: number;
  asOf?: string;
  config?: ModelsConfig;
  /** The whole build's budget: each partition gets memory / jobs and threads / jobs (at least 1). */
  resources?: Partial<BuildResources>;
  sqlDir?: string;
  /** Called when a partition has finished, and with each merged mart. */
  onPartition?: (result: PartitionResult) => void;
  onModel?: (result: ModelResult) => void;
}

export interface PartitionedBuildResult {
  plan: PartitionPlan;
  partitions: PartitionResult[];
  marts: ModelResult[];
  /** Seconds until the last partition finished, and of the merge. */
  partitionSeconds: number;
  mergeSeconds: number;
}

/**
 * `recoup build --jobs N`: the build partitioned by payer group, as the AWS fan-out runs it. Plans
 * the groups (planPartitions), builds each in a child process (buildPartition) into a temp folder,
 * then merges them into `<lake>/marts` (mergePartitions).
 */
export async function buildPartitioned(options: BuildPartitionedOptions): Promise<PartitionedBuildResult> {
  const plan = await planPartitions({
    lakeDir: options.lakeDir,
    jobs: options.jobs,
    ...(options.asOf === undefined ? {} : { asOf: options.asOf }),
  });
  if (plan.groups.length === 0)
    throw new ModelError(`the lake has no remittances to build: ${options.lakeDir}`);
  const whole = buildResources(options.resources);
  const share: Partial<BuildResources> = {
    memoryLimit: memorySize(parseMemorySize(whole.memoryLimit) / plan.groups.length),
    threads: Math.max(1, Math.floor(whole.threads / plan.groups.length)),
  };
  const work = mkdtempSync(join(tmpdir(), 'recoup-partitions-'));
  try {
    const started = performance.now();
    const settled = await Promise.allSettled(
      plan.groups.map((payers, i) => {
        const partition: BuildPartitionOptions = {
          lakeDir: options.lakeDir,
          payers,
          outDir: join(work, `partition-${i}`),
          asOf: plan.asOf,
          appealsAsOf: plan.appealsAsOf,
          resources: {
            ...share,
            ...(whole.tempDirectory === undefined
              ? {}
              : { tempDirectory: join(whole.tempDirectory, `partition-${i}`) }),
          },
          ...(options.config === undefined ? {} : { config: options.config }),
          ...(options.sqlDir === undefined ? {} : { sqlDir: options.sqlDir }),
        };
        return runInProcess(partition).then((result) => {
          options.onPartition?.(result);
          return result;
        });
      }),
    );
    // A failed partition does not stop the others: terminating a worker while DuckDB's native code
    // runs in it aborts the whole process (a C++ Napi::Error), so every worker ends on its own
    // before the first failure is reported and the work folder is removed.
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const partitions = settled.map((s) => (s as PromiseFulfilledResult<PartitionResult>).value);
    const partitionSeconds = (performance.now() - started) / 1000;
    const merging = performance.now();
    const marts = await mergePartitions({
      partitionDirs: partitions.map((p) => p.outDir),
      martsDir: join(options.lakeDir, MARTS_DIR),
      asOf: plan.asOf,
      appealsAsOf: plan.appealsAsOf,
      resources: whole,
      ...(options.config === undefined ? {} : { config: options.config }),
      ...(options.sqlDir === undefined ? {} : { sqlDir: options.sqlDir }),
      ...(options.onModel === undefined ? {} : { onModel: options.onModel }),
    });
    return { plan, partitions, marts, partitionSeconds, mergeSeconds: (performance.now() - merging) / 1000 };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Runs buildPartition in a child process of its own (TypeScript through tsx, as bin/recoup.js
 * loads it). A process, not a worker thread: DuckDB's native code crashed (SIGSEGV, or an uncaught
 * C++ Napi::Error) when two instances in worker threads of one process hit their memory limits,
 * taking the whole build down; a crashed process is one failed partition, reported by its payers.
 */
function runInProcess(options: BuildPartitionOptions): Promise<PartitionResult> {
  const entry = fileURLToPath(new URL('./partitionWorker.ts', import.meta.url));
  const failed = (why: string) => new ModelError(`partition of payers ${options.payers.join(', ')} ${why}`);
  return new Promise((resolve, reject) => {
    const child = fork(entry, [], {
      execArgv: ['--import', import.meta.resolve('tsx')],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let settled = false;
    child.once('message', (message: { ok: true; result: PartitionResult } | { ok: false; error: string }) => {
      settled = true;
      if (message.ok) resolve(message.result);
      else reject(failed(`failed: ${message.error}`));
    });
    child.once('error', (error) => {
      settled = true;
      reject(failed(`failed: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      if (!settled) reject(failed(`ended (${signal ?? `exit ${code}`}) without a result`));
    });
    child.send(options);
  });
}
