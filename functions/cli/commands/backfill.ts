import { backfill } from '../../aws/backfill.ts';
import { parseCommandArgs, required } from '../args.ts';
import { ProgressBar } from '../progress.ts';

const USAGE = `Usage: recoup backfill --bucket B --prefix P --queue URL [--json]

Enqueues every object under s3://B/P on the ingest queue as an S3 ObjectCreated message, so the
ingest function reads them again (after a parser upgrade, or to load files that landed before the
notification existed). Re-ingesting is safe: remittances already in the lake are skipped.
Messages go in batches of 10 (SendMessageBatch); refused entries are retried.

Options:
  --bucket B     the landing bucket
  --prefix P     key prefix to backfill (e.g. landing/2024/)
  --queue URL    the ingest queue URL
  --json         print the counts as JSON
  -h, --help     show this help

AWS credentials and region come from the usual environment (AWS_PROFILE, AWS_REGION, …).
`;

export async function backfillCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    argv,
    {
      bucket: { type: 'string' },
      prefix: { type: 'string' },
      queue: { type: 'string' },
      json: { type: 'boolean' },
    },
    USAGE,
  );
  const bucket = required(values.bucket as string | undefined, 'bucket', USAGE);
  const queueUrl = required(values.queue as string | undefined, 'queue', USAGE);
  const prefix = (values.prefix as string | undefined) ?? '';
  const { s3, sqs } = await import('../../adapters/awsClients.ts');
  const bar = new ProgressBar('backfill');
  const result = await backfill({
    s3,
    sqs,
    bucket,
    prefix,
    queueUrl,
    onProgress: (c) => bar.update(c.enqueued + c.failed, Math.max(c.listed, 1), `${c.enqueued} enqueued`),
  });
  bar.done();
  if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    process.stdout.write(
      `Listed ${result.listed} objects under s3://${bucket}/${prefix}: ${result.enqueued} enqueued, ${result.failed} failed\n`,
    );
    for (const key of result.failedKeys.slice(0, 20)) process.stdout.write(`  ✗ ${key}\n`);
  }
  return result.failed > 0 ? 1 : 0;
}
