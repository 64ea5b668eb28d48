import type { Context } from 'aws-lambda';
import { s3, sns } from '../../adapters/awsClients.ts';
import { S3ObjectStore } from '../../adapters/s3ObjectStore.ts';
import { createObservability, observed, SERVICES } from '../observability.ts';
import { type ReportLinkMode, runWeeklyDigest, type WeeklyDigestResult } from '../weeklyDigest.ts';

// Created once per container: Powertools, the traced SDK clients and the store are reused.
const observability = createObservability(SERVICES.digest);
const bucket = requiredEnv('LAKE_BUCKET');
const prefix = process.env.LAKE_PREFIX ?? '';
const lake = new S3ObjectStore(bucket, { prefix, client: observability.tracer.captureAWSv3Client(s3) });
const snsClient = observability.tracer.captureAWSv3Client(sns);
const lifetime = Number(process.env.DIGEST_LINK_SECONDS ?? String(7 * 24 * 3600));
const link: ReportLinkMode =
  process.env.DIGEST_LINK === 'console'
    ? { kind: 'console', bucket, prefix: lake.prefix, region: process.env.AWS_REGION ?? 'us-east-1' }
    : { kind: 'presigned', s3, bucket, prefix: lake.prefix, lifetimeSeconds: lifetime };

/** Weekly (EventBridge): the latest digest, with a link to the report, to the alert topic. */
export async function handler(_event: unknown = {}, context?: Context): Promise<WeeklyDigestResult> {
  return observed(observability, context, () =>
    runWeeklyDigest({
      lake,
      sns: snsClient,
      topicArn: requiredEnv('ALERT_TOPIC_ARN'),
      link,
      log: observability.log,
    }),
  );
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}
