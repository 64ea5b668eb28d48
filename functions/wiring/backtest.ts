import type { DuckDBConnection } from '@duckdb/node-api';
import { duckDbWarehouse } from '../adapters/duckdb/duckDbWarehouse.ts';
import type { RunBacktestInput } from '../forecast/runBacktest.ts';
import { buildModels } from '../models/buildModels.ts';
import { loadModels } from '../models/loadModels.ts';
import { defaultModelsConfig, type ModelsConfig } from '../models/modelsConfig.ts';

/**
 * The backtest's ports over one DuckDB connection: the warehouse it reads, and the model layer
 * (staging and intermediate, every mart skipped, so nothing is written) built over the lake.
 */
export function duckDbBacktest(
  db: DuckDBConnection,
  lakeDir: string,
  config: ModelsConfig = defaultModelsConfig(),
): Pick<RunBacktestInput, 'warehouse' | 'buildModelLayer'> {
  const marts = new Set(
    loadModels()
      .filter((m) => m.layer === 'marts')
      .map((m) => m.name),
  );
  return {
    warehouse: duckDbWarehouse(db),
    buildModelLayer: async (asOf?: string) => {
      await buildModels({ db, lakeDir, config, skipMarts: marts, ...(asOf === undefined ? {} : { asOf }) });
    },
  };
}
