import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import { type ColumnData, columnsOfRows, encodeParquet } from '../functions/core/lake/parquetEncoder.ts';
import type { Column } from '../functions/core/lake/schema.ts';
import { formatCents } from '../functions/core/money.ts';

interface Row {
  s: string | null;
  m: number | null;
  d: string | null;
  b: boolean | null;
  i: number | null;
  f: number | null;
  t: string | null;
}

const COLUMNS: Column<Row>[] = [
  { name: 's', type: 'varchar' },
  { name: 'm', type: 'money' },
  { name: 'd', type: 'date' },
  { name: 'b', type: 'boolean' },
  { name: 'i', type: 'integer' },
  { name: 'f', type: 'double' },
  { name: 't', type: 'timestamp' },
];

let db: DuckDBConnection;
const dir = mkdtempSync(join(tmpdir(), 'recoup-parquet-'));
let n = 0;

/** Writes rows with the encoder and reads them back with DuckDB, as JSON-safe values. */
async function roundTrip(rows: Row[]): Promise<Record<string, unknown>[]> {
  const path = join(dir, `${n++}.parquet`);
  writeFileSync(path, encodeParquet(COLUMNS, columnsOfRows(COLUMNS, rows), rows.length));
  return (await runQuery(db, `SELECT * FROM read_parquet('${path}')`)).rows;
}

/** What DuckDB should give back for a row. */
function expected(r: Row): Record<string, unknown> {
  return {
    s: r.s,
    m: r.m === null ? null : formatCents(r.m),
    d: r.d,
    b: r.b,
    i: r.i,
    f: r.f,
    t:
      r.t === null
        ? null
        : r.t
            .replace('T', ' ')
            .replace(/(\.\d*?)0*Z$/, '$1')
            .replace(/\.Z?$/, '')
            .replace('Z', ''),
  };
}

