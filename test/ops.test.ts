import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { S3Event } from 'aws-lambda';
import { startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqsClient } from '../functions/adapters/awsClients.ts';
import { backfill } from '../functions/aws/backfill.ts';
import { redrive } from '../functions/aws/redrive.ts';
import { type RunningS3rver, startS3rver, toSqsS3Event } from './helpers/s3rver.ts';

const LANDING = 'landing-bucket';

let s3rver: RunningS3rver;
let fauxqs: Awaited<ReturnType<typeof startFauxqs>>;
let sqs: SQSClient;
let queueCount = 0;

beforeAll(async () => {
  s3rver = await startS3rver([LANDING]);
  fauxqs = await startFauxqs({ port: 0, logger: false });
  sqs = createSqsClient(
    { AWS_ENDPOINT_URL_SQS: fauxqs.address, AWS_REGION: 'us-east-1' },
    { credentials: { accessKeyId: 'test', secretAccessKey: 'test' } },
  );
});

afterAll(async () => {
  sqs?.destroy();
  await fauxqs?.stop();
  await s3rver?.stop();
});

async function createQueue(attributes: Record<string, string> = {}): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `q-${++queueCount}`, Attributes: attributes }),
  );
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  return { url: QueueUrl!, arn: Attributes!.QueueArn! };
}

async function depth(url: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes!.ApproximateNumberOfMessages);
}

async function drain(url: string): Promise<{ body: string; attributes: Record<string, string> }[]> {
  const out: { body: string; attributes: Record<string, string> }[] = [];
  for (;;) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 300,
        MessageAttributeNames: ['All'],
      }),
    );
    if (!Messages?.length) return out;
    for (const message of Messages) {
      const attributes = Object.fromEntries(
        Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
          name,
          value.StringValue ?? '',
        ]),
      );
      out.push({ body: message.Body!, attributes });
    }
  }
}

const decodeEventKey = (key: string) => decodeURIComponent(key.replace(/\+/g, ' '));

describe('backfill', () => {
  it('enqueues one S3 ObjectCreated message per landed file under the prefix, ten per batch', async () => {
    const queue = await createQueue();
    const keys = Array.from(
      { length: 23 },
      (_, index) => `landing/2024/file ${String(index).padStart(2, '0')}.835`,
    );
    for (const key of [...keys, 'quarantine/bad.835', 'landing-other/x.835']) {
      await s3rver.client.send(new PutObjectCommand({ Bucket: LANDING, Key: key, Body: `ISA ${key}` }));
    }
    const progress: number[] = [];

    const result = await backfill({
      s3: s3rver.client,
      sqs,
      bucket: LANDING,
      prefix: 'landing/',
      queueUrl: queue.url,
      onProgress: (counts) => progress.push(counts.enqueued),
    });

    expect(result).toEqual({ listed: 23, enqueued: 23, failed: 0, failedKeys: [] });
    expect(progress).toEqual([10, 20, 23]);
    const events = (await drain(queue.url)).map((message) => JSON.parse(message.body) as S3Event);
    expect(events).toHaveLength(23);
    const records = events.map((event) => event.Records[0]!);
    expect(records.map((record) => decodeEventKey(record.s3.object.key)).sort()).toEqual(keys);
    expect(records[0]!.s3.object.key).toContain('+'); // encoded like real S3, not raw spaces
    expect(records[0]!.s3.bucket.name).toBe(LANDING);
    expect(records[0]!.eventName).toMatch(/^ObjectCreated:/);
    expect(records[0]!.s3.object.size).toBe(`ISA ${decodeEventKey(records[0]!.s3.object.key)}`.length);
  });

  it('produces the same message shape as a real landing (s3rver event adapted to S3 → SQS)', async () => {
    const queue = await createQueue();
    const before = s3rver.records.length;
    await s3rver.client.send(
      new PutObjectCommand({ Bucket: LANDING, Key: 'landing/shape/a b.835', Body: 'ISA' }),
    );
    const landed = toSqsS3Event((await s3rver.waitForRecords(before + 1)).slice(before));

    await backfill({
      s3: s3rver.client,
      sqs,
      bucket: LANDING,
      prefix: 'landing/shape/',
      queueUrl: queue.url,
    });

    const [message] = await drain(queue.url);
    const fromBackfill = (JSON.parse(message!.body) as S3Event).Records[0]!;
    const fromLanding = (JSON.parse(landed.Records[0]!.body) as S3Event).Records[0]!;
    expect(Object.keys(fromBackfill).sort()).toEqual(Object.keys(fromLanding).sort());
    expect(fromBackfill.s3.object.key).toBe(fromLanding.s3.object.key);
    expect(fromBackfill.s3.object.size).toBe(fromLanding.s3.object.size);
    expect(fromBackfill.eventVersion).toBe(fromLanding.eventVersion);
  });

  it('retries the entries SQS refused and reports those that never went through', async () => {
    const queue = await createQueue();
    for (let index = 0; index < 4; index += 1) {
      await s3rver.client.send(
        new PutObjectCommand({ Bucket: LANDING, Key: `landing/retry/${index}.835`, Body: 'x' }),
      );
    }
    // Entry '1' fails twice then goes through; entry '3' fails every time.
    const refusals = new Map([
      ['1', 2],
      ['3', Number.POSITIVE_INFINITY],
    ]);
    const flaky = {
      async send(command: SendMessageBatchCommand) {
        const refused = (command.input.Entries ?? []).filter((entry) => {
          const left = refusals.get(entry.Id!) ?? 0;
          refusals.set(entry.Id!, left - 1);
          return left > 0;
        });
        const accepted = (command.input.Entries ?? []).filter((entry) => !refused.includes(entry));
        const response = accepted.length
          ? await sqs.send(new SendMessageBatchCommand({ ...command.input, Entries: accepted }))
          : { Successful: [] };
        return {
          ...response,
          Failed: refused.map((entry) => ({ Id: entry.Id!, SenderFault: false, Code: 'InternalError' })),
        };
      },
    } as unknown as SQSClient;

    const result = await backfill({
      s3: s3rver.client,
      sqs: flaky,
      bucket: LANDING,
      prefix: 'landing/retry/',
      queueUrl: queue.url,
      retryDelayMs: 1,
    });

    expect(result).toEqual({ listed: 4, enqueued: 3, failed: 1, failedKeys: ['landing/retry/3.835'] });
    const delivered = (await drain(queue.url)).map(
      (message) => (JSON.parse(message.body) as S3Event).Records[0]!,
    );
    expect(delivered.map((record) => record.s3.object.key).sort()).toEqual([
      'landing/retry/0.835',
      'landing/retry/1.835',
      'landing/retry/2.835',
    ]);
  });
});

