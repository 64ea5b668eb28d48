import type { DuckDBConnection } from '@duckdb/node-api';
import { buildDuckDbModels } from '../adapters/duckdb/buildDuckDbModels.ts';
import { duckDbWarehouse } from '../adapters/duckdb/duckDbWarehouse.ts';
import { loadModels } from '../adapters/localModelFiles.ts';
import type { RunBacktestInput } from '../forecast/runBacktest.ts';
import { defaultModelsConfig, type ModelsConfig } from '../models/modelsConfig.ts';

/**
 * The backtest's ports over one DuckDB connection: the warehouse it reads, and the model layer
 * (staging and intermediate, every mart skipped, so nothing is written) built over the lake.
 */
export function duckDbBacktest(
  db: DuckDBConnection,
  lakeDir: string,
  config: ModelsConfig = defaultModelsConfig(),
): Pick<RunBacktestInput, 'warehouse' | 'buildModelLayer' | 'models'> {
  const models = loadModels();
  const marts = new Set(models.filter((m) => m.layer === 'marts').map((m) => m.name));
  return {
    models,
    warehouse: duckDbWarehouse(db),
    buildModelLayer: async (asOf?: string) => {
      await buildDuckDbModels({
        db,
        lakeDir,
        config,
        models,
        skipMarts: marts,
        ...(asOf === undefined ? {} : { asOf }),
      });
    },
  };
}
