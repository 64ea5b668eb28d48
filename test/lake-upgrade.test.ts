import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createLakeViews, lakeFiles } from '../functions/adapters/duckdb/lakeViews.ts';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { sqlString } from '../functions/ports/warehouse.ts';
import { fixturePath, ROOT } from './helpers/fixtures.ts';
import { cleanup, tempDir } from './helpers/lakeProbe.ts';

const run = promisify(execFile);
const lake = tempDir('upgrade-');
afterAll(() => cleanup(lake));

describe('a lake written by an older recoup', () => {
  it('is refused with what to do, naming the column it lacks, not with a binder error', async () => {
    await run(
      process.execPath,
      [join(ROOT, 'bin', 'recoup.js'), 'ingest', fixturePath('recoup'), '--lake', lake],
      {
        cwd: ROOT,
      },
    );
    // Rewrite every remittance file as the previous release wrote it: no remit_key, no content_sha256.
    const db = await openDuckDb();
    try {
      for (const file of lakeFiles(lake, 'remittances')) {
        const path = join(lake, 'remittances', ...file.split('/'));
        await db.run(
          `COPY (SELECT * EXCLUDE (remit_key, content_sha256) FROM read_parquet(${sqlString(path)}, hive_partitioning = false))
           TO ${sqlString(`${path}.old`)} (FORMAT parquet)`,
        );
      }
    } finally {
      db.closeSync();
    }
    const { rename } = await import('node:fs/promises');
    for (const file of lakeFiles(lake, 'remittances')) {
      const path = join(lake, 'remittances', ...file.split('/'));
      await rename(`${path}.old`, path);
    }
    expect(readdirSync(join(lake, 'remittances')).length).toBeGreaterThan(0);

    const views = await openDuckDb();
    try {
      await expect(createLakeViews(views, lake)).rejects.toThrow(
        /written by an older recoup: its remittances files have no "remit_key" column.*Ingest the 835 files again/,
      );
    } finally {
      views.closeSync();
    }
    // The CLI says the same, and exits 1.
    const built = await run(process.execPath, [join(ROOT, 'bin', 'recoup.js'), 'build', '--lake', lake], {
      cwd: ROOT,
    }).catch((e: { code: number; stderr: string }) => e);
    expect('code' in built ? built.code : 0).toBe(1);
    expect(built.stderr).toMatch(/older recoup/);
  });
});

describe('ingesting into a lake an older recoup wrote', () => {
  const mixed = tempDir('upgrade-mixed-');
  afterAll(() => cleanup(mixed));

  it('counts a remittance it holds under its key alone (the older name) as a duplicate, not a second copy', async () => {
    const recoup = (...args: string[]) =>
      run(process.execPath, [join(ROOT, 'bin', 'recoup.js'), ...args], { cwd: ROOT });
    const file = join(
      fixturePath('recoup'),
      readdirSync(fixturePath('recoup')).filter((f) => f.endsWith('.835'))[0] as string,
    );
    await recoup('ingest', file, '--lake', mixed);
    // Rename its files as the older release named them: <remit_key>.parquet.
    const { rename } = await import('node:fs/promises');
    for (const table of ['remittances', 'claims', 'adjustments'] as const) {
      for (const f of lakeFiles(mixed, table)) {
        const path = join(mixed, table, ...f.split('/'));
        await rename(path, path.replace(/-[0-9a-f]{16}\.parquet$/, '.parquet'));
      }
    }
    expect(lakeFiles(mixed, 'remittances').every((f) => /\/[0-9a-f]{32}\.parquet$/.test(f))).toBe(true);
    const again = JSON.parse((await recoup('ingest', file, '--lake', mixed, '--json')).stdout);
    expect(again).toMatchObject({ remittances_written: 0, key_conflicts: [] });
    expect(again.duplicates).toBeGreaterThan(0);
  });
});
