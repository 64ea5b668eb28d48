import type { Context } from 'aws-lambda';
import { s3, sns } from '../adapters/awsClients.ts';
import { S3ObjectStore } from '../adapters/s3ObjectStore.ts';
import { SnsSink } from '../alerts/snsSink.ts';
import { lambdaSyncOptions } from '../aws/lambdaSyncOptions.ts';
import { type ModelsJobResult, runModelsJob } from '../aws/modelsJob.ts';
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

/** Scheduled (EventBridge) or on demand: sync the lake to /tmp, build the marts, publish new alerts. */
export async function handler(event: { asOf?: string } = {}, context?: Context): Promise<ModelsJobResult> {
  return observed(observability, context, () =>
    runModelsJob({
      lake,
      localDir: `${process.env.RECOUP_SCRATCH ?? '/tmp/recoup'}/lake`,
      sinks,
      log: observability.log,
      metric: observability.metric,
      sync: lambdaSyncOptions(context),
      ...(typeof event?.asOf === 'string' ? { asOf: event.asOf } : {}),
    }),
  );
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}
