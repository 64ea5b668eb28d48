import { localSourceFiles } from '../adapters/localSourceFiles.ts';
import { ParquetLakeWriter } from '../adapters/parquetLakeWriter.ts';
import {
  type IngestInput,
  type IngestOptions,
  type IngestSummary,
  ingestFiles,
} from '../ingest/ingestFiles.ts';

/**
 * Ingest wired to its adapters, as the CLI and the ingest Lambda run it: local input files, and the
 * Parquet lake writer over `options.lake` (staging under `options.scratch`).
 */
export function ingestToLake(
  inputs: IngestInput[],
  options: Omit<IngestOptions, 'writer' | 'files'>,
): Promise<IngestSummary> {
  return ingestFiles(inputs, {
    ...options,
    writer: new ParquetLakeWriter(options.lake, options.scratch),
    files: localSourceFiles,
  });
}
