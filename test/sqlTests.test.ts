import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { glueTypeOfDuckDb, MART_COLUMNS } from '../cdk/martColumns.ts';
import { listMarts } from '../functions/adapters/duckdb/lakeViews.ts';
import { runSqlTests, type SqlTestResult } from '../functions/models/runSqlTests.ts';
import { buildGeneratedLake, type ModelLake } from './fixtures/models/modelLake.ts';

// The singular tests in sql/tests return offending rows; on a generated lake every one is empty.

let built: ModelLake;
let results: SqlTestResult[];

describe('sql/tests on a generated lake', () => {
  beforeAll(async () => {
    built = await buildGeneratedLake({ seed: 23, weeks: 10, payers: 5, providers: 8 });
    results = await runSqlTests(built.db);
  });
  afterAll(() => built?.close());

  it('found the singular tests', () => {
    expect(results.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'marts_takeback_matches_lake',
        'reversal_has_at_most_one_correction',
        'rates_are_finite',
        'mart_grains_are_unique',
      ]),
    );
  });

  it('returns no offending rows', () => {
    const failed = results
      .filter((r) => !r.passed)
      .map((r) => ({ name: r.name, error: r.error, failures: r.failures, rows: r.rows.slice(0, 3) }));
    expect(failed).toEqual([]);
  });

  it('the Glue tables of the marts (cdk/martColumns.ts) match the marts the models write', async () => {
    const marts = listMarts(built.lake);
    expect(Object.keys(MART_COLUMNS).sort()).toEqual(marts);
    for (const mart of marts) {
      const described = (await built.db.runAndReadAll(`DESCRIBE ${mart}`)).getRowObjectsJson() as {
        column_name: string;
        column_type: string;
      }[];
      const actual = described.map((c) => ({ name: c.column_name, type: glueTypeOfDuckDb(c.column_type) }));
      expect(actual, mart).toEqual(MART_COLUMNS[mart]);
    }
  });
});
