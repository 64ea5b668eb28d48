import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildDuckDbModels } from '../functions/adapters/duckdb/buildDuckDbModels.ts';
import { createLakeViews } from '../functions/adapters/duckdb/lakeViews.ts';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import { loadModels, SQL_DIR } from '../functions/adapters/localModelFiles.ts';
import { loadModelsConfig } from '../functions/adapters/modelsConfigFile.ts';
import { MART_COLUMNS, martContractProblems } from '../functions/core/lake/martSchema.ts';
import { findModel, ModelError, referencedNames } from '../functions/models/loadModels.ts';
import { parseModelsConfig } from '../functions/models/modelsConfig.ts';
import { orderModels } from '../functions/models/orderModels.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A sql/ folder holding the given `layer/name.sql` files. */
function sqlFolder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'recoup-sql-'));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('model dependencies', () => {
  it('finds referenced names outside comments and strings', () => {
    const names = referencedNames(`-- reads int_old\nselect 'int_text' from "Int_Quoted" join int_real`);
    expect(names.has('int_real')).toBe(true);
    expect(names.has('int_quoted')).toBe(true);
    expect(names.has('int_old')).toBe(false);
    expect(names.has('int_text')).toBe(false);
  });

  it('orders the repository models so each runs after what it reads', () => {
    const order = orderModels(loadModels()).map((m) => m.name);
    const runsBefore = (a: string, b: string) => expect(order.indexOf(a)).toBeLessThan(order.indexOf(b));
    runsBefore('stg_claims', 'int_claims');
    runsBefore('int_reversal_links', 'int_reversal_causes');
    runsBefore('int_reversal_causes', 'int_takebacks');
    runsBefore('int_plb_links', 'int_takebacks');
    runsBefore('int_takebacks', 'recoupment_rates');
    expect(new Set(order).size).toBe(order.length);
  });

  it('orders by the SQL, not by the layer folder, and rejects a cycle', () => {
    const dir = sqlFolder({
      'marts/a.sql': '-- grain: x\nselect * from b',
      'marts/b.sql': '-- grain: x\nselect * from c',
      'marts/c.sql': '-- grain: x\nselect 1 as n',
    });
    expect(orderModels(loadModels(dir)).map((m) => m.name)).toEqual(['c', 'b', 'a']);
    const cyclic = sqlFolder({
      'intermediate/a.sql': '-- grain: x\nselect * from b',
      'intermediate/b.sql': '-- grain: x\nselect * from a',
    });
    expect(() => orderModels(loadModels(cyclic))).toThrow(/cycle: a -> b -> a/);
  });

  it('requires the grain header', () => {
    const dir = sqlFolder({ 'marts/a.sql': 'select 1 as n' });
    expect(() => loadModels(dir)).toThrow(/grain/);
  });
});

describe('the as-of date, worked out once', () => {
  it('is read from int_as_of by every model; build_params only for its other parameters', () => {
    const models = loadModels();
    const code = (sql: string) => sql.replace(/--[^\n]*/g, ' ');
    // Models reading build_params: int_as_of, and those that need another of its parameters.
    const readers = models.filter((m) => referencedNames(m.sql).has('build_params')).map((m) => m.name);
    expect(readers.sort()).toEqual(['int_as_of', 'payer_scorecard', 'takeback_appeals']);
    for (const model of models) {
      if (model.name === 'int_as_of') continue;
      // No other model takes build_params.as_of, or computes the as-of week itself.
      expect(code(model.sql), model.name).not.toMatch(
        /build_params[\s\S]{0,80}\bas_of\b|\bas_of\b[^,\n]*from\s+build_params/i,
      );
      expect(code(model.sql), model.name).not.toMatch(/date_trunc\('week',\s*as_of\)/i);
    }
    const users = models.filter((m) => m.dependsOn.includes('int_as_of')).map((m) => m.name);
    expect(users.length).toBeGreaterThanOrEqual(10);
  });
});

