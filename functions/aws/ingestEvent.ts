import { randomUUID } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { SQSBatchResponse } from 'aws-lambda';
import { z } from 'zod';
import { type IngestInput, type IngestSummary, ingestFiles } from '../ingest/ingestFiles.ts';
import type { ObjectStore } from '../ports/objectStore.ts';

/** The S3 event notification S3 sends to SQS (one message may hold several records). */
const S3Notification = z.object({
  Records: z
    .array(
      z.object({
        eventName: z.string(),
        s3: z.object({
          bucket: z.object({ name: z.string().min(1) }),
          object: z.object({
            key: z.string().min(1),
            size: z.number().optional(),
            eTag: z.string().optional(),
          }),
        }),
      }),
    )
    .min(1),
});

/** S3 sends this once when a notification is configured; it names no object. */
const S3TestEvent = z.object({ Event: z.literal('s3:TestEvent') });

const SqsEvent = z.object({
  Records: z.array(z.object({ messageId: z.string(), body: z.string() })),
});

export interface IngestEventDeps {
  /** The lake (Parquet tables and quarantine). */
  lake: ObjectStore;
  /** The store an S3 record's bucket is read from. */
  source: (bucket: string) => ObjectStore;
  /** Local scratch folder (/tmp in Lambda). */
  scratch: string;
  /** Structured log line (no patient data: keys, counts and error codes only). */
  log?: (entry: Record<string, unknown>) => void;
  now?: () => Date;
}

/** Thrown for a message that can never succeed; it is left to the queue's dead-letter policy. */
class BadMessage extends Error {}

/**
 * Handles an SQS batch of S3 ObjectCreated notifications: each object is downloaded to local
 * scratch and ingested into the lake. A file that cannot be read is quarantined by the ingest
 * and the message succeeds (retrying would not help). A transient failure (S3 unavailable,
 * throttling) fails only that message, as a partial batch response, so SQS retries it and
 * eventually moves it to the dead-letter queue.
 */
export async function processIngestEvent(event: unknown, deps: IngestEventDeps): Promise<SQSBatchResponse> {
  const log = deps.log ?? ((entry) => console.log(JSON.stringify(entry)));
  const parsed = SqsEvent.safeParse(event);
  if (!parsed.success) throw new Error(`not an SQS event: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const failures: { itemIdentifier: string }[] = [];
  for (const record of parsed.data.Records) {
    try {
      const summary = await ingestMessage(record.body, deps);
      if (summary !== null) {
        log({
          level: 'info',
          message: 'ingested',
          messageId: record.messageId,
          files: summary.files,
          transactions: summary.transactions,
          remittances_written: summary.remittances_written,
          duplicates: summary.duplicates,
          unbalanced: summary.unbalanced,
          quarantined: summary.quarantined_files.map((q) => ({
            file: q.file,
            code: q.code,
            segment: q.segment_index,
            element: q.element,
          })),
        });
      }
    } catch (error) {
      log({
        level: 'error',
        message: error instanceof BadMessage ? 'bad message' : 'ingest failed; will retry',
        messageId: record.messageId,
        error: error instanceof Error ? error.message.slice(0, 500) : String(error),
      });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}

/** Ingests the objects named by one SQS message body; null for S3's test event. */
async function ingestMessage(body: string, deps: IngestEventDeps): Promise<IngestSummary | null> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new BadMessage('message body is not JSON');
  }
  if (S3TestEvent.safeParse(json).success) return null;
  const notification = S3Notification.safeParse(json);
  if (!notification.success)
    throw new BadMessage(`not an S3 notification: ${notification.error.issues[0]?.message}`);
  const dir = join(deps.scratch, `in-${randomUUID()}`);
  await mkdir(dir, { recursive: true });
  try {
    const inputs: IngestInput[] = [];
    for (const [i, r] of notification.data.Records.entries()) {
      if (!r.eventName.startsWith('ObjectCreated')) continue;
      // S3 URL-encodes keys in notifications, with '+' for spaces.
      const key = decodeURIComponent(r.s3.object.key.replace(/\+/g, ' '));
      const local = join(dir, `${i}-${basename(key).replace(/[^A-Za-z0-9._-]/g, '_')}`);
      try {
        await deps.source(r.s3.bucket.name).download(key, local);
      } catch (error) {
        if ((error as { name?: string }).name === 'NoSuchKey') continue; // deleted since: nothing to ingest
        throw error;
      }
      inputs.push({ path: local, key: `s3://${r.s3.bucket.name}/${key}`, size: (await stat(local)).size });
    }
    return await ingestFiles(inputs, {
      lake: deps.lake,
      scratch: join(deps.scratch, 'stage'),
      ...(deps.now ? { now: deps.now() } : {}),
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
