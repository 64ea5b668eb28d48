import type { Column, ColumnType } from './schema.ts';
import { ByteWriter, StructWriter } from './thriftCompact.ts';

/**
 * Encodes rows as one Parquet file (one row group, one data page per column, every column
 * OPTIONAL, uncompressed; strings that repeat get a dictionary page and RLE indices, the rest is
 * PLAIN). Pure and synchronous: a remittance's few hundred rows encode in
 * microseconds, where opening a Parquet writer per file in a database costs milliseconds: that
 * is what makes one file per remittance (the lake contract) affordable.
 *
 * Types follow the lake schema: money → INT64 DECIMAL(18,2) holding integer cents; date → INT32
 * DATE; timestamp → INT64 TIMESTAMP(MICROS, not UTC-adjusted); varchar → BYTE_ARRAY STRING.
 */
export function encodeParquet<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): Buffer {
  const out = new ByteWriter(4096 + rows.length * columns.length * 12);
  out.bytes(MAGIC);
  const chunks: ChunkMeta[] = [];
  for (const column of columns) chunks.push(writeColumnChunk(out, column, rows));
  const footerStart = out.length;
  const footer = new StructWriter(out);
  footer.i32(1, 1);
  footer.listStruct(2, [null, ...columns], (s, column) => {
    if (column === null) {
      s.string(4, 'schema').i32(5, columns.length);
    } else {
      schemaElement(s, column.name, column.type);
    }
  });
  footer.i64(3, rows.length);
  footer.listStruct(4, [chunks], (rg, list) => {
    rg.listStruct(1, list, (cc, chunk) => {
      cc.i64(2, chunk.offset);
      cc.struct(3, (md) => {
        md.i32(1, PHYSICAL[chunk.type]);
        md.listI32(
          2,
          chunk.dictionaryOffset === null
            ? [ENCODING_PLAIN, ENCODING_RLE]
            : [ENCODING_PLAIN, ENCODING_RLE, ENCODING_RLE_DICTIONARY],
        );
        md.listString(3, [chunk.name]);
        md.i32(4, 0); // UNCOMPRESSED
        md.i64(5, rows.length);
        md.i64(6, chunk.size);
        md.i64(7, chunk.size);
        md.i64(9, chunk.dataOffset);
        if (chunk.dictionaryOffset !== null) md.i64(11, chunk.dictionaryOffset);
      });
    });
    rg.i64(
      2,
      list.reduce((n, c) => n + c.size, 0),
    );
    rg.i64(3, rows.length);
  });
  footer.string(6, 'recoup');
  footer.end();
  out.int32LE(out.length - footerStart);
  out.bytes(MAGIC);
  return out.result();
}

const MAGIC = Buffer.from('PAR1', 'ascii');
const ENCODING_PLAIN = 0;
const ENCODING_RLE = 3;
const ENCODING_RLE_DICTIONARY = 8;

/** Parquet physical type per lake column type. */
const PHYSICAL: Record<ColumnType, number> = {
  boolean: 0,
  integer: 1,
  date: 1,
  money: 2,
  timestamp: 2,
  double: 5,
  varchar: 6,
};

interface ChunkMeta {
  name: string;
  type: ColumnType;
  /** Where the column chunk starts (its dictionary page when it has one). */
  offset: number;
  dictionaryOffset: number | null;
  dataOffset: number;
  size: number;
}

function schemaElement(s: StructWriter, name: string, type: ColumnType): void {
  s.i32(1, PHYSICAL[type]);
  s.i32(3, 1); // OPTIONAL
  s.string(4, name);
  switch (type) {
    case 'varchar':
      s.i32(6, 0); // UTF8
      s.struct(10, (lt) => lt.struct(1, () => {}));
      break;
    case 'money':
      s.i32(6, 5); // DECIMAL
      s.i32(7, 2);
      s.i32(8, 18);
      s.struct(10, (lt) => lt.struct(5, (d) => d.i32(1, 2).i32(2, 18)));
      break;
    case 'date':
      s.i32(6, 6); // DATE
      s.struct(10, (lt) => lt.struct(6, () => {}));
      break;
    case 'timestamp':
      s.struct(10, (lt) =>
        lt.struct(8, (ts) => ts.bool(1, false).struct(2, (unit) => unit.struct(2, () => {}))),
      );
      break;
    case 'integer':
      s.struct(10, (lt) => lt.struct(10, (it) => it.byte(1, 32).bool(2, true)));
      break;
    default:
      break;
  }
}

