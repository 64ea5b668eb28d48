import type { Context } from 'aws-lambda';
import { s3, sns } from '../../adapters/awsClients.ts';
import { S3ObjectStore } from '../../adapters/s3ObjectStore.ts';
import { SnsSink } from '../../adapters/sinks/snsSink.ts';
import { lambdaSyncOptions } from '../lambdaSyncOptions.ts';
import {
  dropOtherCopies,
  type FanoutGroup,
  type FanoutMergeResult,
  type FanoutPartitionResult,
  type FanoutPlan,
  planFanout,
  runFanoutMerge,
  runFanoutPartition,
} from '../modelsFanout.ts';
import { type ModelsJobResult, runModelsJob } from '../modelsJob.ts';
import { createObservability, observed, SERVICES } from '../observability.ts';

// Created once per container: Powertools, the traced SDK clients, the store and the sink are reused.
const observability = createObservability(SERVICES.models);
const lake = new S3ObjectStore(requiredEnv('LAKE_BUCKET'), {
  prefix: process.env.LAKE_PREFIX ?? '',
  client: observability.tracer.captureAWSv3Client(s3),
});
const sinks = [
  new SnsSink(
    requiredEnv('ALERT_TOPIC_ARN'),
    observability.tracer.captureAWSv3Client(sns),
    process.env.REPORT_LOCATION || undefined,
  ),
];

/**
 * The models function's events: the single job (scheduled by EventBridge or on demand: `{}` or
 * `{ asOf }`), or a step of the fan-out state machine (`step`: plan, then partition per payer
 * group, then merge; functions/aws/modelsFanout.ts).
 */
export type ModelsEvent =
  | { step?: undefined; asOf?: string }
  | { step: 'plan'; jobs?: number; asOf?: string }
  | ({ step: 'partition' } & FanoutGroup)
  | { step: 'merge'; run: string; asOf: string; appealsAsOf: string; partitions: { prefix: string }[] };

type ModelsResult = ModelsJobResult | FanoutPlan | FanoutPartitionResult | FanoutMergeResult;

/** Sync the lake files a step needs to /tmp, build with DuckDB, write marts, publish new alerts. */
export async function handler(event: ModelsEvent = {}, context?: Context): Promise<ModelsResult> {
  return observed<ModelsResult>(observability, context, async (): Promise<ModelsResult> => {
    const scratch = process.env.RECOUP_SCRATCH ?? '/tmp/recoup';
    const deps = { lake, scratch, log: observability.log, sync: lambdaSyncOptions(context) };
    const asOf = typeof event?.asOf === 'string' ? { asOf: event.asOf } : {};
    switch (event?.step) {
      case undefined:
        await dropOtherCopies(scratch, 'lake');
        return runModelsJob({
          lake,
          localDir: `${scratch}/lake`,
          sinks,
          log: observability.log,
          metric: observability.metric,
          sync: deps.sync,
          ...asOf,
        });
      case 'plan':
        return planFanout(deps, {
          jobs: event.jobs ?? Number(process.env.RECOUP_FANOUT_GROUPS ?? 8),
          ...asOf,
        });
      case 'partition':
        return runFanoutPartition(deps, event);
      case 'merge':
        return runFanoutMerge({ ...deps, sinks }, event);
      default:
        throw new Error(`unknown models step: ${JSON.stringify((event as { step?: unknown }).step)}`);
    }
  });
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}
