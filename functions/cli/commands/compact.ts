import { join } from 'node:path';
import { CompactionBusyError, type CompactSummary, compactLake } from '../../adapters/duckdb/compactLake.ts';
import { LocalFolderStore } from '../../adapters/localFolderStore.ts';
import { existingLake, parseCommandArgs } from '../args.ts';
import { CliError } from '../cliError.ts';
import { ProgressBar } from '../progress.ts';

const USAGE = `Usage: recoup compact --lake DIR [--json]

Merges the lake's staged files (one per remittance and table) into a few zstd Parquet files per
(table, payer_id, payment_month), with min/max statistics, under DIR/compacted/. Readers see the
same rows before, during and after; a killed compaction leaves the lake readable and the next run
finishes it; running it again with nothing new staged changes nothing. Ingest may run meanwhile.
DuckDB keeps to RECOUP_DUCKDB_MEMORY (default 1.5GB) and spills beyond it, as \`recoup build\` does.

Options:
  --lake DIR   the lake folder
  --json       print the summary as JSON
  -h, --help   show this help

Exit code: 0 when compaction ran, 1 when it failed (3 when another compaction holds the lake), 2 for bad usage.
`;

export async function compactCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { lake: { type: 'string' }, json: { type: 'boolean' } }, USAGE);
  const lake = existingLake(values.lake, USAGE);
  const bar = new ProgressBar('compact');
  let summary: CompactSummary;
  try {
    summary = await compactLake({
      lake: new LocalFolderStore(lake),
      // Beside the lake, so each compacted file is moved in by a rename.
      scratch: join(lake, '.staging'),
      onProgress: (p) => bar.update(p.partitionsDone, p.partitionsTotal, p.partition),
    });
  } catch (error) {
    if (error instanceof CompactionBusyError) throw new CliError(error.message, 3);
    throw error;
  } finally {
    bar.done();
  }
  process.stdout.write(
    values.json ? `${JSON.stringify(summary, null, 2)}\n` : formatCompactSummary(summary, lake),
  );
  return 0;
}

function formatCompactSummary(s: CompactSummary, lake: string): string {
  const mb = (n: number) => (n / 1e6).toFixed(1);
  return `${[
    `Compacted ${lake} in ${s.seconds.toFixed(1)} s`,
    `  partitions            ${s.partitions} (${s.partitions_compacted} with a new generation)`,
    `  remittances compacted ${s.remittances_compacted}`,
    `  staged files read     ${s.staged_files_read} (${mb(s.staged_bytes_read)} MB)`,
    `  compacted files       ${s.compacted_files_written} written (${mb(s.compacted_bytes_written)} MB)`,
    `  removed               ${s.staged_files_removed} staged copies, ${s.superseded_files_removed} superseded`,
    `  rows written          ${s.rows_written.remittances} remittances, ${s.rows_written.claims} claims, ${s.rows_written.adjustments} adjustments`,
  ].join('\n')}\n`;
}
