import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PublishCommand } from '@aws-sdk/client-sns';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Digest } from '../digest/digest.ts';
import { renderDigestJson, renderDigestText } from '../digest/render.ts';
import type { ObjectStore } from '../ports/objectStore.ts';
import type { LogFn } from './observability.ts';
import { LATEST_DIGEST_KEY, LATEST_REPORT_KEY } from './reportKeys.ts';

/** The SNS surface the digest needs (an SNSClient, or a recorder in a test). */
export interface SnsPublish {
  send(command: PublishCommand): Promise<unknown>;
}

/** How the digest links to the report: a presigned GET URL, or the S3 console path. */
export type ReportLinkMode =
  | {
      kind: 'presigned';
      s3: S3Client;
      bucket: string;
      prefix: string;
      lifetimeSeconds: number;
      /** When the link's lifetime starts (default now). */
      signingDate?: Date;
    }
  | { kind: 'console'; bucket: string; prefix: string; region: string };

export interface WeeklyDigestDeps {
  lake: ObjectStore;
  sns: SnsPublish;
  topicArn: string;
  link: ReportLinkMode;
  log?: LogFn;
}

export interface WeeklyDigestResult {
  published: boolean;
  /** Why nothing was sent (no models run has published a digest yet). */
  reason?: string;
  asOf?: string | null;
  link?: string;
}

/** SigV4 presigned URLs live at most seven days. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/** The link to reports/latest.html the digest carries. */
export async function reportLink(mode: ReportLinkMode): Promise<string> {
  const key = `${mode.prefix}${LATEST_REPORT_KEY}`;
  if (mode.kind === 'console') {
    return `https://${mode.region}.console.aws.amazon.com/s3/object/${mode.bucket}?region=${mode.region}&prefix=${encodeURIComponent(key)}`;
  }
  if (!(mode.lifetimeSeconds >= 1 && mode.lifetimeSeconds <= MAX_PRESIGN_SECONDS))
    throw new Error(
      `the report link lifetime must be 1 to ${MAX_PRESIGN_SECONDS} seconds (seven days), got ${mode.lifetimeSeconds}`,
    );
  return getSignedUrl(mode.s3, new GetObjectCommand({ Bucket: mode.bucket, Key: key }), {
    expiresIn: mode.lifetimeSeconds,
    ...(mode.signingDate ? { signingDate: mode.signingDate } : {}),
  });
}

/**
 * One schedule tick: reads the digest the last models run kept, adds the report link and
 * publishes one message to the alert topic (e-mail subscribers read the 80-column text, every
 * other protocol gets the JSON). PHI-free: payers, amounts, counts and dates only.
 */
export async function runWeeklyDigest(deps: WeeklyDigestDeps): Promise<WeeklyDigestResult> {
  const log = deps.log ?? (() => {});
  const digest = await readLatestDigest(deps.lake);
  if (digest === null) {
    const reason = 'no digest yet: the models job publishes one after its first run';
    log({ level: 'warn', message: 'digest not sent', reason });
    return { published: false, reason };
  }
  const link = await reportLink(deps.link);
  const withLink = { ...digest, reportLink: link };
  await deps.sns.send(
    new PublishCommand({
      TopicArn: deps.topicArn,
      Subject: `recoup weekly digest${digest.asOf ? `, as of ${digest.asOf}` : ''}`,
      MessageStructure: 'json',
      Message: JSON.stringify({
        default: JSON.stringify({
          source: 'recoup',
          type: 'weekly_digest',
          digest: JSON.parse(renderDigestJson(withLink)),
        }),
        email: renderDigestText(withLink),
      }),
      MessageAttributes: { type: { DataType: 'String', StringValue: 'weekly_digest' } },
    }),
  );
  log({ level: 'info', message: 'digest published', as_of: digest.asOf, link_kind: deps.link.kind });
  return { published: true, asOf: digest.asOf, link };
}

/** Reads the digest the last models run kept (null when no run has published one yet). */
export async function readLatestDigest(lake: ObjectStore): Promise<Digest | null> {
  if (!(await lake.exists(LATEST_DIGEST_KEY))) return null;
  return JSON.parse(Buffer.from(await lake.get(LATEST_DIGEST_KEY)).toString('utf8')) as Digest;
}
