import { s3, sns } from '../adapters/awsClients.ts';
import { S3ObjectStore } from '../adapters/s3ObjectStore.ts';
import { SnsSink } from '../alerts/snsSink.ts';
import { type ModelsJobResult, runModelsJob } from '../aws/modelsJob.ts';

const lake = new S3ObjectStore(requiredEnv('LAKE_BUCKET'), {
  prefix: process.env.LAKE_PREFIX ?? '',
  client: s3,
});
const sinks = [new SnsSink(requiredEnv('ALERT_TOPIC_ARN'), sns)];

/** Scheduled (EventBridge) or on demand: sync the lake to /tmp, build the marts, publish new alerts. */
export async function handler(event: { asOf?: string } = {}): Promise<ModelsJobResult> {
  return runModelsJob({
    lake,
    localDir: '/tmp/recoup/lake',
    sinks,
    ...(typeof event?.asOf === 'string' ? { asOf: event.asOf } : {}),
  });
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}
