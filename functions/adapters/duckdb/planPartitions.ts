import { type PartitionPlan, planPartitionsIn } from '../../models/planPartitions.ts';
import { duckDbModelWarehouse } from './duckDbModelWarehouse.ts';
import { openDuckDb } from './openDuckDb.ts';

/**
 * Plans a build partitioned by payer over a local lake (planPartitionsIn, in a DuckDB of one
 * thread: the remittances are small).
 */
export async function planPartitions(options: {
  lakeDir: string;
  jobs: number;
  asOf?: string;
}): Promise<PartitionPlan> {
  const db = await openDuckDb({ threads: 1 });
  try {
    return await planPartitionsIn(duckDbModelWarehouse(db), options);
  } finally {
    db.closeSync();
  }
}
