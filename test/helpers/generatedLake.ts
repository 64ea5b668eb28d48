import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFolderStore } from '../../functions/adapters/localFolderStore.ts';
import { type GenerateOptions, writeDataset } from '../../functions/generate/index.ts';
import { ingestToLake } from '../../functions/wiring/ingestToLake.ts';

/** Ingests the `.835` files of a folder (sorted by name, or those `only` names) into a lake. */
export async function ingestFolder(folder: string, lake: string, only?: (name: string) => boolean) {
  const inputs = readdirSync(folder)
    .filter((n) => n.endsWith('.835') && (only === undefined || only(n)))
    .sort()
    .map((n) => ({ path: join(folder, n), key: n, size: statSync(join(folder, n)).size }));
  const scratch = mkdtempSync(join(tmpdir(), 'recoup-ingest-'));
  try {
    const summary = await ingestToLake(inputs, { lake: new LocalFolderStore(lake), scratch });
    if (summary.quarantined > 0) throw new Error(`quarantined: ${JSON.stringify(summary.quarantined_files)}`);
    return summary;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Generates a data set (functions/generate) and ingests all of it into `lake`; returns the lake. */
export async function ingestGeneratedLake(lake: string, options: GenerateOptions): Promise<string> {
  const data = mkdtempSync(join(tmpdir(), 'recoup-generated-'));
  try {
    await writeDataset(data, options);
    await ingestFolder(data, lake);
    return lake;
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}
