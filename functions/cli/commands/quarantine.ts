import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFolderStore } from '../../adapters/localFolderStore.ts';
import { localSourceFiles } from '../../adapters/localSourceFiles.ts';
import { listQuarantined, type QuarantineEntry, retryQuarantined } from '../../ingest/quarantine.ts';
import type { ObjectStore } from '../../ports/objectStore.ts';
import { ingestToLake } from '../../wiring/ingestToLake.ts';
import { existingLake, parseCommandArgs, required } from '../args.ts';
import { CliError } from '../cliError.ts';
import { formatRows } from '../formatRows.ts';

const USAGE = `Usage: recoup quarantine list  --lake DIR|s3://BUCKET[/PREFIX] [--json]
       recoup quarantine retry --lake DIR|s3://BUCKET[/PREFIX] [QUARANTINE_KEY…] [--json]

Files ingest could not read are kept in the lake's quarantine/ folder with a JSON reason; their
remittances are not in the lake (money is missing from every report until they are).

  list    shows each quarantined file: where it came from, the error code, the segment and
          element, when it was quarantined
  retry   re-reads quarantined files (all, or the keys given) into the lake under their original
          names, after a parser fix or once the payer's corrected file replaced the copy; a file
          that reads is ingested and leaves quarantine, one that still fails stays (its reason
          updated). Remittances already in the lake are skipped, so a retry is safe to repeat.

The lake is a folder or an S3 location (the AWS credentials of the environment are used; retry
needs s3:DeleteObject on quarantine/).

Options:
  --lake DIR|s3://BUCKET[/PREFIX]   the lake
  --json                            print the result as JSON
  -h, --help                        show this help

Exit code: 0, or 1 when retry left a file in quarantine, 2 for bad usage.
`;

export async function quarantineCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { lake: { type: 'string' }, json: { type: 'boolean' } },
    USAGE,
  );
  const [action, ...keys] = positionals;
  if (action !== 'list' && action !== 'retry')
    throw new CliError(
      `${action === undefined ? 'missing' : `unknown action "${action}":`} list or retry\n\n${USAGE}`,
    );
  if (action === 'list' && keys.length > 0) throw new CliError(`list takes no keys\n\n${USAGE}`);
  const lake = await openLake(values.lake as string | undefined);

  if (action === 'list') {
    const entries = await listQuarantined(lake);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
    } else if (entries.length === 0) {
      process.stdout.write(`No quarantined files in ${lake.location}\n`);
    } else {
      process.stdout.write(
        formatRows(
          {
            columns: ['quarantine_key', 'file', 'code', 'at', 'quarantined_at'],
            rows: entries.map((e) => ({ ...e, at: where(e) })),
          },
          'table',
        ),
      );
      process.stdout.write(
        `${entries.length} quarantined file(s); reasons in <quarantine_key>.error.json; \`recoup quarantine retry --lake ${lake.location}\` re-reads them\n`,
      );
    }
    return 0;
  }

  const scratch = await mkdtemp(join(tmpdir(), 'recoup-quarantine-'));
  try {
    const result = await retryQuarantined(lake, {
      ...(keys.length > 0 ? { keys } : {}),
      scratch,
      ingest: ingestToLake,
      files: localSourceFiles,
      onFile: (entry, index, total) => {
        if (!values.json) process.stderr.write(`[${index + 1}/${total}] ${entry.quarantine_key}\n`);
      },
    });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      const lines = [
        `Retried ${result.ingested.length + result.still_quarantined.length + result.missing.length} quarantined file(s) in ${lake.location}`,
        `  ingested          ${result.ingested.length} (${result.summary.remittances_written} new remittances, ${result.summary.claims} claims, ${result.summary.duplicates} duplicates)`,
        `  still quarantined ${result.still_quarantined.length}`,
        ...result.still_quarantined.map(
          (e) =>
            `  ✗ ${e.file}: ${e.code}${where(e) ? ` at ${where(e)}` : ''}${e.reason ? `: ${e.reason}` : ''}`,
        ),
        ...(result.missing.length > 0
          ? [
              `  copy missing      ${result.missing.length}: ${result.missing.map((e) => e.quarantine_key).join(', ')}`,
            ]
          : []),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return result.still_quarantined.length > 0 ? 1 : 0;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** A local lake folder, or an S3 lake for `s3://bucket/prefix`. */
async function openLake(value: string | undefined): Promise<ObjectStore> {
  const location = required(value, 'lake', USAGE);
  if (!location.startsWith('s3://')) return new LocalFolderStore(existingLake(location, USAGE));
  const [bucket, ...rest] = location.slice('s3://'.length).split('/');
  if (!bucket) throw new CliError(`--lake ${location}: no bucket name\n\n${USAGE}`);
  // Loaded on demand: only an S3 lake needs the AWS SDK.
  const { S3ObjectStore } = await import('../../adapters/s3ObjectStore.ts');
  return new S3ObjectStore(bucket, { prefix: rest.filter(Boolean).join('/') });
}

/** `segment 10 CLP CLP04`, or empty when the error has no position. */
function where(e: QuarantineEntry): string {
  return [e.segment_index !== null ? `segment ${e.segment_index}` : '', e.segment_id ?? '', e.element ?? '']
    .filter(Boolean)
    .join(' ');
}