describe('buildModels', () => {
  it('names the model file when its SQL fails', async () => {
    const dir = sqlFolder({
      'intermediate/int_broken.sql': '-- grain: x\nselect no_such_column from claims',
    });
    const lake = mkdtempSync(join(tmpdir(), 'recoup-lake-'));
    dirs.push(lake);
    const db = await openDuckDb();
    try {
      const error = await buildDuckDbModels({ db, lakeDir: lake, sqlDir: dir }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelError);
      expect((error as ModelError).message).toContain('int_broken.sql');
      expect((error as ModelError).model).toBe('int_broken');
    } finally {
      db.closeSync();
    }
  });

  it('fails the build on a mart that lost a column or changed a type, naming it (the mart contract)', async () => {
    // The repository's models, with plb_summary missing `category` and its amount as a double.
    const dir = mkdtempSync(join(tmpdir(), 'recoup-sql-'));
    dirs.push(dir);
    cpSync(SQL_DIR, dir, { recursive: true });
    const original = findModel('plb_summary', loadModels()).sql;
    writeFileSync(
      join(dir, 'marts', 'plb_summary.sql'),
      `-- grain: as plb_summary\nselect * exclude (category) replace (cast(amount as double) as amount) from (\n${original}\n)\n`,
    );
    const lake = mkdtempSync(join(tmpdir(), 'recoup-lake-'));
    dirs.push(lake);
    const db = await openDuckDb();
    try {
      const error = await buildDuckDbModels({ db, lakeDir: lake, sqlDir: dir, asOf: '2024-06-30' }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ModelError);
      expect((error as ModelError).model).toBe('plb_summary');
      expect((error as ModelError).message).toContain('missing column category (string)');
      expect((error as ModelError).message).toContain(
        'column amount is double, the contract says decimal(18,2)',
      );
    } finally {
      db.closeSync();
    }
    // The contract's own check, column by column.
    expect(martContractProblems('plb_summary', [])).toHaveLength(MART_COLUMNS.plb_summary!.length);
    expect(martContractProblems('not_a_mart', [{ name: 'x', duckdbType: 'VARCHAR' }])).toEqual([]);
  });

  it('writes every mart of an empty lake as Parquet that recoup query sees as a view', async () => {
    const lake = mkdtempSync(join(tmpdir(), 'recoup-lake-'));
    dirs.push(lake);
    const db = await openDuckDb();
    try {
      const results = await buildDuckDbModels({ db, lakeDir: lake, asOf: '2024-06-30' });
      const marts = results.filter((r) => r.layer === 'marts').map((r) => r.name);
      expect(marts).toEqual(
        expect.arrayContaining(['recoupment_rates', 'payer_scorecard', 'takeback_appeals', 'plb_summary']),
      );
      for (const mart of marts) expect(readdirSync(join(lake, 'marts', mart))).toEqual(['data.parquet']);
    } finally {
      db.closeSync();
    }
    const reader = await openDuckDb();
    try {
      const views = await createLakeViews(reader, lake);
      expect(views).toContain('recoupment_rates');
      const { rows } = await runQuery(reader, 'SELECT count(*) AS n FROM recoupment_rates');
      expect(rows).toEqual([{ n: 0 }]);
    } finally {
      reader.closeSync();
    }
  });
});

describe('models config', () => {
  it('fills defaults and validates fields', () => {
    expect(parseModelsConfig({}).appealWindowDays).toEqual({ default: 60, payers: {} });
    expect(parseModelsConfig({ appealWindowDays: { payers: { P1: 30 } } }).appealWindowDays.default).toBe(60);
    expect(() => parseModelsConfig({ appealWindowDays: { default: -1 } })).toThrow(
      /appealWindowDays.default/,
    );
    expect(() => parseModelsConfig({ appealWindow: 3 })).toThrow(/not a valid recoup config/);
  });

  it('reads <lake>/recoup.config.json when no file is given', () => {
    const lake = mkdtempSync(join(tmpdir(), 'recoup-lake-'));
    dirs.push(lake);
    expect(loadModelsConfig({ lakeDir: lake }).appealWindowDays.default).toBe(60);
    writeFileSync(join(lake, 'recoup.config.json'), JSON.stringify({ appealWindowDays: { default: 90 } }));
    expect(loadModelsConfig({ lakeDir: lake }).appealWindowDays.default).toBe(90);
  });
});
