import type { DuckDBConnection } from '@duckdb/node-api';
import { type BuildModelsOptions, buildModels, type ModelResult } from '../../models/buildModels.ts';
import type { Model } from '../../models/loadModels.ts';
import { loadModels } from '../localModelFiles.ts';
import { duckDbModelWarehouse } from './duckDbModelWarehouse.ts';

export interface BuildDuckDbModelsOptions extends Omit<BuildModelsOptions, 'warehouse' | 'models'> {
  /** An open connection; the build leaves the lake and mart views and the intermediate tables in it. */
  db: DuckDBConnection;
  /** Folder holding staging/, intermediate/, marts/ (default: the repository's sql/ and feature marts). */
  sqlDir?: string;
  /** The models, when the caller has read them already (else read from sqlDir). */
  models?: readonly Model[];
}

/** Builds the models (functions/models/buildModels.ts) in a DuckDB connection over a folder lake. */
export function buildDuckDbModels(options: BuildDuckDbModelsOptions): Promise<ModelResult[]> {
  const { db, sqlDir, models, ...rest } = options;
  return buildModels({
    ...rest,
    warehouse: duckDbModelWarehouse(db),
    models: models ?? loadModels(sqlDir),
  });
}
