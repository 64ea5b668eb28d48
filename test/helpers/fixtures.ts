import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse835 } from '../../functions/core/era/parse835.ts';
import type { SourceInfo } from '../../functions/core/era/reader835.ts';
import type { NormalizedRemit } from '../../functions/core/types.ts';
import type { IngestInput } from '../../functions/ingest/ingestFiles.ts';

/** The project root (this file is test/helpers/fixtures.ts). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Folder of the hand-written 835 fixtures. */
export const FIXTURES_835 = join(ROOT, 'test', 'fixtures', '835');

/** Absolute path of a fixture, e.g. `fixturePath('cases', 'full-claim-5010.835')`. */
export function fixturePath(...parts: string[]): string {
  return join(FIXTURES_835, ...parts);
}

/** A fixture's text, exactly as stored (BOM and line ends kept). */
export function readFixture(...parts: string[]): string {
  return readFileSync(fixturePath(...parts), 'utf8');
}

/** Fixed source facts, so rows from different runs compare equal. */
export function sourceFor(key: string, text = ''): SourceInfo {
  return {
    key,
    sha256: createHash('sha256').update(text).digest('hex'),
    ingestedAt: '2024-12-31T00:00:00.000Z',
  };
}

/** Parses a fixture with `parse835`. */
export function parseFixture(...parts: string[]): NormalizedRemit[] {
  const text = readFixture(...parts);
  return parse835(text, sourceFor(parts.join('/'), text));
}

/** Every `.835` fixture file in a folder, sorted, as ingest inputs. */
export function fixtureInputs(folder: string): IngestInput[] {
  return readdirSync(folder)
    .filter((name) => name.endsWith('.835'))
    .sort()
    .map((name) => {
      const path = join(folder, name);
      return { path, key: name, size: statSync(path).size };
    });
}

/** All `.835` fixtures (relative paths) under the fixture folder. */
export function allFixtureFiles(): string[] {
  const out: string[] = [];
  for (const sub of readdirSync(FIXTURES_835, { withFileTypes: true })) {
    if (!sub.isDirectory()) continue;
    for (const name of readdirSync(join(FIXTURES_835, sub.name)).sort()) {
      if (name.endsWith('.835')) out.push(join(sub.name, name));
    }
  }
  return out.sort();
}

/** Strips the per-file facts (source, envelope control numbers) so the business rows can be compared. */
export function businessRows(remits: NormalizedRemit[]): unknown[] {
  return remits.map((r) => {
    const { source_key: _k, source_sha256: _s, interchange_control: _i, ...remittance } = r.remittance;
    return { remittance, claims: r.claims, adjustments: r.adjustments };
  });
}
