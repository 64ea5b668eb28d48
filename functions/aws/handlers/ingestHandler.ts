import type { Context, SQSBatchResponse } from 'aws-lambda';
import { s3, sns } from '../../adapters/awsClients.ts';
import { S3ObjectStore } from '../../adapters/s3ObjectStore.ts';
import { processIngestEvent } from '../ingestEvent.ts';
import { createObservability, observed, SERVICES } from '../observability.ts';
import { quarantinePublishCommand } from '../quarantineNotice.ts';

// Created once per container: Powertools, the traced SDK clients and the stores are reused.
const observability = createObservability(SERVICES.ingest);
const s3Client = observability.tracer.captureAWSv3Client(s3);
const snsClient = observability.tracer.captureAWSv3Client(sns);
const lake = new S3ObjectStore(requiredEnv('LAKE_BUCKET'), {
  prefix: process.env.LAKE_PREFIX ?? '',
  client: s3Client,
});
const topicArn = requiredEnv('ALERT_TOPIC_ARN');
const sources = new Map<string, S3ObjectStore>();

/** SQS (S3 ObjectCreated notifications) → ingest into the Parquet lake; partial batch failures. */
export async function handler(event: unknown, context?: Context): Promise<SQSBatchResponse> {
  return observed(observability, context, () =>
    processIngestEvent(event, {
      lake,
      source: (bucket) => {
        let store = sources.get(bucket);
        if (store === undefined) {
          store = new S3ObjectStore(bucket, { client: s3Client });
          sources.set(bucket, store);
        }
        return store;
      },
      scratch: process.env.RECOUP_SCRATCH ?? '/tmp/recoup',
      log: observability.log,
      metric: observability.metric,
      notify: async (notice) => {
        await snsClient.send(quarantinePublishCommand(topicArn, notice));
      },
      lakeLocation: lake.location,
      ...(context ? { context } : {}),
    }),
  );
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}
