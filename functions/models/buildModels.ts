import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { createLakeViews, MARTS_DIR } from '../adapters/duckdb/lakeViews.ts';
import { sqlIdent, sqlString } from '../adapters/duckdb/openDuckDb.ts';
import { registerClosedPeriods } from '../close/closedPeriods.ts';
import { loadModels, ModelError, type ModelLayer, SQL_DIR } from './loadModels.ts';
import { defaultModelsConfig, type ModelsConfig } from './modelsConfig.ts';
import { orderModels } from './orderModels.ts';
import { registerBuildInputs } from './registerBuildInputs.ts';

/** What building one model did. */
export interface ModelResult {
  name: string;
  layer: ModelLayer;
  grain: string;
  /** staging and intermediate → temp table, marts → Parquet file. */
  materialized: 'view' | 'table' | 'parquet';
  rows: number;
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
  config?: ModelsConfig;
  /** Called after each model, in build order. */
  onModel?: (result: ModelResult) => void;
  /** Folder holding staging/, intermediate/, marts/ (default: the repository's sql/). */
  sqlDir?: string;
}

/**
 * Runs the SQL models over a local lake in dependency order, in one connection: staging models
 * and intermediate models as temp tables (the lake is read once), and marts written as Parquet to
 * `<lake>/marts/<name>/data.parquet` (written beside it under a temp name, then renamed, so a
 * reader never sees half a file). Afterwards every mart is a view over its Parquet file.
 */
export async function buildModels(options: BuildModelsOptions): Promise<ModelResult[]> {
  const { db, lakeDir } = options;
  if (options.asOf !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(options.asOf))
    throw new ModelError(`as-of must be a date YYYY-MM-DD, got "${options.asOf}"`);
  const models = orderModels(loadModels(options.sqlDir ?? SQL_DIR));
  await createLakeViews(db, lakeDir);
  await registerBuildInputs(db, options.config ?? defaultModelsConfig(), options.asOf);
  await registerClosedPeriods(db, lakeDir);

  const results: ModelResult[] = [];
  for (const model of models) {
    const started = performance.now();
    const name = sqlIdent(model.name);
    let result: ModelResult;
    try {
      if (model.layer === 'staging' || model.layer === 'intermediate') {
        // Staging is materialized too: the lake's many small files are then read once, not per reference.
        await db.run(`CREATE OR REPLACE TEMP TABLE ${name} AS\n${model.sql}\n`);
        result = { ...base(model), materialized: 'table', rows: await countRows(db, name), ms: 0 };
      } else {
        const path = await writeMart(db, lakeDir, model.name, model.sql);
        await db.run(`CREATE OR REPLACE TEMP VIEW ${name} AS SELECT * FROM read_parquet(${sqlString(path)})`);
        result = { ...base(model), materialized: 'parquet', rows: await countRows(db, name), ms: 0, path };
      }
    } catch (error) {
      if (error instanceof ModelError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new ModelError(`model ${model.name} (${model.file}) failed: ${message}`, model.name, model.file);
    }
    result.ms = Math.round(performance.now() - started);
    results.push(result);
    options.onModel?.(result);
  }
  return results;
}

function base(model: { name: string; layer: ModelLayer; grain: string }) {
  return { name: model.name, layer: model.layer, grain: model.grain };
}

async function countRows(db: DuckDBConnection, name: string): Promise<number> {
  const reader = await db.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM ${name}`);
  return Number(reader.getRowObjectsJson()[0]?.n ?? 0);
}

/** Writes one mart to `<lake>/marts/<name>/data.parquet` atomically; returns the path. */
async function writeMart(db: DuckDBConnection, lakeDir: string, name: string, sql: string): Promise<string> {
  const dir = join(lakeDir, MARTS_DIR, name);
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