function writeColumnChunk<Row>(out: ByteWriter, column: Column<Row>, rows: readonly Row[]): ChunkMeta {
  const name = column.name;
  const n = rows.length;
  const defined = new Uint8Array(n);
  if (column.type === 'varchar') {
    const dictionary = dictionaryOf(rows, name, defined);
    if (dictionary !== null) return writeDictionaryChunk(out, column, n, defined, dictionary);
  }
  const values = new ByteWriter(64 + n * 9);
  let booleans: number[] | null = null;
  for (let i = 0; i < n; i++) {
    const value = (rows[i] as Record<string, unknown>)[name];
    if (value === null || value === undefined) continue;
    defined[i] = 1;
    switch (column.type) {
      case 'varchar':
        values.lengthPrefixedUtf8(value as string);
        break;
      case 'money':
        values.int64LE(value as number);
        break;
      case 'integer':
        values.int32LE(value as number);
        break;
      case 'date':
        values.int32LE(daysSinceEpoch(value as string));
        break;
      case 'timestamp':
        values.int64LE(Date.parse(value as string) * 1000);
        break;
      case 'double':
        values.doubleLE(value as number);
        break;
      case 'boolean':
        if (booleans === null) booleans = [];
        booleans.push(value ? 1 : 0);
        break;
    }
  }
  if (booleans !== null) {
    const packed = new Uint8Array(Math.ceil(booleans.length / 8));
    booleans.forEach((bit, i) => {
      if (bit) packed[i >> 3] = (packed[i >> 3] as number) | (1 << (i & 7));
    });
    values.bytes(packed);
  }
  const levels = definitionLevels(defined);
  const offset = out.length;
  writeDataPage(out, n, ENCODING_PLAIN, levels, values.result());
  return {
    name,
    type: column.type,
    offset,
    dictionaryOffset: null,
    dataOffset: offset,
    size: out.length - offset,
  };
}

/** A data page: header, then length-prefixed definition levels, then the encoded values. */
function writeDataPage(
  out: ByteWriter,
  n: number,
  encoding: number,
  levels: Buffer,
  values: Uint8Array,
): void {
  const pageSize = 4 + levels.length + values.length;
  const header = new StructWriter(out);
  header.i32(1, 0); // DATA_PAGE
  header.i32(2, pageSize);
  header.i32(3, pageSize);
  header.struct(5, (dp) => dp.i32(1, n).i32(2, encoding).i32(3, ENCODING_RLE).i32(4, ENCODING_RLE));
  header.end();
  out.int32LE(levels.length);
  out.bytes(levels);
  out.bytes(values);
}

interface Dictionary {
  values: string[];
  /** Dictionary index of each defined value, in row order. */
  indices: number[];
}

/**
 * Distinct values of a string column, when a dictionary pays: remittance files repeat the same
 * remit_id, claim id, codes and dates on every row. Marks `defined` as a side effect either way.
 */
function dictionaryOf<Row>(rows: readonly Row[], name: string, defined: Uint8Array): Dictionary | null {
  const index = new Map<string, number>();
  const values: string[] = [];
  const indices: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const value = (rows[i] as Record<string, unknown>)[name];
    if (value === null || value === undefined) continue;
    defined[i] = 1;
    let k = index.get(value as string);
    if (k === undefined) {
      k = values.length;
      index.set(value as string, k);
      values.push(value as string);
    }
    indices.push(k);
  }
  return indices.length >= 2 && values.length * 2 <= indices.length ? { values, indices } : null;
}

function writeDictionaryChunk<Row>(
  out: ByteWriter,
  column: Column<Row>,
  n: number,
  defined: Uint8Array,
  dictionary: Dictionary,
): ChunkMeta {
  const dictionaryOffset = out.length;
  const plain = new ByteWriter(64 + dictionary.values.length * 16);
  for (const v of dictionary.values) plain.lengthPrefixedUtf8(v);
  const page = plain.result();
  const header = new StructWriter(out);
  header.i32(1, 2); // DICTIONARY_PAGE
  header.i32(2, page.length);
  header.i32(3, page.length);
  header.struct(7, (dp) => dp.i32(1, dictionary.values.length).i32(2, ENCODING_PLAIN));
  header.end();
  out.bytes(page);
  const dataOffset = out.length;
  const bitWidth = Math.max(1, Math.ceil(Math.log2(dictionary.values.length)));
  const encoded = new ByteWriter(16 + dictionary.indices.length);
  encoded.byte(bitWidth);
  rleRuns(encoded, dictionary.indices, Math.ceil(bitWidth / 8));
  writeDataPage(out, n, ENCODING_RLE_DICTIONARY, definitionLevels(defined), encoded.result());
  return {
    name: column.name,
    type: column.type,
    offset: dictionaryOffset,
    dictionaryOffset,
    dataOffset,
    size: out.length - dictionaryOffset,
  };
}

/** RLE runs of the hybrid encoding: run length, then the value in `bytes` little-endian bytes. */
function rleRuns(w: ByteWriter, values: ArrayLike<number>, bytes: number): void {
  let i = 0;
  while (i < values.length) {
    const v = values[i] as number;
    let j = i + 1;
    while (j < values.length && values[j] === v) j++;
    w.varint((j - i) * 2);
    for (let b = 0; b < bytes; b++) w.byte((v >>> (8 * b)) & 0xff);
    i = j;
  }
}

/** Definition levels (bit width 1) as RLE runs of the hybrid encoding. */
function definitionLevels(defined: Uint8Array): Buffer {
  const w = new ByteWriter(16);
  rleRuns(w, defined, 1);
  return w.result();
}

/** Days since 1970-01-01 of an ISO `YYYY-MM-DD` date; remittances repeat few dates, so they are memoized. */
function daysSinceEpoch(iso: string): number {
  let days = DAYS.get(iso);
  if (days === undefined) {
    days =
      Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10))) / 86_400_000;
    if (DAYS.size > 100_000) DAYS.clear();
    DAYS.set(iso, days);
  }
  return days;
}

const DAYS = new Map<string, number>();
