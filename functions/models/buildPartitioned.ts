import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { MARTS_DIR } from '../adapters/duckdb/lakeViews.ts';
import type { ModelResult } from './buildModels.ts';
import type { BuildPartitionOptions, PartitionResult } from './buildPartition.ts';
import { type BuildResources, buildResources, memorySize, parseMemorySize } from './buildResources.ts';
import { ModelError } from './loadModels.ts';
import { mergePartitions } from './mergePartitions.ts';
import type { ModelsConfig } from './modelsConfig.ts';
import { type PartitionPlan, planPartitions } from './planPartitions.ts';

export interface BuildPartitionedOptions {
  lakeDir: string;
  /** Partitions run at once, each a worker thread with its own DuckDB. */
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
 * the groups (planPartitions), builds each in a worker thread (buildPartition) into a temp folder,
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
    const workers: Worker[] = [];
    const partitions = await Promise.all(
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
        return runInWorker(partition, workers).then((result) => {
          options.onPartition?.(result);
          return result;
        });
      }),
    ).catch(async (error: unknown) => {
      // One partition failed: stop the others before their folder is removed.
      await Promise.all(workers.map((w) => w.terminate()));
      throw error;
    });
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
 * Runs buildPartition in a worker thread. The worker loads TypeScript through tsx, as bin/recoup.js
 * does (a worker does not inherit the main thread's loader).
 */
function runInWorker(options: BuildPartitionOptions, workers: Worker[]): Promise<PartitionResult> {
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./partitionWorker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(boot, { eval: true, workerData: options });
    workers.push(worker);
    let settled = false;
    worker.once(
      'message',
      (message: { ok: true; result: PartitionResult } | { ok: false; error: string }) => {
        settled = true;
        if (message.ok) resolve(message.result);
        else
          reject(new ModelError(`partition of payers ${options.payers.join(', ')} failed: ${message.error}`));
      },
    );
    worker.once('error', (error) => {
      settled = true;
      reject(new ModelError(`partition of payers ${options.payers.join(', ')} failed: ${error.message}`));
    });
    worker.once('exit', (code) => {
      if (!settled)
        reject(
          new ModelError(
            `partition of payers ${options.payers.join(', ')} ended (exit ${code}) without a result`,
          ),
        );
    });
  });
}
