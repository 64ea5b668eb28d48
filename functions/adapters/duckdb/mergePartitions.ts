import { join } from 'node:path';
import { buildModel, type ModelResult } from '../../models/buildModels.ts';
import { type BuildResources, buildResources } from '../../models/buildResources.ts';
import { ModelError } from '../../models/loadModels.ts';
import { defaultModelsConfig, type ModelsConfig } from '../../models/modelsConfig.ts';
import { orderModels } from '../../models/orderModels.ts';
import { MERGED_MARTS, PARAMETER_MODELS, RERANKED_MARTS } from '../../models/partitionRules.ts';
import { registerBuildInputs } from '../../models/registerBuildInputs.ts';
import { trailingOrderBy } from '../../models/trailingOrderBy.ts';
import { sqlIdent, sqlString } from '../../ports/warehouse.ts';
import { loadModels, SQL_DIR } from '../localModelFiles.ts';
import { duckDbModelWarehouse } from './duckDbModelWarehouse.ts';
import { openBuildDuckDb } from './openDuckDb.ts';

export interface MergePartitionsOptions {
  /** Output folders of buildPartition, one per payer group. */
  partitionDirs: readonly string[];
  /** Where the merged marts go, one folder each (`<lake>/marts` for a local build). */
  martsDir: string;
  /** The as-of date the partitions were built with. */
  asOf: string;
  /** The date appeal days count to, settled once by the plan. */
  appealsAsOf: string;
  config?: ModelsConfig;
  resources?: Partial<BuildResources>;
  sqlDir?: string;
  onModel?: (result: ModelResult) => void;
}

/**
 * Merges the partitions of a payer-partitioned build into the marts (partitionRules.ts): per-payer
 * marts are the union of the partitions' rows in the mart's own order, ranking columns are
 * recomputed over all payers, and the marts that add up payers run their own SQL over the union of
 * the partitions' additive inputs. The marts equal those of a build in one process.
 */
export async function mergePartitions(options: MergePartitionsOptions): Promise<ModelResult[]> {
  if (options.partitionDirs.length === 0) throw new ModelError('nothing to merge: no partitions');
  const models = loadModels(options.sqlDir ?? SQL_DIR);
  const marts = orderModels(models).filter((m) => m.layer === 'marts');
  const db = await openBuildDuckDb(buildResources(options.resources));
  const warehouse = duckDbModelWarehouse(db);
  try {
    await registerBuildInputs(
      warehouse,
      options.config ?? defaultModelsConfig(),
      options.asOf,
      options.appealsAsOf,
    );
    // The parameter models (int_as_of): from build_params, as every partition built them.
    for (const name of PARAMETER_MODELS) {
      const model = models.find((m) => m.name === name);
      if (model !== undefined) await buildModel(warehouse, model, options.martsDir);
    }
    const files = (path: (dir: string) => string) =>
      `[${options.partitionDirs.map((d) => sqlString(path(d))).join(', ')}]`;
    const results: ModelResult[] = [];
    for (const mart of marts) {
      const started = performance.now();
      let result: ModelResult;
      try {
        const inputs = MERGED_MARTS[mart.name];
        if (inputs !== undefined) {
          const names = new Set(inputs.map((i) => i.name));
          const missing = mart.dependsOn.filter((d) => !names.has(d) && !PARAMETER_MODELS.includes(d));
          if (missing.length > 0)
            throw new ModelError(
              `merging ${mart.name} needs ${missing.join(', ')}: list it among the mart's inputs in partitionRules.ts`,
              mart.name,
              mart.file,
            );
          for (const input of inputs) {
            await db.run(
              `CREATE OR REPLACE TEMP VIEW ${sqlIdent(input.name)} AS
               SELECT * FROM read_parquet(${files((d) => join(d, 'merge', `${input.name}.parquet`))})`,
            );
          }
          result = await buildModel(warehouse, mart, options.martsDir);
        } else {
          const recomputed = RERANKED_MARTS[mart.name] ?? {};
          const replace = Object.entries(recomputed)
            .map(([column, expression]) => `${expression} AS ${sqlIdent(column)}`)
            .join(', ');
          const order = trailingOrderBy(mart.sql);
          const sql = `SELECT *${replace === '' ? '' : ` REPLACE (${replace})`}
            FROM read_parquet(${files((d) => join(d, 'marts', mart.name, 'data.parquet'))})
            ${order === null ? '' : `ORDER BY ${order}`}`;
          result = await buildModel(warehouse, { ...mart, sql }, options.martsDir);
        }
      } catch (error) {
        if (error instanceof ModelError) throw error;
        const message = error instanceof Error ? error.message : String(error);
        throw new ModelError(`merging ${mart.name} failed: ${message}`, mart.name, mart.file);
      }
      result.ms = Math.round(performance.now() - started);
      results.push(result);
      options.onModel?.(result);
    }
    return results;
  } finally {
    db.closeSync();
  }
}
