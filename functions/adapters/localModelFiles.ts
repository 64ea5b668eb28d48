import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MODEL_LAYERS,
  type Model,
  type ModelFile,
  type ModelLayer,
  parseModels,
} from '../models/loadModels.ts';
import type { SqlTest } from '../models/runSqlTests.ts';

/**
 * The `sql/` folder: the repository's, found relative to this file so it works from any working
 * directory, or, in a Lambda bundle (one index.mjs), the copy the stack puts beside the bundle.
 */
export const SQL_DIR = fileURLToPath(
  [new URL('./sql/', import.meta.url), new URL('../../sql/', import.meta.url)].find((u) =>
    existsSync(fileURLToPath(u)),
  ) ?? new URL('../../sql/', import.meta.url),
);

/**
 * Feature folders that keep their mart beside the code that serves it, so a newcomer finds a
 * feature in one folder: `functions/alerts/` (takeback_alerts.sql, then delivery and sinks) and
 * `functions/forecast/` (liquidity_forecast.sql, then the backtest). Their `*.sql` files are marts.
 * A Lambda bundle has no such folders: the stack copies these files into its `sql/marts/`.
 */
export const FEATURE_MART_DIRS = ['../alerts/', '../forecast/']
  .map((u) => fileURLToPath(new URL(u, import.meta.url)))
  .filter((dir) => existsSync(dir));

/** The model files of `sql/<layer>/` and of the feature folders, in folder and name order. */
export function readModelFiles(sqlDir: string, featureDirs: readonly string[]): ModelFile[] {
  const files: ModelFile[] = [];
  const folders: { layer: ModelLayer; dir: string }[] = MODEL_LAYERS.map((layer) => ({
    layer,
    dir: join(sqlDir, layer),
  }));
  folders.push(...featureDirs.map((dir) => ({ layer: 'marts' as const, dir })));
  for (const { layer, dir } of folders) {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      continue;
    }
    for (const entry of entries.filter((e) => e.endsWith('.sql')).sort()) {
      const file = join(dir, entry);
      files.push({ name: basename(entry, '.sql'), layer, file, text: readFileSync(file, 'utf8') });
    }
  }
  return files;
}

/**
 * Reads every `sql/<layer>/*.sql` model, the marts of the feature folders (with the repository's
 * own sql/ folder; none with another), and the models each one references.
 */
export function loadModels(
  sqlDir: string = SQL_DIR,
  featureDirs: readonly string[] = sqlDir === SQL_DIR ? FEATURE_MART_DIRS : [],
): Model[] {
  return parseModels(readModelFiles(sqlDir, featureDirs));
}

/** The singular SQL tests of `<sqlDir>/tests/*.sql`, by name. */
export function readSqlTests(sqlDir: string = SQL_DIR): SqlTest[] {
  const dir = join(sqlDir, 'tests');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      return { name: basename(f, '.sql'), file, sql: readFileSync(file, 'utf8') };
    });
}
