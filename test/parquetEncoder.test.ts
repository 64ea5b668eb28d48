import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { tableFromIPC } from 'apache-arrow';
import fc from 'fast-check';
import { parquetReadObjects, snappyUncompress } from 'hyparquet';
import { readParquet } from 'parquet-wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import { parse835Columns } from '../functions/core/era/parse835.ts';
import { type ColumnData, columnsOfRows, encodeParquet } from '../functions/core/lake/parquetEncoder.ts';
import { encodeRemitFiles, FILE_COLUMNS } from '../functions/core/lake/remitFiles.ts';
import type { Column } from '../functions/core/lake/schema.ts';
import { snappyCompress, snappyMaxLength } from '../functions/core/lake/snappy.ts';
import { formatCents } from '../functions/core/money.ts';
import { ROOT } from './helpers/fixtures.ts';

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

beforeAll(async () => {
  db = await openDuckDb();
});
afterAll(() => {
  db.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

describe('the in-process Parquet encoder, read back by DuckDB', () => {
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

  it('writes a code past the names as null: with a dictionary, PLAIN, all null, as DuckDB and hyparquet read it', async () => {
    // The lake's cause is NULL on a reversal's rows and PLB rows (taxonomy NO_CAUSE, past the names).
    const NO = 255;
    const names = ['coding', 'duplicate', 'other'];
    const columns: Column<Record<string, unknown>>[] = [
      { name: 'dictionary', type: 'varchar' },
      { name: 'plain', type: 'varchar' },
      { name: 'none', type: 'varchar' },
    ];
    const codes = {
      dictionary: [NO, 0, 0, 1, NO, 1, 1, 0],
      plain: [NO, 0, 1, 2, NO, NO, NO, NO],
      none: [NO, NO, NO, NO, NO, NO, NO, NO],
    };
    const data: ColumnData[] = Object.values(codes).map((c) => ({
      kind: 'codes',
      codes: Uint8Array.from(c),
      names,
    }));
    const bytes = encodeParquet(columns, data, 8);
    const path = join(dir, `${n++}.parquet`);
    writeFileSync(path, bytes);
    const want = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => ({
      dictionary: names[codes.dictionary[i] as number] ?? null,
      plain: names[codes.plain[i] as number] ?? null,
      none: null,
    }));
    expect((await runQuery(db, `SELECT * FROM read_parquet('${path}')`)).rows).toEqual(want);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
    const hyp = (await parquetReadObjects({ file })).map((r) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v ?? null])),
    );
    expect(hyp).toEqual(want);
    const meta = await runQuery(
      db,
      `SELECT path_in_schema AS c, encodings, stats_min_value AS min, stats_max_value AS max, stats_null_count AS nulls
       FROM parquet_metadata('${path}') ORDER BY column_id`,
    );
    expect(meta.rows.map((r) => [r.c, r.min, r.max, r.nulls])).toEqual([
      ['dictionary', 'coding', 'duplicate', 2],
      ['plain', 'coding', 'other', 5],
      ['none', null, null, 8],
    ]);
    expect(meta.rows[0]?.encodings).toContain('RLE_DICTIONARY');
    expect(meta.rows[1]?.encodings).not.toContain('RLE_DICTIONARY');
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

describe('compression and statistics', () => {
  it('Snappy: what snappyCompress writes, a Snappy decoder reads back exactly (property)', () => {
    const out = new Uint8Array(1 << 20);
    const inputs = fc.oneof(
      fc.uint8Array({ maxLength: 3000 }),
      // Repetitive input, like a page of codes and ids: long matches, copies past 64 bytes.
      fc
        .tuple(
          fc.array(fc.constantFrom('CO', '45', 'PR', '2', 'ICN000123', '\u0000\u0000\u0000\u0001'), {
            maxLength: 400,
          }),
        )
        .map(([parts]) => new Uint8Array(Buffer.from(parts.join(''), 'latin1'))),
    );
    fc.assert(
      fc.property(inputs, (input) => {
        const end = snappyCompress(input, input.length, out, 0);
        expect(end).toBeLessThanOrEqual(snappyMaxLength(input.length));
        const back = new Uint8Array(input.length);
        snappyUncompress(out.subarray(0, end), back);
        expect(Buffer.from(back).equals(Buffer.from(input))).toBe(true);
      }),
      { numRuns: 300 },
    );
    // Far past 64 KiB (offsets capped at 64 KiB) and compressible: it shrinks.
    const big = new Uint8Array(Buffer.from('CLP*R100*22*-200*-150~CAS*CO*45*50~'.repeat(8000), 'latin1'));
    const end = snappyCompress(big, big.length, out, 0);
    expect(end).toBeLessThan(big.length / 4);
    const back = new Uint8Array(big.length);
    snappyUncompress(out.subarray(0, end), back);
    expect(Buffer.from(back).equals(Buffer.from(big))).toBe(true);
  });

  it('every column chunk is SNAPPY and carries null count, min and max in the type order', async () => {
    const rows: Row[] = [
      { s: 'PR', m: -5, d: '2024-02-29', b: false, i: 7, f: 0, t: '2026-01-02T03:04:05.678Z' },
      { s: null, m: 12345, d: null, b: true, i: -3, f: -2.5, t: null },
      {
        s: 'CO',
        m: 999_999_999_999_99,
        d: '1999-12-31',
        b: null,
        i: null,
        f: null,
        t: '2020-06-30T00:00:00.000Z',
      },
      { s: 'é', m: null, d: '2030-06-15', b: false, i: 2_147_483_647, f: 3, t: null },
      { s: 'z', m: -1e15, d: null, b: null, i: null, f: null, t: null },
    ];
    expect(await roundTrip(rows)).toEqual(rows.map(expected));
    const path = join(dir, `${n - 1}.parquet`);
    const meta = await runQuery(
      db,
      `SELECT path_in_schema AS c, compression, stats_min_value AS min, stats_max_value AS max,
              stats_null_count AS nulls
       FROM parquet_metadata('${path}') ORDER BY column_id`,
    );
    expect(meta.rows).toEqual([
      // 'é' is two UTF-8 bytes from 0xC3: after every ASCII letter.
      { c: 's', compression: 'SNAPPY', min: 'CO', max: 'é', nulls: 1 },
      { c: 'm', compression: 'SNAPPY', min: '-10000000000000.00', max: '999999999999.99', nulls: 1 },
      { c: 'd', compression: 'SNAPPY', min: '1999-12-31', max: '2030-06-15', nulls: 2 },
      { c: 'b', compression: 'SNAPPY', min: 'false', max: 'true', nulls: 2 },
      { c: 'i', compression: 'SNAPPY', min: '-3', max: '2147483647', nulls: 2 },
      { c: 'f', compression: 'SNAPPY', min: '-2.5', max: '3.0', nulls: 2 },
      { c: 't', compression: 'SNAPPY', min: '2020-06-30 00:00:00', max: '2026-01-02 03:04:05.678', nulls: 3 },
    ]);
    // DuckDB prunes on them: a filter outside [min, max] reads no row group.
    const pruned = await runQuery(
      db,
      `SELECT count(*)::INTEGER AS n FROM read_parquet('${path}') WHERE d > DATE '2031-01-01'`,
    );
    expect(pruned.rows).toEqual([{ n: 0 }]);
  });

  it('a chunk of nulls has a null count and no min or max; a long string keeps the footer small', async () => {
    const rows: Row[] = [
      { s: 'x'.repeat(300), m: null, d: null, b: null, i: null, f: null, t: null },
      { s: 'a', m: null, d: null, b: null, i: null, f: null, t: null },
    ];
    expect(await roundTrip(rows)).toEqual(rows.map(expected));
    const path = join(dir, `${n - 1}.parquet`);
    const meta = await runQuery(
      db,
      `SELECT path_in_schema AS c, stats_min_value AS min, stats_max_value AS max, stats_null_count AS nulls
       FROM parquet_metadata('${path}') WHERE path_in_schema IN ('s', 'm') ORDER BY column_id`,
    );
    expect(meta.rows).toEqual([
      { c: 's', min: null, max: null, nulls: 0 },
      { c: 'm', min: null, max: null, nulls: 2 },
    ]);
  });

  it('arrow-rs (parquet-wasm) and hyparquet read the lake files of a fixture exactly as DuckDB does', async () => {
    const fixtures = join(ROOT, 'test', 'fixtures', '835');
    let files = 0;
    for (const folder of ['recoup', 'cases']) {
      for (const name of readdirSync(join(fixtures, folder)).sort()) {
        const text = readFileSync(join(fixtures, folder, name), 'utf8');
        let remits: ReturnType<typeof parse835Columns>;
        try {
          remits = parse835Columns(text, { key: name, sha256: 'x', ingestedAt: '2025-01-02T03:04:05Z' });
        } catch {
          continue; // the bad cases are tested elsewhere
        }
        for (const remit of remits) {
          for (const [table, bytes] of Object.entries(encodeRemitFiles(remit))) {
            const path = join(dir, `${n++}-${table}.parquet`);
            writeFileSync(path, bytes as Buffer);
            const duck = (
              await runQuery(db, `SELECT * REPLACE (${moneyAsCents(table)}) FROM read_parquet('${path}')`)
            ).rows.map((r) => normalize(table, r));
            const arrow = tableFromIPC(readParquet(new Uint8Array(bytes as Buffer)).intoIPCStream())
              .toArray()
              .map((r) => normalize(table, r.toJSON()));
            const file = (bytes as Buffer).buffer.slice(
              (bytes as Buffer).byteOffset,
              (bytes as Buffer).byteOffset + (bytes as Buffer).length,
            ) as ArrayBuffer;
            const hyp = (await parquetReadObjects({ file })).map((r) => normalize(table, r, true));
            expect(arrow, `${name} ${table} (arrow-rs)`).toEqual(duck);
            expect(hyp, `${name} ${table} (hyparquet)`).toEqual(duck);
            files++;
          }
        }
      }
    }
    expect(files).toBeGreaterThan(30);
  });
});

/** DuckDB's SELECT list that reads a file's DECIMAL columns as their unscaled cents. */
function moneyAsCents(table: string): string {
  const money = FILE_COLUMNS[table as keyof typeof FILE_COLUMNS]
    .filter((c) => c.type === 'money')
    .map((c) => `(${c.name} * 100)::BIGINT AS ${c.name}`);
  return money.join(', ');
}

/**
 * A row as comparable values by the column's lake type: cents as numbers (DuckDB is asked for
 * cents, arrow-rs gives DECIMAL as a 128-bit integer, hyparquet as a scaled number), dates as days,
 * timestamps as milliseconds (what arrow's JavaScript rows give), the rest as is.
 */
function normalize(table: string, row: Record<string, unknown>, dollars = false): Record<string, unknown> {
  const types = new Map(FILE_COLUMNS[table as keyof typeof FILE_COLUMNS].map((c) => [c.name, c.type]));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = comparable(types.get(k), v, dollars);
  return out;
}

function comparable(type: string | undefined, v: unknown, dollars: boolean): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'money':
      if (v instanceof Uint32Array) {
        let big = 0n;
        for (let w = 3; w >= 0; w--) big = (big << 32n) | BigInt(v[w] as number);
        return Number(BigInt.asIntN(128, big));
      }
      // hyparquet scales DECIMAL to a number of dollars; DuckDB was asked for cents.
      return dollars ? Math.round(Number(v) * 100) : Number(v);
    case 'date':
      if (v instanceof Date) return v.getTime() / 86_400_000;
      if (typeof v === 'string') return Date.parse(`${v}T00:00:00Z`) / 86_400_000;
      return Number(v) / 86_400_000;
    case 'timestamp':
      if (v instanceof Date) return v.getTime();
      if (typeof v === 'string') return Date.parse(`${v.replace(' ', 'T')}Z`);
      return Number(v);
    case 'integer':
      return Number(v);
    default:
      return v;
  }
}