describe('redrive', () => {
  it('moves dead-lettered messages back to the source queue, up to a max, then until empty', async () => {
    // Prepare: messages that really failed twice and were dead-lettered by the queue's redrive policy.
    const dlq = await createQueue();
    const source = await createQueue({
      VisibilityTimeout: '0',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 1 }),
    });
    const bodies = Array.from({ length: 12 }, (_, index) => `{"n":${index}}`);
    for (const body of bodies) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: source.url,
          MessageBody: body,
          MessageAttributes: { origin: { DataType: 'String', StringValue: 'landing' } },
        }),
      );
    }
    for (let round = 0; round < 20 && (await depth(dlq.url)) < bodies.length; round += 1) {
      await sqs.send(new ReceiveMessageCommand({ QueueUrl: source.url, MaxNumberOfMessages: 10 }));
    }
    expect(await depth(dlq.url)).toBe(12);
    expect(await depth(source.url)).toBe(0);

    const first = await redrive({ sqs, dlqUrl: dlq.url, queueUrl: source.url, max: 5 });
    expect(first).toEqual({ moved: 5, failed: 0 });
    expect(await depth(source.url)).toBe(5);

    const rest = await redrive({ sqs, dlqUrl: dlq.url, queueUrl: source.url });
    expect(rest).toEqual({ moved: 7, failed: 0 });
    expect(await depth(dlq.url)).toBe(0);

    // One receive each (drain holds them invisible), below maxReceiveCount + 1, so none is dead-lettered.
    const requeued = await drain(source.url);
    expect(requeued.map((message) => message.body).sort()).toEqual([...bodies].sort());
    expect(requeued.every((message) => message.attributes.origin === 'landing')).toBe(true);
  });

  it('returns zero counts on an empty DLQ', async () => {
    const dlq = await createQueue();
    const source = await createQueue();

    expect(await redrive({ sqs, dlqUrl: dlq.url, queueUrl: source.url, waitTimeSeconds: 0 })).toEqual({
      moved: 0,
      failed: 0,
    });
  });
});

describe('the backfill and redrive commands', () => {
  /** Runs the CLI asynchronously: fauxqs serves from this process, so a blocking spawn would deadlock. */
  const run = (args: string[]) => {
    const env = {
      ...process.env,
      ...s3rver.env,
      AWS_ENDPOINT_URL_SQS: fauxqs.address,
    };
    return new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(import.meta.dirname, '..', 'bin', 'recoup.js'), ...args],
        { env, encoding: 'utf8' },
        (error, stdout, stderr) => resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
  };

  it('recoup backfill enqueues every landing object under the prefix and prints the counts', async () => {
    const queue = await createQueue();
    for (const name of ['a.835', 'b.835', 'c.835']) {
      await s3rver.client.send(new PutObjectCommand({ Bucket: LANDING, Key: `cli/${name}`, Body: 'ISA' }));
    }
    const out = await run([
      'backfill',
      '--bucket',
      LANDING,
      '--prefix',
      'cli/',
      '--queue',
      queue.url,
      '--json',
    ]);
    expect(out.stderr.split('\n').filter((l) => l.startsWith('recoup'))).toEqual([]);
    expect(out.status).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ listed: 3, enqueued: 3, failed: 0 });
    const bodies = (await drain(queue.url)).map((m) => JSON.parse(m.body) as S3Event);
    expect(bodies.map((b) => b.Records[0]?.s3.object.key).sort()).toEqual([
      'cli/a.835',
      'cli/b.835',
      'cli/c.835',
    ]);
  });

  it('recoup redrive moves dead-lettered messages back and reports usage errors with exit code 2', async () => {
    const dlq = await createQueue();
    const queue = await createQueue();
    for (const body of ['one', 'two'])
      await sqs.send(new SendMessageCommand({ QueueUrl: dlq.url, MessageBody: body }));
    const out = await run(['redrive', '--dlq', dlq.url, '--queue', queue.url, '--json']);
    expect(out.status).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({ moved: 2, failed: 0 });
    expect((await drain(queue.url)).map((m) => m.body).sort()).toEqual(['one', 'two']);
    const usage = await run(['redrive', '--queue', queue.url]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('missing --dlq');
  });
});
