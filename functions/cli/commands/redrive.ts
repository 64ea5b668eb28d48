import { redrive } from '../../aws/redrive.ts';
import { parseCommandArgs, positiveInt, required } from '../args.ts';

const USAGE = `Usage: recoup redrive --dlq URL --queue URL [--max N] [--json]

Moves messages from the ingest dead-letter queue back to the ingest queue, once the cause of
their failure is fixed: receive, send, then delete only what was sent (a crash in between can
duplicate a message, never lose one; duplicates are harmless to ingest).

Options:
  --dlq URL      the dead-letter queue URL
  --queue URL    the ingest queue URL
  --max N        stop after N messages (default: until the dead-letter queue is empty)
  --json         print the counts as JSON
  -h, --help     show this help
`;

export async function redriveCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    argv,
    {
      dlq: { type: 'string' },
      queue: { type: 'string' },
      max: { type: 'string' },
      json: { type: 'boolean' },
    },
    USAGE,
  );
  const dlqUrl = required(values.dlq as string | undefined, 'dlq', USAGE);
  const queueUrl = required(values.queue as string | undefined, 'queue', USAGE);
  const max = values.max === undefined ? undefined : positiveInt(values.max as string, 'max', 1);
  const { sqs } = await import('../../adapters/awsClients.ts');
  const result = await redrive({ sqs, dlqUrl, queueUrl, ...(max !== undefined ? { max } : {}) });
  if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else process.stdout.write(`Moved ${result.moved} message(s) back to the queue; ${result.failed} failed\n`);
  return result.failed > 0 ? 1 : 0;
}
