import { join, resolve } from 'node:path';
import { LocalFolderStore } from '../../adapters/localFolderStore.ts';
import type { IngestSummary } from '../../ingest/ingestFiles.ts';
import { ingestToLake } from '../../wiring/ingestToLake.ts';
import { parseCommandArgs, required } from '../args.ts';
import { CliError } from '../cliError.ts';
import { listInputFiles } from '../inputFiles.ts';
import { ProgressBar } from '../progress.ts';

const USAGE = `Usage: recoup ingest <files or folders…> --lake DIR [--strict] [--json]

Reads X12 835 files (folders recursively) into the Parquet lake at DIR. Files ending in .gz are
read decompressed; each entry of a .zip is read as a file of its own (ingested or quarantined
alone; its name is ARCHIVE.zip!/ENTRY).
A file that cannot be read is copied to DIR/quarantine/ beside a JSON reason, and the rest go on;
the original is left where it was (remove or fix it yourself).
Re-ingesting a file, or the same remittance in a new envelope, changes nothing. A transaction
with the key of one already in the lake (payer, payee, trace number, amount, date) but other
content is kept and listed as a key conflict.

Options:
  --lake DIR   the lake folder (created if missing)
  --strict     exit 1 when any file was quarantined
  --json       print the summary as JSON
  -h, --help   show this help

Exit code: 0 when ingest ran and read at least one file (some may be quarantined); 1 when it
failed, when no file could be read (every file quarantined, or none found), or with --strict
when any file was quarantined; 2 for bad usage. The summary is printed in every case.
`;

export async function ingestCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { lake: { type: 'string' }, strict: { type: 'boolean' }, json: { type: 'boolean' } },
    USAGE,
  );
  const lake = resolve(required(values.lake as string | undefined, 'lake', USAGE));
  if (positionals.length === 0) throw new CliError(`no input files given\n\n${USAGE}`);
  const inputs = listInputFiles(positionals);
  if (inputs.length === 0) throw new CliError(`no files to ingest in ${positionals.join(', ')}`, 1);
  const bar = new ProgressBar('ingest');
  const summary = await ingestToLake(inputs, {
    lake: new LocalFolderStore(lake),
    // Staging beside the lake lets each committed file be a rename, not a copy.
    scratch: join(lake, '.staging'),
    onProgress: (p) => bar.update(p.bytesDone, p.bytesTotal, `${p.filesDone}/${p.filesTotal} files`),
  });
  bar.done();
  process.stdout.write(values.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary, lake));
  const verdict = ingestVerdict(summary, values.strict === true);
  if (verdict !== null) process.stderr.write(`recoup ingest: ${verdict}\n`);
  return verdict === null ? 0 : 1;
}

/**
 * Why an ingest that ran still failed a caller who relies on its exit code, or null: nothing read
 * (every file quarantined, or no file at all), or, when strict, any file quarantined.
 */
export function ingestVerdict(s: IngestSummary, strict: boolean): string | null {
  if (s.files === 0) return 'no files to ingest';
  if (s.quarantined === s.files)
    return `nothing loaded: all ${s.files} file${s.files === 1 ? ' was' : 's were'} quarantined`;
  if (strict && s.quarantined > 0) return `${s.quarantined} of ${s.files} files quarantined (--strict)`;
  return null;
}

/** The human-readable ingest summary. */
export function formatSummary(s: IngestSummary, lake: string): string {
  const mb = (s.bytes / 1e6).toFixed(1);
  const lines = [
    s.quarantined === 0
      ? `Ingested ${s.files} file${s.files === 1 ? '' : 's'} (${mb} MB) into ${lake} in ${s.seconds.toFixed(1)} s`
      : `Ingested ${s.files - s.quarantined} of ${s.files} files (${mb} MB) into ${lake} in ${s.seconds.toFixed(1)} s; ` +
        `${s.quarantined} quarantined (copied to ${lake}/quarantine/)`,
    `  transactions   ${s.transactions}`,
    `  new remittances ${s.remittances_written}`,
    `  claims         ${s.claims}`,
    `  adjustments    ${s.adjustments}`,
    `  unbalanced     ${s.unbalanced}`,
    `  duplicates     ${s.duplicates}`,
    `  key conflicts  ${s.key_conflicts.length}`,
    `  quarantined    ${s.quarantined}`,
  ];
  for (const q of s.quarantined_files) {
    const where = [
      q.segment_index !== null ? `segment ${q.segment_index}` : '',
      q.segment_id ?? '',
      q.element ?? '',
    ]
      .filter(Boolean)
      .join(' ');
    lines.push(`  ✗ ${q.file}: ${q.code}${where ? ` at ${where}` : ''}: ${q.reason} → ${q.quarantine_key}`);
  }
  for (const k of s.key_conflicts.slice(0, 20)) {
    lines.push(
      `  ~ key conflict ${k.file} trace ${k.trace_number ?? '(none)'}: remit ${k.remit_id.slice(0, 12)} kept beside ` +
        `${k.existing_remit_ids.length} other remittance(s) with key ${k.remit_key.slice(0, 12)}`,
    );
  }
  if (s.key_conflicts.length > 20) lines.push(`  … ${s.key_conflicts.length - 20} more key conflicts`);
  for (const u of s.unbalanced_transactions.slice(0, 20)) {
    lines.push(
      `  ! unbalanced ${u.file} remit ${u.remit_id.slice(0, 12)}: difference ${u.balance_difference}, ` +
        `${u.unbalanced_claims} claim(s), ${u.unbalanced_services} line(s) off`,
    );
  }
  if (s.unbalanced_transactions.length > 20)
    lines.push(`  … ${s.unbalanced_transactions.length - 20} more unbalanced`);
  return `${lines.join('\n')}\n`;
}
