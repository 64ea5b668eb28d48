import type { Context } from 'aws-lambda';
import { s3, sns } from '../adapters/awsClients.ts';
import { S3ObjectStore } from '../adapters/s3ObjectStore.ts';
import { SnsSink } from '../alerts/snsSink.ts';
import { lambdaSyncOptions } from '../aws/lambdaSyncOptions.ts';
import {
  type FanoutGroup,
  type FanoutMergeResult,
  type FanoutPartitionResult,
  type FanoutPlan,
  planFanout,
  runFanoutMerge,
  runFanoutPartition,
} from '../aws/modelsFanout.ts';
import { createObservability, observed, SERVICES } from '../aws/observability.ts';

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

/** The state machine's steps, one function: `plan`, then `partition` per group (Map), then `merge`. */
export type FanoutEvent =
  | { step: 'plan'; jobs?: number; asOf?: string }
  | ({ step: 'partition' } & FanoutGroup)
  | {
      step: 'merge';
      run: string;
      asOf: string;
      appealsAsOf: string;
      partitions: { prefix: string }[];
    };

export async function handler(
  event: FanoutEvent,
  context?: Context,
): Promise<FanoutPlan | FanoutPartitionResult | FanoutMergeResult> {
  type Result = FanoutPlan | FanoutPartitionResult | FanoutMergeResult;
  return observed<Result>(observability, context, async (): Promise<Result> => {
    const deps = {
      lake,
      scratch: process.env.RECOUP_SCRATCH ?? '/tmp/recoup',
      log: observability.log,
      sync: lambdaSyncOptions(context),
    };
    switch (event.step) {
      case 'plan':
        return planFanout(deps, {
          jobs: event.jobs ?? Number(process.env.RECOUP_FANOUT_GROUPS ?? 8),
          ...(typeof event.asOf === 'string' ? { asOf: event.asOf } : {}),
        });
      case 'partition':
        return runFanoutPartition(deps, event);
      case 'merge':
        return runFanoutMerge({ ...deps, sinks }, event);
      default:
        throw new Error(`unknown fan-out step: ${JSON.stringify((event as { step?: unknown }).step)}`);
    }
  });
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}
