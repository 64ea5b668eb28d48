import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { MARTS_DIR } from '../adapters/duckdb/lakeViews.ts';
import { sqlIdent, sqlString } from '../adapters/duckdb/openDuckDb.ts';
import { registerClosedPeriods } from '../close/closedPeriods.ts';
import { martContractProblems, martNotNullSql } from '../core/lake/martSchema.ts';
import { createBuildLakeViews } from './createBuildLakeViews.ts';
import { loadModels, type Model, ModelError, type ModelLayer, SQL_DIR } from './loadModels.ts';
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
  /** An open connection; the build leaves the lake and mart views and the intermediate tables in it. */
  db: DuckDBConnection;
  lakeDir: string;
  /** ISO date; default the latest payment date in the lake. */
  asOf?: string;
  /** The date appeal days count to (default: asOf, else today). */
  appealsAsOf?: string;
  config?: ModelsConfig;
  /** Called after each model, in build order. */
  onModel?: (result: ModelResult) => void;
  /** Folder holding staging/, intermediate/, marts/ (default: the repository's sql/). */
  sqlDir?: string;
  /** Read only these payers' lake partitions (a partition of a partitioned build). */
  payers?: readonly string[];
  /** Where marts are written, one folder each (default `<lake>/marts`). */
  martsDir?: string;
  /** Marts not to build here (a partitioned build computes them when it merges). */
  skipMarts?: ReadonlySet<string>;
  /** Writes each model's DuckDB query profile (JSON, with operator timings) to `<dir>/<model>.json`. */
  profileDir?: string;
}

/**
 * Runs the SQL models over a local lake in dependency order, in one connection. Staging models
 * are views over the lake (they only rename and cast, so a copy would cost a full write of every
 * column), intermediate models temp tables unless their header says `-- materialized: view`, and
 * marts are written as Parquet to `<marts>/<name>/data.parquet` (written beside it under a temp
 * name, then renamed, so a reader never sees half a file). Afterwards every mart is a view over
 * its Parquet file.
 */
export async function buildModels(options: BuildModelsOptions): Promise<ModelResult[]> {
  const { db, lakeDir } = options;
  if (options.asOf !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(options.asOf))
    throw new ModelError(`as-of must be a date YYYY-MM-DD, got "${options.asOf}"`);
  const models = orderModels(loadModels(options.sqlDir ?? SQL_DIR));
  await createBuildLakeViews(db, lakeDir, options.payers);
  await registerBuildInputs(db, options.config ?? defaultModelsConfig(), options.asOf, options.appealsAsOf);
  await registerClosedPeriods(db, lakeDir);
  const martsDir = options.martsDir ?? join(lakeDir, MARTS_DIR);
  if (options.profileDir !== undefined) mkdirSync(options.profileDir, { recursive: true });

  const results: ModelResult[] = [];
  for (const model of models) {
    if (model.layer === 'marts' && options.skipMarts?.has(model.name)) continue;
    const started = performance.now();
    if (options.profileDir !== undefined) await profileTo(db, join(options.profileDir, `${model.name}.json`));
    let result: ModelResult;
    try {
      result = await buildModel(db, model, martsDir);
    } catch (error) {
      if (error instanceof ModelError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new ModelError(`model ${model.name} (${model.file}) failed: ${message}`, model.name, model.file);
    } finally {
      if (options.profileDir !== undefined) await db.run('PRAGMA disable_profiling');
    }
    result.ms = Math.round(performance.now() - started);
    results.push(result);
    options.onModel?.(result);
  }
  return results;
}

/** Builds one model in the connection as its materialization says. */
export async function buildModel(db: DuckDBConnection, model: Model, martsDir: string): Promise<ModelResult> {
  const name = sqlIdent(model.name);
  const base = { name: model.name, layer: model.layer, grain: model.grain };
  switch (model.materialized) {
    case 'view':
      await db.run(`CREATE OR REPLACE TEMP VIEW ${name} AS\n${model.sql}\n`);
      return { ...base, materialized: 'view', rows: null, ms: 0 };
    case 'table':
      await db.run(`CREATE OR REPLACE TEMP TABLE ${name} AS\n${model.sql}\n`);
      return { ...base, materialized: 'table', rows: await countRows(db, name), ms: 0 };
    case 'parquet': {
      const path = await writeMart(db, martsDir, model.name, model.sql);
      await db.run(`CREATE OR REPLACE TEMP VIEW ${name} AS SELECT * FROM read_parquet(${sqlString(path)})`);
      const described = (await db.runAndReadAll(`DESCRIBE ${name}`)).getRowObjectsJson() as {
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
        notNull === null ? [] : (await db.runAndReadAll(notNull)).getRowObjectsJson().map((r) => r.column);
      if (nulls.length > 0)
        throw new ModelError(
          `mart ${model.name} (${model.file}) has NULLs in ${nulls.join(', ')}, which its contract (functions/core/lake/martSchema.ts) says are never NULL`,
          model.name,
          model.file,
        );
      return { ...base, materialized: 'parquet', rows: await countRows(db, name), ms: 0, path };
    }
  }
}

async function profileTo(db: DuckDBConnection, file: string): Promise<void> {
  await db.run("PRAGMA enable_profiling = 'json'");
  await db.run(`PRAGMA profiling_output = ${sqlString(file)}`);
}

async function countRows(db: DuckDBConnection, name: string): Promise<number> {
  const reader = await db.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM ${name}`);
  return Number(reader.getRowObjectsJson()[0]?.n ?? 0);
}

/** Writes one mart to `<martsDir>/<name>/data.parquet` atomically; returns the path. */
export async function writeMart(
  db: DuckDBConnection,
  martsDir: string,
  name: string,
  sql: string,
): Promise<string> {
  const dir = join(martsDir, name);
  mkdirSync(dir, { recursive: true });
  const target = join(dir, 'data.parquet');
  // Not *.parquet, so the mart view's glob never reads a half-written file.
  const temp = join(dir, `.data.${process.pid}.${Date.now()}.tmp`);
  try {
    await db.run(`COPY (\n${sql}\n) TO ${sqlString(temp)} (FORMAT parquet, COMPRESSION zstd)`);
    renameSync(temp, target);
  } finally {
    rmSync(temp, { force: true });
  }
  return target;
}
