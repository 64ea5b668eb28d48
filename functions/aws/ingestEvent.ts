import { randomUUID } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import type { IngestInput, IngestSummary } from '../ingest/ingestFiles.ts';
import type { ObjectStore } from '../ports/objectStore.ts';
import { ingestToLake } from '../wiring/ingestToLake.ts';
import type { LogFn, MetricFn } from './observability.ts';
import { type QuarantineNotice, quarantineNotice } from './quarantineNotice.ts';

/** The S3 event notification S3 sends to SQS (one message may hold several records). */
const S3Notification = z.object({
  Records: z
    .array(
      z.object({
        eventName: z.string(),
        eventTime: z.string().optional(),
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
  Records: z.array(z.object({ messageId: z.string(), body: z.string() }).passthrough()),
});

export interface IngestEventDeps {
  /** The lake (Parquet tables and quarantine). */
  lake: ObjectStore;
  /** The store an S3 record's bucket is read from. */
  source: (bucket: string) => ObjectStore;
  /** Local scratch folder (/tmp in Lambda). */
  scratch: string;
  /** Structured log line (no patient data: keys, counts and error codes only). */
  log?: LogFn;
  /** Custom metrics (EMF in Lambda); none when absent. */
  metric?: MetricFn;
  /**
   * Tells people about a quarantined file (the alert topic in Lambda). A failure fails the
   * message, so SQS retries it and the notice is not lost.
   */
  notify?: (notice: QuarantineNotice) => Promise<void>;
  /** Where operators reach the lake, named in notices (`s3://bucket/prefix`). */
  lakeLocation?: string;
  now?: () => Date;
  /** The Lambda context, for the batch processor. */
  context?: Context;
}

/** Thrown for a message that can never succeed; it is left to the queue's dead-letter policy. */
class BadMessage extends Error {}

/**
 * Handles an SQS batch of S3 ObjectCreated notifications with the Powertools batch processor,
 * one message after another: each object is downloaded to local scratch and ingested into the
 * lake. A file that cannot be read is quarantined by the ingest, announced (metric and notice),
 * and the message succeeds (retrying would not help). An object deleted before ingest is gone,
 * not an error. A transient failure (S3 unavailable, throttling) fails only that message, as a
 * partial batch response, so SQS retries it and eventually moves it to the dead-letter queue.
 */
export async function processIngestEvent(event: unknown, deps: IngestEventDeps): Promise<SQSBatchResponse> {
  const log = deps.log ?? ((entry) => console.log(JSON.stringify(entry)));
  const parsed = SqsEvent.safeParse(event);
  if (!parsed.success) throw new Error(`not an SQS event: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const processor = new BatchProcessor(EventType.SQS);
  return processPartialResponse(
    event as SQSEvent,
    async (record: SQSRecord) => {
      try {
        await ingestRecord(record, { ...deps, log });
      } catch (error) {
        log({
          level: 'error',
          message: error instanceof BadMessage ? 'bad message' : 'ingest failed; will retry',
          messageId: record.messageId,
          error: error instanceof Error ? error.message.slice(0, 500) : String(error),
        });
        throw error;
      }
    },
    processor,
    {
      ...(deps.context ? { context: deps.context } : {}),
      // One file set at a time: each ingest already keeps the CPU and the lake busy.
      processInParallel: false,
      // Every message failing is still a partial response: SQS retries each, then the DLQ.
      throwOnFullBatchFailure: false,
    },
  );
}

/** Ingests the objects one SQS message names, then logs, measures and announces the outcome. */
async function ingestRecord(record: SQSRecord, deps: IngestEventDeps & { log: LogFn }): Promise<void> {
  const outcome = await ingestMessage(record.body, deps);
  if (outcome === null) return;
  const { summary, gone, lagSeconds } = outcome;
  const keyConflicts = countOf((summary as { key_conflicts?: unknown }).key_conflicts);
  deps.log({
    level: summary.quarantined > 0 ? 'warn' : 'info',
    message: 'ingested',
    messageId: record.messageId,
    files: summary.files,
    transactions: summary.transactions,
    remittances_written: summary.remittances_written,
    claims: summary.claims,
    adjustments: summary.adjustments,
    duplicates: summary.duplicates,
    unbalanced: summary.unbalanced,
    key_conflicts: keyConflicts,
    gone,
    quarantined: summary.quarantined_files.map((q) => ({
      file: q.file,
      code: q.code,
      segment: q.segment_index,
      element: q.element,
      quarantine_key: q.quarantine_key,
    })),
  });
  const metric = deps.metric;
  if (metric !== undefined) {
    metric('Files', summary.files);
    metric('Remittances', summary.remittances_written);
    metric('Claims', summary.claims);
    metric('Adjustments', summary.adjustments);
    metric('Duplicates', summary.duplicates);
    metric('QuarantinedFiles', summary.quarantined);
    metric('UnbalancedTransactions', summary.unbalanced);
    metric('KeyConflicts', keyConflicts);
    if (gone > 0) metric('MissingObjects', gone);
    for (const seconds of lagSeconds) metric('IngestLag', seconds, 'Seconds');
  }
  if (deps.notify !== undefined) {
    for (const q of summary.quarantined_files) {
      await deps.notify(quarantineNotice(q, deps.lakeLocation ?? deps.lake.location));
    }
  }
}

interface MessageOutcome {
  summary: IngestSummary;
  /** Objects named by the message that no longer exist (deleted before ingest). */
  gone: number;
  /** Seconds from each object's S3 event to the end of its ingest. */
  lagSeconds: number[];
}

/** Ingests the objects named by one SQS message body; null for S3's test event. */
async function ingestMessage(
  body: string,
  deps: IngestEventDeps & { log: LogFn },
): Promise<MessageOutcome | null> {
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
    const eventTimes: number[] = [];
    let gone = 0;
    for (const [i, r] of notification.data.Records.entries()) {
      if (!r.eventName.startsWith('ObjectCreated')) continue;
      // S3 URL-encodes keys in notifications, with '+' for spaces.
      const key = decodeURIComponent(r.s3.object.key.replace(/\+/g, ' '));
      const local = join(dir, `${i}-${basename(key).replace(/[^A-Za-z0-9._-]/g, '_')}`);
      try {
        await deps.source(r.s3.bucket.name).download(key, local);
      } catch (error) {
        // Deleted since it landed: nothing to ingest. S3 answers 404 only to a caller that may
        // list the bucket (the stack grants ingest s3:ListBucket on landing/); a 403 stays an error.
        if (!isNotFound(error)) throw error;
        deps.log({
          level: 'info',
          message: 'landed object is gone',
          file: `s3://${r.s3.bucket.name}/${key}`,
        });
        gone++;
        continue;
      }
      inputs.push({ path: local, key: `s3://${r.s3.bucket.name}/${key}`, size: (await stat(local)).size });
      const eventTime = r.eventTime === undefined ? Number.NaN : Date.parse(r.eventTime);
      if (Number.isFinite(eventTime)) eventTimes.push(eventTime);
    }
    const summary = await ingestToLake(inputs, {
      lake: deps.lake,
      scratch: join(deps.scratch, 'stage'),
      ...(deps.now ? { now: deps.now() } : {}),
    });
    const done = (deps.now?.() ?? new Date()).getTime();
    return { summary, gone, lagSeconds: eventTimes.map((t) => Math.max(0, (done - t) / 1000)) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * S3's answer for a key that does not exist (GetObject: NoSuchKey; HEAD: NotFound). A missing
 * bucket (NoSuchBucket, also a 404) is a configuration error, not a deleted file.
 */
function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === 'NoSuchKey' || name === 'NotFound';
}

/** A count the ingest summary may report as a number or as a list of items. */
function countOf(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (Array.isArray(value)) return value.length;
  return 0;
}
