import { join } from 'node:path';
import { martContractProblems, martNotNullSql } from '../core/lake/martSchema.ts';
import { MARTS_DIR } from '../core/lake/schema.ts';
import type { ModelWarehouse } from '../ports/modelWarehouse.ts';
import { sqlIdent } from '../ports/warehouse.ts';
import { type Model, ModelError, type ModelLayer } from './loadModels.ts';
import { defaultModelsConfig, type ModelsConfig } from './modelsConfig.ts';
import { orderModels } from './orderModels.ts';
import { registerBuildInputs } from './registerBuildInputs.ts';

/** What building one model did. */
export interface ModelResult {
  name: string;
  layer: ModelLayer;
  grain: string;
  /** view: computed where it is read; table: a temp table; parquet: a mart's file. */
  materialized: 'view' | 'table' | 'parquet';
  /** Rows of a table or mart; null for a view (counting would compute it). */
  rows: number | null;
  ms: number;
  /** The mart's Parquet file. */
  path?: string;
}

export interface BuildModelsOptions {
  /** The warehouse the models run in; the build leaves the lake and mart views and the intermediate tables in it. */
  warehouse: ModelWarehouse;
  /** The models (functions/adapters/localModelFiles.ts loadModels reads the repository's). */
  models: readonly Model[];
  lakeDir: string;
  /** ISO date; default the latest payment date in the lake. */
  asOf?: string;
  /** The date appeal days count to (default: asOf, else today). */
  appealsAsOf?: string;
  config?: ModelsConfig;
  /** Called after each model, in build order. */
  onModel?: (result: ModelResult) => void;
  /** Read only these payers' lake partitions (a partition of a partitioned build). */
  payers?: readonly string[];
  /** Where marts are written, one folder each (default `<lake>/marts`). */
  martsDir?: string;
  /** Marts not to build here (a partitioned build computes them when it merges). */
  skipMarts?: ReadonlySet<string>;
  /** Writes each model's query profile (JSON, with operator timings) to `<dir>/<model>.json`. */
  profileDir?: string;
}

/**
 * Runs the SQL models over a lake in dependency order, in one warehouse. Staging models are views
 * over the lake (they only rename and cast, so a copy would cost a full write of every column),
 * intermediate models temp tables unless their header says `-- materialized: view`, and marts are
 * written with the warehouse's writeMart (`<marts>/<name>/data.parquet`, never half a file). Each
 * mart is checked against the mart contract; afterwards every mart is a view over its file.
 */
export async function buildModels(options: BuildModelsOptions): Promise<ModelResult[]> {
  const { warehouse, lakeDir } = options;
  if (options.asOf !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(options.asOf))
    throw new ModelError(`as-of must be a date YYYY-MM-DD, got "${options.asOf}"`);
  const models = orderModels([...options.models]);
  await warehouse.attachLake(lakeDir, options.payers === undefined ? {} : { payers: options.payers });
  await registerBuildInputs(
    warehouse,
    options.config ?? defaultModelsConfig(),
    options.asOf,
    options.appealsAsOf,
  );
  const martsDir = options.martsDir ?? join(lakeDir, MARTS_DIR);

  const results: ModelResult[] = [];
  for (const model of models) {
    if (model.layer === 'marts' && options.skipMarts?.has(model.name)) continue;
    const started = performance.now();
    if (options.profileDir !== undefined)
      await warehouse.profile(join(options.profileDir, `${model.name}.json`));
    let result: ModelResult;
    try {
      result = await buildModel(warehouse, model, martsDir);
    } catch (error) {
      if (error instanceof ModelError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new ModelError(`model ${model.name} (${model.file}) failed: ${message}`, model.name, model.file);
    } finally {
      if (options.profileDir !== undefined) await warehouse.profile(null);
    }
    result.ms = Math.round(performance.now() - started);
    results.push(result);
    options.onModel?.(result);
  }
  return results;
}

/** Builds one model in the warehouse as its materialization says. */
export async function buildModel(
  warehouse: ModelWarehouse,
  model: Model,
  martsDir: string,
): Promise<ModelResult> {
  const name = sqlIdent(model.name);
  const base = { name: model.name, layer: model.layer, grain: model.grain };
  switch (model.materialized) {
    case 'view':
      await warehouse.run(`CREATE OR REPLACE TEMP VIEW ${name} AS\n${model.sql}\n`);
      return { ...base, materialized: 'view', rows: null, ms: 0 };
    case 'table':
      await warehouse.run(`CREATE OR REPLACE TEMP TABLE ${name} AS\n${model.sql}\n`);
      return { ...base, materialized: 'table', rows: await countRows(warehouse, name), ms: 0 };
    case 'parquet': {
      const path = await warehouse.writeMart(martsDir, model.name, model.sql);
      await warehouse.readMart(model.name, path);
      const described = (await warehouse.query(`DESCRIBE ${name}`)).rows as {
        column_name: string;
        column_type: string;
      }[];
      const problems = martContractProblems(
        model.name,
        described.map((c) => ({ name: c.column_name, duckdbType: c.column_type })),
      );
      if (problems.length > 0)
        throw new ModelError(
          `mart ${model.name} (${model.file}) does not match its contract (functions/core/lake/martSchema.ts): ${problems.join('; ')}`,
          model.name,
          model.file,
        );
      // Its keys are never NULL: the report and the CLI read them as such (MartRow).
      const notNull = martNotNullSql(model.name);
      const nulls =
        notNull === null ? [] : (await warehouse.query(notNull)).rows.map((r) => String(r.column));
      if (nulls.length > 0)
        throw new ModelError(
          `mart ${model.name} (${model.file}) has NULLs in ${nulls.join(', ')}, which its contract (functions/core/lake/martSchema.ts) says are never NULL`,
          model.name,
          model.file,
        );
      return { ...base, materialized: 'parquet', rows: await countRows(warehouse, name), ms: 0, path };
    }
  }
}

async function countRows(warehouse: ModelWarehouse, name: string): Promise<number> {
  const { rows } = await warehouse.query(`SELECT count(*)::BIGINT AS n FROM ${name}`);
  return Number(rows[0]?.n ?? 0);
}
