import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lakeViewSql, MANIFESTS_TABLE } from '../cdk/athenaViews.ts';
import { compactLake } from '../functions/adapters/duckdb/compactLake.ts';
import { lakeTableSql } from '../functions/adapters/duckdb/lakeViews.ts';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { LocalFolderStore } from '../functions/adapters/localFolderStore.ts';
import { parseStagedKey } from '../functions/core/lake/compactedLayout.ts';
import { duckdbType, LAKE_TABLES, tableColumns } from '../functions/core/lake/schema.ts';
import { sqlString } from '../functions/ports/warehouse.ts';
import { filesUnder } from './helpers/filesUnder.ts';
import { ingestGeneratedLake } from './helpers/generatedLake.ts';

// The Athena views (cdk/athenaViews.ts) must show what DuckDB's lake views show. Athena is not
// here, so the views' SQL runs in DuckDB over a lake with compacted and staged remittances, an
// uncommitted claims file and a compacted file no manifest names: `$path` is DuckDB's `filename`,
// the Glue tables are read_parquet / read_json over the same folders. Same rows, table by table.

let dir: string;
let lake: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'recoup-athena-views-'));
  const full = join(dir, 'full');
  await ingestGeneratedLake(full, { seed: 9, weeks: 12, payers: 3, providers: 5, scale: 0.5 });
  lake = join(dir, 'lake');
  const files = filesUnder(full);
  const ids = [...new Set(files.map((f) => parseStagedKey(f)?.remitId ?? ''))].filter(Boolean).sort();
  const first = new Set(ids.filter((_, i) => i % 2 === 0));
  const copy = (want: boolean) => {
    for (const f of files.filter((f) => first.has(parseStagedKey(f)?.remitId ?? '') === want)) {
      mkdirSync(join(lake, f, '..'), { recursive: true });
      copyFileSync(join(full, f), join(lake, f));
    }
  };
  copy(true);
  await compactLake({ lake: new LocalFolderStore(lake), scratch: join(dir, 'scratch') });
  copy(false);
  // What readers must not see: staged copies of a compacted remittance (compaction deletes them
  // after its manifest), an uncommitted claims file (no remittances file), and a compacted file no
  // manifest names.
  const compactedId = [...first][0] as string;
  for (const f of files.filter((f) => parseStagedKey(f)?.remitId === compactedId))
    copyFileSync(join(full, f), join(lake, f));
  const claims = files.find((f) => f.startsWith('claims/')) as string;
  const orphan = claims.replace(
    /[^/]+\.parquet$/,
    'ffffffffffffffffffffffffffffffff-0000000000000000.parquet',
  );
  copyFileSync(join(full, claims), join(lake, orphan));
  const compacted = filesUnder(lake).find((f) => f.startsWith('compacted/claims/')) as string;
  const killed = compacted.replace(/g\d{8}-[^/]+$/, 'g00000000-killed-0.parquet');
  copyFileSync(join(lake, compacted), join(lake, killed));
  // A superseded manifest of that partition (a cleanup cut short leaves it), naming that file.
  const partition = /payer_id=[^/]+\/payment_month=[^/]+/.exec(compacted)?.[0] as string;
  const manifest = `compacted/_manifests/${partition}/g00000001.json`;
  const older = JSON.parse(readFileSync(join(lake, manifest), 'utf8'));
  older.generation = 0;
  older.files.claims = [{ key: killed, rows: 1, bytes: 1 }];
  writeFileSync(join(lake, manifest.replace('g00000001', 'g00000000')), `${JSON.stringify(older)}\n`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Athena lake views', () => {
  it('show the rows DuckDB shows: compacted current generation, staged not compacted, committed only', async () => {
    const db = await openDuckDb();
    try {
      // The Glue tables, as DuckDB reads them: "$path" is the object's path.
      for (const table of LAKE_TABLES) {
        for (const [layer, glob] of [
          ['staged', join(lake, table, '*', '*', '*.parquet')],
          ['compacted', join(lake, 'compacted', table, '*', '*', '*.parquet')],
        ] as const) {
          await db.run(
            `CREATE VIEW ${table}_${layer} AS SELECT * EXCLUDE (filename), filename AS "$path"
             FROM read_parquet(${sqlString(glob)}, filename = true, hive_partitioning = false, union_by_name = true)`,
          );
        }
      }
      await db.run(
        `CREATE VIEW ${MANIFESTS_TABLE} AS SELECT * FROM read_json(${sqlString(join(lake, 'compacted', '_manifests', '*', '*', '*.json'))}, format = 'newline_delimited')`,
      );
      for (const table of LAKE_TABLES) {
        const cast = tableColumns(table)
          .map((c) => `CAST("${c.name}" AS ${duckdbType(c.type)}) AS "${c.name}"`)
          .join(', ');
        const athena = `SELECT ${cast} FROM (${lakeViewSql(table)})`;
        const duck = `SELECT ${cast} FROM (${lakeTableSql(lake, table)})`;
        const count = async (sql: string) =>
          Number((await db.runAndReadAll(`SELECT count(*) AS n FROM (${sql})`)).getRowObjectsJson()[0]?.n);
        const expected = await count(duck);
        expect(expected, table).toBeGreaterThan(0);
        expect(await count(athena), table).toBe(expected);
        expect(await count(`(${athena}) EXCEPT ALL (${duck})`), table).toBe(0);
        expect(await count(`(${duck}) EXCEPT ALL (${athena})`), table).toBe(0);
      }
      // The lake had both layers and the hidden files: the comparison covered them.
      const compacted = await db.runAndReadAll(`SELECT count(*) AS n FROM claims_compacted`);
      expect(Number(compacted.getRowObjectsJson()[0]?.n)).toBeGreaterThan(0);
    } finally {
      db.closeSync();
    }
  });
});
