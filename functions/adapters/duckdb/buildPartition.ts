import { mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelResult } from '../../models/buildModels.ts';
import { type BuildResources, buildResources } from '../../models/buildResources.ts';
import type { ModelsConfig } from '../../models/modelsConfig.ts';
import { MERGED_MARTS, type MergeInput } from '../../models/partitionRules.ts';
import { sqlString } from '../../ports/warehouse.ts';
import { buildDuckDbModels } from './buildDuckDbModels.ts';
import { openBuildDuckDb } from './openDuckDb.ts';

/** One partition of a build partitioned by payer. */
export interface BuildPartitionOptions {
  lakeDir: string;
  /** The payers this partition builds (their lake partitions only are read). */
  payers: readonly string[];
  /** Where the partition's outputs go: `marts/<mart>/data.parquet` and `merge/<input>.parquet`. */
  outDir: string;
  /** The as-of date of the whole build (every partition must use the same). */
  asOf: string;
  /** The date appeal days count to, settled once by the plan. */
  appealsAsOf: string;
  config?: ModelsConfig;
  resources?: Partial<BuildResources>;
  sqlDir?: string;
}

/** What a partition wrote. */
export interface PartitionResult {
  payers: string[];
  outDir: string;
  models: ModelResult[];
  /** Merge inputs exported under `outDir/merge/`. */
  exports: string[];
  seconds: number;
  /** Peak resident memory of the process that built it (a local --jobs build: its own process). */
  peakRssMb?: number;
}

/**
 * Builds the models over some payers' lake partitions in a DuckDB of its own: writes those payers'
 * marts under `outDir/marts/` and the inputs of the merged marts (partitionRules.ts) under
 * `outDir/merge/`. The unit of a partitioned build, locally in a child process and on AWS one
 * function per payer group; mergePartitions puts the outputs together.
 */
export async function buildPartition(options: BuildPartitionOptions): Promise<PartitionResult> {
  const started = performance.now();
  const db = await openBuildDuckDb(buildResources(options.resources));
  try {
    const models = await buildDuckDbModels({
      db,
      lakeDir: options.lakeDir,
      asOf: options.asOf,
      appealsAsOf: options.appealsAsOf,
      payers: options.payers,
      martsDir: join(options.outDir, 'marts'),
      skipMarts: new Set(Object.keys(MERGED_MARTS)),
      ...(options.config === undefined ? {} : { config: options.config }),
      ...(options.sqlDir === undefined ? {} : { sqlDir: options.sqlDir }),
    });
    const mergeDir = join(options.outDir, 'merge');
    mkdirSync(mergeDir, { recursive: true });
    const exports: string[] = [];
    for (const input of mergeInputs()) {
      const target = join(mergeDir, `${input.name}.parquet`);
      const temp = `${target}.tmp`;
      await db.run(
        `COPY (${input.sql ?? `select * from ${input.name}`}) TO ${sqlString(temp)} (FORMAT parquet, COMPRESSION zstd)`,
      );
      renameSync(temp, target);
      exports.push(input.name);
    }
    return {
      payers: [...options.payers],
      outDir: options.outDir,
      models,
      exports,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    db.closeSync();
  }
}

/** Every input the merged marts read, once each. */
export function mergeInputs(): MergeInput[] {
  const byName = new Map<string, MergeInput>();
  for (const [mart, inputs] of Object.entries(MERGED_MARTS)) {
    for (const input of inputs) {
      const seen = byName.get(input.name);
      if (seen !== undefined && seen.sql !== input.sql)
        throw new Error(`merge input ${input.name} of ${mart} is exported two different ways`);
      byName.set(input.name, input);
    }
  }
  return [...byName.values()];
}
