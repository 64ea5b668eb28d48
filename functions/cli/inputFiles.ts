import { readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { IngestInput } from '../ingest/ingestFiles.ts';
import { CliError } from './cliError.ts';

/** Files found in a folder that are not remittances: sidecars and the generator's truth file. */
const SKIP = /(^\.)|(\.json$)|(\.md$)|(\.parquet$)|(^PROVENANCE\.txt$)/i;

/** Expands files and folders (recursively, sorted) into ingest inputs. Named files are always taken. */
export function listInputFiles(paths: string[]): IngestInput[] {
  const out: IngestInput[] = [];
  const visit = (path: string, named: boolean) => {
    let info: ReturnType<typeof statSync>;
    try {
      info = statSync(path);
    } catch {
      throw new CliError(`no such file or folder: ${path}`);
    }
    if (info.isDirectory()) {
      for (const name of readdirSync(path).sort()) {
        if (!SKIP.test(name)) visit(join(path, name), false);
      }
    } else if (info.isFile() && (named || !SKIP.test(basename(path)))) {
      out.push({ path: resolve(path), key: path, size: info.size });
    }
  };
  for (const p of paths) visit(p, true);
  return out;
}
