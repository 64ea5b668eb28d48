import type { SQSBatchResponse } from 'aws-lambda';
import { s3 } from '../adapters/awsClients.ts';
import { S3ObjectStore } from '../adapters/s3ObjectStore.ts';
import { processIngestEvent } from '../aws/ingestEvent.ts';

// Created once per container: the SDK client and stores are reused across invocations.
const lake = new S3ObjectStore(requiredEnv('LAKE_BUCKET'), {
  prefix: process.env.LAKE_PREFIX ?? '',
  client: s3,
});
const sources = new Map<string, S3ObjectStore>();

/** SQS (S3 ObjectCreated notifications) → ingest into the Parquet lake; partial batch failures. */
export async function handler(event: unknown): Promise<SQSBatchResponse> {
  return processIngestEvent(event, {
    lake,
    source: (bucket) => {
      let store = sources.get(bucket);
      if (store === undefined) {
        store = new S3ObjectStore(bucket, { client: s3 });
        sources.set(bucket, store);
      }
      return store;
    },
    scratch: '/tmp/recoup',
  });
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}
