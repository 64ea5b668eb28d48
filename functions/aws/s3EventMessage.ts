import type { S3Event } from 'aws-lambda';

/** One object to announce as created. */
export interface CreatedObject {
  bucket: string;
  key: string;
  size: number;
  etag: string;
}

/** S3 URL-encodes object keys in event notifications, with '+' for a space. */
export function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
}

/** The body S3 → SQS delivers for an ObjectCreated event, so a re-ingest takes the same path as a landing. */
export function s3CreatedEvent(object: CreatedObject, region: string, now: Date = new Date()): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: region,
        eventTime: now.toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'recoup-backfill' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'recoup-backfill', 'x-amz-id-2': 'recoup-backfill' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'recoup-backfill',
          bucket: {
            name: object.bucket,
            ownerIdentity: { principalId: 'recoup' },
            arn: `arn:aws:s3:::${object.bucket}`,
          },
          object: {
            key: encodeS3EventKey(object.key),
            size: object.size,
            eTag: object.etag,
            sequencer: now.getTime().toString(16).toUpperCase().padStart(16, '0'),
          },
        },
      },
    ],
  };
}
