import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SNSClient, type SNSClientConfig } from '@aws-sdk/client-sns';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';

type Env = Record<string, string | undefined>;

/**
 * Client settings for one service. `AWS_ENDPOINT_URL_<SERVICE>` (or `AWS_ENDPOINT_URL`) points a client
 * at a local emulator (s3rver, fauxqs); unset in Lambda, where the SDK resolves the real endpoint.
 */
function serviceConfig(env: Env, service: 'S3' | 'SQS' | 'SNS') {
  const endpoint = env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL;
  return {
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(endpoint ? { endpoint } : {}),
  };
}

/** An S3 client; against an emulator it uses path-style URLs and checksums only where S3 requires them. */
export function createS3Client(env: Env = process.env, overrides: S3ClientConfig = {}): S3Client {
  const config = serviceConfig(env, 'S3');
  const emulated = config.endpoint !== undefined;
  const forcePathStyle = env.AWS_S3_FORCE_PATH_STYLE ? env.AWS_S3_FORCE_PATH_STYLE === 'true' : emulated;
  return new S3Client({
    ...config,
    forcePathStyle,
    // s3rver stores a streamed body with default (flexible) checksums aws-chunked-encoded, i.e. corrupt.
    ...(emulated
      ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
    ...overrides,
  });
}

/** An SQS client (endpoint overridable by AWS_ENDPOINT_URL_SQS). */
export function createSqsClient(env: Env = process.env, overrides: SQSClientConfig = {}): SQSClient {
  return new SQSClient({ ...serviceConfig(env, 'SQS'), ...overrides });
}

/** An SNS client (endpoint overridable by AWS_ENDPOINT_URL_SNS). */
export function createSnsClient(env: Env = process.env, overrides: SNSClientConfig = {}): SNSClient {
  return new SNSClient({ ...serviceConfig(env, 'SNS'), ...overrides });
}

// Created once per Lambda container, at module scope, so connections are reused across invocations.
export const s3 = createS3Client();
export const sqs = createSqsClient();
export const sns = createSnsClient();