describe('the in-process Parquet encoder, read back by DuckDB', () => {
  beforeAll(async () => {
    db = await openDuckDb();
  });
  afterAll(() => {
    db.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips every lake type, nulls, negative and large money, and an empty file', async () => {
    const rows: Row[] = [
      { s: 'héllo ✓', m: 12345, d: '2024-02-29', b: true, i: 7, f: 1.5, t: '2026-01-02T03:04:05.678Z' },
      { s: null, m: -5, d: null, b: false, i: null, f: null, t: null },
      {
        s: '',
        m: 999_999_999_999_99,
        d: '1970-01-01',
        b: null,
        i: -2_147_483_648,
        f: -0.25,
        t: '2020-06-30T00:00:00.000Z',
      },
    ];
    expect(await roundTrip(rows)).toEqual(rows.map(expected));
    expect(await roundTrip([])).toEqual([]);
  });

  it('dictionary-encodes repeating strings, with indices wider than one byte, and says so in the metadata', async () => {
    // 600 distinct values over 1,500 rows: a 10-bit dictionary index, nulls between.
    const rows: Row[] = Array.from({ length: 1500 }, (_, k) => ({
      s: k % 11 === 0 ? null : `CLAIM-${k % 600}`,
      m: k,
      d: null,
      b: null,
      i: null,
      f: null,
      t: null,
    }));
    expect(await roundTrip(rows)).toEqual(rows.map(expected));
    const path = join(dir, `${n - 1}.parquet`);
    const meta = await runQuery(
      db,
      `SELECT path_in_schema, encodings FROM parquet_metadata('${path}') ORDER BY 1`,
    );
    expect(meta.rows.find((r) => r.path_in_schema === 's')?.encodings).toContain('RLE_DICTIONARY');
    expect(meta.rows.find((r) => r.path_in_schema === 'm')?.encodings).not.toContain('RLE_DICTIONARY');
  });

  it('round-trips arbitrary rows exactly (property)', async () => {
    const row = fc.record({
      s: fc.option(fc.constantFrom('A', 'B', 'CO', 'PR', 'é', 'x'.repeat(300)), { nil: null }),
      m: fc.option(fc.integer({ min: -1e15, max: 1e15 }), { nil: null }),
      d: fc.option(fc.constantFrom('2024-01-01', '1999-12-31', '2030-06-15'), { nil: null }),
      b: fc.option(fc.boolean(), { nil: null }),
      i: fc.option(fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }), { nil: null }),
      f: fc.option(fc.oneof(fc.constant(-0), fc.double({ noNaN: true, noDefaultInfinity: true })), {
        nil: null,
      }),
      t: fc.constant(null),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 60 }), async (rows) => {
        const back = await roundTrip(rows);
        // Doubles come back exactly, -0 included.
        expect(back).toEqual(rows.map(expected));
      }),
      { numRuns: 60 },
    );
  });

  it('writes the column shapes the reader produces: constants, codes, sequences, lookups, unique strings', async () => {
    const columns: Column<Record<string, unknown>>[] = [
      { name: 'remit', type: 'varchar' },
      { name: 'paid_on', type: 'date' },
      { name: 'seq', type: 'integer' },
      { name: 'cause', type: 'varchar' },
      { name: 'claim', type: 'varchar' },
      { name: 'id', type: 'varchar' },
      { name: 'blank', type: 'varchar' },
    ];
    const claims = ['C1', 'C2', 'C1', null];
    const causes = ['coding', 'duplicate', 'other'];
    // Row i belongs to claim at[i] (1-based; NaN: none). Claims 1 and 3 share an id (a reversal
    // and its correction): the dictionary holds it twice, as the readers must accept.
    const at = [1, 1, 2, Number.NaN, 3, 3, 4, 2];
    const data: ColumnData[] = [
      { kind: 'constant', value: 'R-1' },
      { kind: 'constant', value: 19_800 },
      { kind: 'sequence' },
      { kind: 'codes', codes: [0, 0, 2, 1, 0, 0, 2, 2], names: causes },
      { kind: 'lookup', values: claims, at },
      { kind: 'strings', values: ['a', 'b', 'c', null, 'e', 'f', 'g', 'h'], unique: true },
      { kind: 'constant', value: null },
    ];
    const path = join(dir, `${n++}.parquet`);
    writeFileSync(path, encodeParquet(columns, data, at.length));
    const back = await runQuery(db, `SELECT * FROM read_parquet('${path}')`);
    expect(back.rows).toEqual(
      at.map((a, i) => ({
        remit: 'R-1',
        paid_on: '2024-03-18',
        seq: i + 1,
        cause: causes[[0, 0, 2, 1, 0, 0, 2, 2][i] as number],
        claim: Number.isNaN(a) ? null : claims[a - 1],
        id: ['a', 'b', 'c', null, 'e', 'f', 'g', 'h'][i],
        blank: null,
      })),
    );
    const meta = await runQuery(
      db,
      `SELECT path_in_schema, encodings FROM parquet_metadata('${path}') ORDER BY 1`,
    );
    const encodings = (column: string) => meta.rows.find((r) => r.path_in_schema === column)?.encodings;
    for (const column of ['remit', 'cause', 'claim']) expect(encodings(column)).toContain('RLE_DICTIONARY');
    expect(encodings('id')).not.toContain('RLE_DICTIONARY');
  });

  it('keeps dictionaries apart from file to file and column to column, across many files', async () => {
    // The encoder remembers dictionary slots between columns and files; 1,100 files of two string
    // columns take it past its generation counter (1,024) more than once.
    const columns: Column<Record<string, unknown>>[] = [
      { name: 'a', type: 'varchar' },
      { name: 'b', type: 'varchar' },
    ];
    const codes = ['CO', 'PR', 'OA', 'PI', '45', '2'];
    const kept: { path: string; rows: { a: string; b: string }[] }[] = [];
    for (let file = 0; file < 1100; file++) {
      const rows = Array.from({ length: 6 }, (_, k) => ({
        a: codes[(file + k) % codes.length] as string,
        b: codes[(file * 7 + k * 5) % 4] as string,
      }));
      const bytes = encodeParquet(columns, columnsOfRows(columns, rows), rows.length);
      if (file % 97 === 0 || file >= 1020) {
        const path = join(dir, `${n++}.parquet`);
        writeFileSync(path, bytes);
        kept.push({ path, rows });
      }
    }
    for (const { path, rows } of kept) {
      expect((await runQuery(db, `SELECT a, b FROM read_parquet('${path}')`)).rows).toEqual(rows);
    }
  });
});
