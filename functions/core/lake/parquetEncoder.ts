import { daysOfIsoDate } from '../money.ts';
import type { Column, ColumnType } from './schema.ts';
import { snappyCompress, snappyMaxLength } from './snappy.ts';
import { ByteWriter, StructWriter } from './thriftCompact.ts';

/**
 * The values of one column, as the 835 reader produces them. Numbers are NaN where the value is
 * absent: money is integer cents, dates are days since 1970-01-01, timestamps microseconds since
 * 1970, booleans 0 or 1.
 */
export type ColumnData =
  /** `unique` skips trying a dictionary (claim ids in the claims file). */
  | { kind: 'strings'; values: readonly (string | null)[]; unique?: boolean }
  /**
   * Row i holds `values[at[i] - 1]` (null where `at[i]` is NaN): an adjustment's claim id is its
   * claim's. `values` is written as the dictionary as it stands, repeats included (readers look
   * values up by position), so no row is hashed.
   */
  | { kind: 'lookup'; values: readonly (string | null)[]; at: ArrayLike<number> }
  /** The same value on every row (a remittance's id or payment date on each of its claims). */
  | { kind: 'constant'; value: string | number | null }
  | { kind: 'numbers'; values: ArrayLike<number> }
  /**
   * Indices into `names` (categories, causes, levels): the names are the dictionary. An index
   * past the end of `names` is a null (a cause the lake leaves to the models: taxonomy NO_CAUSE).
   */
  | { kind: 'codes'; codes: ArrayLike<number>; names: readonly string[] }
  /** 1, 2, 3, … (claim_seq, adjustment_seq). */
  | { kind: 'sequence' };

/**
 * Encodes columns as one Parquet file (one row group, one data page per column, every column
 * OPTIONAL, pages compressed with Snappy; strings that repeat get a dictionary page and RLE
 * indices, the rest is PLAIN). Every column chunk carries statistics: its null count and, when it
 * has a value, its min_value and max_value in the type's order (signed for numbers, UTF-8 bytes
 * for strings; declared by `column_orders`), so a reader skips files by value. Pure and synchronous: a remittance's few hundred rows encode in microseconds, where
 * opening a Parquet writer per file in a database costs milliseconds: that is what makes one
 * file per remittance (the lake contract) affordable. The encoder reads columns straight
 * through and writes into buffers it keeps between calls; the only allocation per file is the
 * returned Buffer.
 *
 * Types follow the lake schema: money → INT64 DECIMAL(18,2) holding integer cents; date → INT32
 * DATE; timestamp → INT64 TIMESTAMP(MICROS, not UTC-adjusted); varchar → BYTE_ARRAY STRING.
 */
export function encodeParquet<Row>(
  columns: readonly Column<Row>[],
  data: readonly ColumnData[],
  rows: number,
): Buffer {
  if (data.length !== columns.length) throw new Error('encodeParquet: one ColumnData per column');
  const layout = layoutOf(columns);
  const out = OUT;
  out.reset();
  out.bytes(MAGIC);
  const meta = CHUNKS;
  for (let c = 0; c < columns.length; c++) {
    writeColumnChunk(out, (columns[c] as Column<Row>).type, data[c] as ColumnData, rows, meta, c);
  }
  const footerStart = out.length;
  // FileMetaData: 1 version, 2 schema (the same bytes for every file of a table), 3 num_rows,
  // 4 row_groups (one), 6 created_by.
  out.byte(0x15);
  out.zigzag(1);
  out.bytes(layout.schema);
  out.byte(0x16);
  out.zigzag(rows);
  out.byte(0x19);
  out.byte(0x1c);
  // RowGroup: 1 columns, 2 total_byte_size, 3 num_rows.
  out.byte(0x19);
  listHeader(out, columns.length, 12);
  let total = 0;
  for (let c = 0; c < columns.length; c++) {
    writeChunkMeta(out, layout, c, meta, rows);
    total += meta[c * META + 4] as number;
  }
  out.byte(0x16);
  out.zigzag(total);
  out.byte(0x16);
  out.zigzag(rows);
  out.byte(0);
  out.byte(0x28);
  out.varint(CREATED_BY.length);
  out.bytes(CREATED_BY);
  out.bytes(layout.columnOrders);
  out.byte(0);
  out.int32LE(out.length - footerStart);
  out.bytes(MAGIC);
  return out.copy();
}

/** Column data of rows given as objects: for tables of a row or two, and for tests. */
export function columnsOfRows<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): ColumnData[] {
  return columns.map((column): ColumnData => {
    const values = rows.map((r) => r[column.name] as unknown);
    if (column.type === 'varchar') return { kind: 'strings', values: values as (string | null)[] };
    return {
      kind: 'numbers',
      values: values.map((v) => {
        if (v === null || v === undefined) return Number.NaN;
        switch (column.type) {
          case 'date':
            return daysOfIsoDate(v as string);
          case 'timestamp':
            return Date.parse(v as string) * 1000;
          case 'boolean':
            return v ? 1 : 0;
          default:
            return v as number;
        }
      }),
    };
  });
}

const MAGIC = Buffer.from('PAR1', 'ascii');
const CREATED_BY = Buffer.from('recoup', 'utf8');
const ENCODING_PLAIN = 0;
const ENCODING_RLE = 3;
const ENCODING_RLE_DICTIONARY = 8;
const CODEC_SNAPPY = 1;
/** Strings longer than this (UTF-8 bytes) leave a chunk without min/max: footers stay small. */
const STATS_STRING_LIMIT = 128;

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

/** Buffers kept between calls (the encoder is synchronous, so one set serves every file). */
const OUT = new ByteWriter(1 << 16);
const PAGE = new ByteWriter(1 << 14);
const DICTIONARY = new ByteWriter(1 << 12);
let INDICES = new Int32Array(1 << 12);
/** How many indices `dictionaryOf` wrote (the column's non-null rows). */
let DEFINED = 0;
/**
 * Dictionary slots of the string column being encoded, kept across columns and files: an entry
 * is (generation << 21 | slot) and counts only for the column of its generation, so the map is
 * neither cleared nor regrown for each column (that was most of the encoder's dictionary time).
 * It is emptied when the generations wrap and when it grows past SEEN_LIMIT entries.
 */
const SEEN = new Map<string, number>();
const SEEN_LIMIT = 200_000;
const SLOT_BITS = 21;
const SLOT_MASK = (1 << SLOT_BITS) - 1;
let generation = 0;
/** Numbers kept per column in CHUNKS. */
const META = 7;
/**
 * Per column of the file being written: chunk offset, dictionary page offset (−1: none), data
 * page offset, size as written (compressed), size uncompressed, and where its Statistics struct
 * starts and ends in STATS.
 */
let CHUNKS: number[] = [];
/** Compressed page bytes, before they are appended after their header. */
const COMPRESSED = new ByteWriter(1 << 14);
/** The Statistics structs of the file's columns, ready to copy into the footer. */
const STATS = new ByteWriter(1 << 12);

interface Layout {
  /** Field 2 of FileMetaData (header, list and every SchemaElement), the same for every file. */
  schema: Uint8Array;
  /** path_in_schema of each column: a one-element list<binary>, ready to copy. */
  paths: Uint8Array[];
  physical: number[];
  /** Field 7 of FileMetaData: every column ordered by its type (what min_value/max_value mean). */
  columnOrders: Uint8Array;
}

const LAYOUTS = new WeakMap<readonly unknown[], Layout>();

/** The parts of the footer that depend only on the columns, built once per column list. */
function layoutOf<Row>(columns: readonly Column<Row>[]): Layout {
  let layout = LAYOUTS.get(columns);
  if (layout !== undefined) return layout;
  const w = new ByteWriter(1024);
  // Field 2 of FileMetaData follows field 1, so its header is the delta form (1 << 4 | List).
  w.byte(0x19);
  listHeader(w, columns.length + 1, 12);
  const root = new StructWriter(w);
  root.string(4, 'schema').i32(5, columns.length).end();
  for (const column of columns) {
    const s = new StructWriter(w);
    schemaElement(s, column.name, column.type);
    s.end();
  }
  const paths = columns.map((column) => {
    const name = Buffer.from(column.name, 'utf8');
    const p = new ByteWriter(16 + name.length);
    p.byte(0x18); // list of one binary
    p.varint(name.length);
    p.bytes(name);
    return p.copy();
  });
  const orders = new ByteWriter(16 + columns.length * 3);
  orders.byte(0x19); // field 7 after field 6
  listHeader(orders, columns.length, 12);
  for (let c = 0; c < columns.length; c++) {
    orders.byte(0x1c); // ColumnOrder.TYPE_ORDER (field 1): an empty TypeDefinedOrder
    orders.byte(0);
    orders.byte(0);
  }
  layout = {
    schema: w.copy(),
    paths,
    physical: columns.map((c) => PHYSICAL[c.type]),
    columnOrders: orders.copy(),
  };
  LAYOUTS.set(columns, layout);
  if (CHUNKS.length < columns.length * META) CHUNKS = new Array<number>(columns.length * META).fill(0);
  return layout;
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

function listHeader(w: ByteWriter, size: number, type: number): void {
  if (size < 15) w.byte((size << 4) | type);
  else {
    w.byte(0xf0 | type);
    w.varint(size);
  }
}

/**
 * ColumnChunk { 2 file_offset, 3 ColumnMetaData { 1 type … 9 data_page_offset,
 * 11 dictionary_page_offset, 12 statistics } }.
 */
function writeChunkMeta(out: ByteWriter, layout: Layout, c: number, meta: number[], rows: number): void {
  const offset = meta[c * META] as number;
  const dictionary = meta[c * META + 1] as number;
  const data = meta[c * META + 2] as number;
  const size = meta[c * META + 3] as number;
  const uncompressed = meta[c * META + 4] as number;
  const statsStart = meta[c * META + 5] as number;
  const statsEnd = meta[c * META + 6] as number;
  out.byte(0x26);
  out.zigzag(offset);
  out.byte(0x1c);
  out.byte(0x15);
  out.zigzag(layout.physical[c] as number);
  out.byte(0x19);
  if (dictionary < 0) {
    out.byte(0x25);
    out.zigzag(ENCODING_PLAIN);
    out.zigzag(ENCODING_RLE);
  } else {
    out.byte(0x35);
    out.zigzag(ENCODING_PLAIN);
    out.zigzag(ENCODING_RLE);
    out.zigzag(ENCODING_RLE_DICTIONARY);
  }
  out.byte(0x19);
  out.bytes(layout.paths[c] as Uint8Array);
  out.byte(0x15);
  out.zigzag(CODEC_SNAPPY);
  out.byte(0x16);
  out.zigzag(rows);
  out.byte(0x16);
  out.zigzag(uncompressed);
  out.byte(0x16);
  out.zigzag(size);
  out.byte(0x26);
  out.zigzag(data);
  if (dictionary >= 0) {
    out.byte(0x26);
    out.zigzag(dictionary);
    out.byte(0x1c); // 12 statistics, after 11
  } else {
    out.byte(0x3c); // 12 statistics, after 9
  }
  out.bytes(STATS.room(0).subarray(statsStart, statsEnd));
  out.byte(0);
  out.byte(0);
}

/**
 * Writes one page: its header, then its body compressed with Snappy. Returns the bytes it takes
 * uncompressed (header included), for the chunk's total_uncompressed_size.
 */
function writePage(
  out: ByteWriter,
  dictionaryPage: boolean,
  body: ByteWriter,
  values: number,
  encoding: number,
): number {
  const n = body.length;
  const compressed = COMPRESSED;
  compressed.length = snappyCompress(body.room(0), n, compressed.room(snappyMaxLength(n)), 0);
  const headerStart = out.length;
  pageHeader(out, dictionaryPage, n, compressed.length, values, encoding);
  const header = out.length - headerStart;
  out.append(compressed);
  return header + n;
}

/** A page header: 1 type, 2/3 sizes, then 5 (data page) or 7 (dictionary page). */
function pageHeader(
  out: ByteWriter,
  dictionaryPage: boolean,
  uncompressedSize: number,
  compressedSize: number,
  values: number,
  encoding: number,
): void {
  out.byte(0x15);
  out.zigzag(dictionaryPage ? 2 : 0);
  out.byte(0x15);
  out.zigzag(uncompressedSize);
  out.byte(0x15);
  out.zigzag(compressedSize);
  if (dictionaryPage) {
    out.byte(0x4c);
    out.byte(0x15);
    out.zigzag(values);
    out.byte(0x15);
    out.zigzag(ENCODING_PLAIN);
  } else {
    out.byte(0x2c);
    out.byte(0x15);
    out.zigzag(values);
    out.byte(0x15);
    out.zigzag(encoding);
    out.byte(0x15);
    out.zigzag(ENCODING_RLE);
    out.byte(0x15);
    out.zigzag(ENCODING_RLE);
  }
  out.byte(0);
  out.byte(0);
}

/** Writes one column chunk (its dictionary page if it has one, then its data page) and its statistics. */
function writeColumnChunk(
  out: ByteWriter,
  type: ColumnType,
  data: ColumnData,
  n: number,
  meta: number[],
  c: number,
): void {
  if (c === 0) STATS.reset();
  const statsStart = STATS.length;
  writeStatistics(STATS, type, data, n);
  meta[c * META + 5] = statsStart;
  meta[c * META + 6] = STATS.length;
  const start = out.length;
  let uncompressed = 0;
  if (type === 'varchar' && allNullStrings(data, n)) {
    // A column of nothing (DRG codes, PLB references on claims): one run of nulls, no values.
    const page = PAGE;
    page.reset();
    page.int32LE(0);
    if (n > 0) levelRun(page, n, false);
    page.patchInt32LE(0, page.length - 4);
    uncompressed = writePage(out, false, page, n, ENCODING_PLAIN);
    meta[c * META] = start;
    meta[c * META + 1] = -1;
    meta[c * META + 2] = start;
    meta[c * META + 3] = out.length - start;
    meta[c * META + 4] = uncompressed;
    return;
  }
  let distinct = -1;
  if (type === 'varchar') distinct = dictionaryOf(data, n);
  const page = PAGE;
  page.reset();
  page.int32LE(0); // length of the definition levels, patched below
  let encoding = ENCODING_PLAIN;
  let dictionaryOffset = -1;
  if (distinct >= 0) {
    // Dictionary page (the distinct values, PLAIN), then indices as RLE runs.
    dictionaryOffset = start;
    uncompressed += writePage(out, true, DICTIONARY, distinct, ENCODING_PLAIN);
    definitionLevelsOfStrings(page, data, n);
    page.patchInt32LE(0, page.length - 4);
    const bitWidth = Math.max(1, Math.ceil(Math.log2(distinct)));
    page.byte(bitWidth);
    rleIndices(page, INDICES, DEFINED, Math.ceil(bitWidth / 8));
    encoding = ENCODING_RLE_DICTIONARY;
  } else if (type === 'varchar') {
    definitionLevelsOfStrings(page, data, n);
    page.patchInt32LE(0, page.length - 4);
    plainStrings(page, data, n);
  } else {
    definitionLevelsOfNumbers(page, data, n);
    page.patchInt32LE(0, page.length - 4);
    plainNumbers(page, type, data, n);
  }
  const dataOffset = out.length;
  uncompressed += writePage(out, false, page, n, encoding);
  meta[c * META] = start;
  meta[c * META + 1] = dictionaryOffset;
  meta[c * META + 2] = dataOffset;
  meta[c * META + 3] = out.length - start;
  meta[c * META + 4] = uncompressed;
}

/**
 * Writes a column's Statistics struct (3 null_count, 5 max_value, 6 min_value, stop) into `w`.
 * Values are PLAIN-encoded without a length prefix; min and max are left out when the column has
 * no value, or a string too long to be worth keeping in every footer.
 */
function writeStatistics(w: ByteWriter, type: ColumnType, data: ColumnData, n: number): void {
  if (type === 'varchar') {
    const s = stringStats(data, n);
    w.byte(0x36);
    w.zigzag(s.nulls);
    if (s.min !== null && s.max !== null) {
      const max = utf8Length(s.max);
      const min = utf8Length(s.min);
      if (max <= STATS_STRING_LIMIT && min <= STATS_STRING_LIMIT) {
        w.byte(0x28);
        w.varint(max);
        w.utf8(s.max);
        w.byte(0x18);
        w.varint(min);
        w.utf8(s.min);
      }
    }
    w.byte(0);
    return;
  }
  const s = numberStats(data, n);
  w.byte(0x36);
  w.zigzag(s.nulls);
  if (s.nulls < n) {
    w.byte(0x28);
    statValue(w, type, s.max, true);
    w.byte(0x18);
    statValue(w, type, s.min, false);
  }
  w.byte(0);
}

/** A min or max as Thrift binary: its length, then the value PLAIN-encoded. */
function statValue(w: ByteWriter, type: ColumnType, v: number, isMax: boolean): void {
  switch (type) {
    case 'money':
    case 'timestamp':
      w.varint(8);
      w.int64LE(v);
      return;
    case 'integer':
    case 'date':
      w.varint(4);
      w.int32LE(v);
      return;
    case 'double':
      // The format's rule for signed zeros: a zero min is written −0, a zero max +0.
      w.varint(8);
      w.doubleLE(v === 0 ? (isMax ? 0 : -0) : v);
      return;
    case 'boolean':
      w.varint(1);
      w.byte(v === 0 ? 0 : 1);
      return;
    default:
      throw new Error(`${type} is not a numeric type`);
  }
}

const NUMBER_STATS = { nulls: 0, min: 0, max: 0 };

/** Null count, min and max of a numeric column (min/max meaningless when every row is null). */
function numberStats(data: ColumnData, n: number): typeof NUMBER_STATS {
  const s = NUMBER_STATS;
  s.nulls = 0;
  s.min = Number.POSITIVE_INFINITY;
  s.max = Number.NEGATIVE_INFINITY;
  switch (data.kind) {
    case 'sequence':
      s.min = 1;
      s.max = n;
      return s;
    case 'constant': {
      const v = constantNumber(data);
      if (Number.isNaN(v)) s.nulls = n;
      else {
        s.min = v;
        s.max = v;
      }
      return s;
    }
    case 'numbers': {
      const values = data.values;
      let nulls = 0;
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < n; i++) {
        const v = values[i] as number;
        if (Number.isNaN(v)) nulls++;
        else {
          if (v < min) min = v;
          if (v > max) max = v;
        }
      }
      s.nulls = nulls;
      s.min = min;
      s.max = max;
      return s;
    }
    default:
      throw new Error(`a ${data.kind} column cannot be numeric`);
  }
}

const STRING_STATS: { nulls: number; min: string | null; max: string | null } = {
  nulls: 0,
  min: null,
  max: null,
};

/** Null count, min and max (in UTF-8 byte order) of a string column. */
function stringStats(data: ColumnData, n: number): typeof STRING_STATS {
  const s = STRING_STATS;
  s.nulls = 0;
  s.min = null;
  s.max = null;
  if (data.kind === 'constant') {
    if (typeof data.value === 'string') s.min = s.max = data.value;
    else s.nulls = n;
    return s;
  }
  let nulls = 0;
  let min: string | null = null;
  let max: string | null = null;
  for (let i = 0; i < n; i++) {
    let v: string | null;
    if (data.kind === 'codes') v = data.names[data.codes[i] as number] ?? null;
    else if (data.kind === 'strings' || data.kind === 'lookup') v = stringAt(data, i);
    else throw new Error(`a ${data.kind} column cannot be a varchar`);
    if (v === null) {
      nulls++;
      continue;
    }
    if (min === null || max === null) {
      min = v;
      max = v;
    } else if (v !== min && v !== max) {
      if (compareUtf8(v, min) < 0) min = v;
      else if (compareUtf8(v, max) > 0) max = v;
    }
  }
  s.nulls = nulls;
  s.min = min;
  s.max = max;
  return s;
}

/**
 * Compares strings by their UTF-8 bytes (Parquet's order for strings). UTF-16 code units give the
 * same order except where a surrogate pair meets a character from U+E000 up; only then are the
 * strings encoded.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x < 0xd800 && y < 0xd800) return x - y;
    return Buffer.compare(Buffer.from(a.slice(i), 'utf8'), Buffer.from(b.slice(i), 'utf8'));
  }
  return a.length - b.length;
}

/** UTF-8 length of a string (its length when it is ASCII). */
function utf8Length(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 128) return Buffer.byteLength(s, 'utf8');
  return s.length;
}

/**
 * Builds the dictionary of a string column into DICTIONARY (PLAIN values) and INDICES (one per
 * defined row), when a dictionary pays: remittance files repeat the same remit_id, claim id,
 * codes and dates on every row. Returns the number of distinct values, or −1 for PLAIN.
 */
function dictionaryOf(data: ColumnData, n: number): number {
  if (n < 2) return -1;
  if (INDICES.length < n) INDICES = new Int32Array(Math.max(n, INDICES.length * 2));
  const indices = INDICES;
  const dictionary = DICTIONARY;
  dictionary.reset();
  switch (data.kind) {
    case 'constant':
      if (typeof data.value !== 'string') return -1;
      dictionary.lengthPrefixedUtf8(data.value);
      indices.fill(0, 0, n);
      DEFINED = n;
      return 1;
    case 'lookup': {
      const values = data.values;
      const slot = slots(values.length);
      let distinct = 0;
      let defined = 0;
      for (let i = 0; i < n; i++) {
        const at = data.at[i] as number;
        if (Number.isNaN(at)) continue;
        let k = slot[at - 1] as number;
        if (k < 0) {
          // Only the referenced values (most are), in order of first use.
          const value = values[at - 1] ?? null;
          if (value === null) continue;
          k = distinct++;
          slot[at - 1] = k;
          dictionary.lengthPrefixedUtf8(value);
        }
        indices[defined++] = k;
      }
      DEFINED = defined;
      return defined >= 2 && distinct * 2 <= defined ? distinct : -1;
    }
    case 'codes': {
      // The names are the candidates: only those used go in, in order of first use; an index
      // past the names is a null row (no index).
      const names = data.names;
      const slot = slots(names.length);
      let distinct = 0;
      let defined = 0;
      for (let i = 0; i < n; i++) {
        const code = data.codes[i] as number;
        if (code >= names.length) continue;
        let k = slot[code] as number;
        if (k < 0) {
          k = distinct++;
          slot[code] = k;
          dictionary.lengthPrefixedUtf8(names[code] as string);
        }
        indices[defined++] = k;
      }
      DEFINED = defined;
      return defined >= 2 && distinct * 2 <= defined ? distinct : -1;
    }
    case 'strings': {
      if (data.unique === true) return -1;
      const values = data.values;
      const seen = SEEN;
      generation = (generation + 1) & 0x3ff;
      if (generation === 0 || seen.size > SEEN_LIMIT) {
        seen.clear();
        generation = 1;
      }
      const tag = generation << SLOT_BITS;
      let distinct = 0;
      let defined = 0;
      // The last two values seen: rows of one claim repeat its values, and codes alternate
      // (CO 45, PR 2, CO 45…), so most rows need no lookup.
      let last: string | null = null;
      let lastIndex = 0;
      let before: string | null = null;
      let beforeIndex = 0;
      for (let i = 0; i < n; i++) {
        const value = values[i] as string | null;
        if (value === null) continue;
        if (value !== last) {
          let k: number | undefined;
          if (value === before) k = beforeIndex;
          else {
            const entry = seen.get(value);
            if (entry !== undefined && entry >>> SLOT_BITS === generation) k = entry & SLOT_MASK;
            else {
              k = distinct++;
              // More distinct values than half the rows: a dictionary cannot pay.
              if (distinct * 2 > n || k > SLOT_MASK) return -1;
              seen.set(value, tag | k);
              dictionary.lengthPrefixedUtf8(value);
            }
          }
          before = last;
          beforeIndex = lastIndex;
          last = value;
          lastIndex = k;
        }
        indices[defined++] = lastIndex;
      }
      DEFINED = defined;
      return defined >= 2 && distinct * 2 <= defined ? distinct : -1;
    }
    default:
      return -1;
  }
}

let SLOTS = new Int32Array(1024);

/** A scratch array of `n` dictionary slots, all −1 (no value yet), reused from column to column. */
function slots(n: number): Int32Array {
  if (SLOTS.length < n) SLOTS = new Int32Array(Math.max(n, SLOTS.length * 2));
  SLOTS.fill(-1, 0, n);
  return SLOTS;
}

/** RLE runs of the hybrid encoding: run length, then the value in `bytes` little-endian bytes. */
function rleIndices(w: ByteWriter, values: Int32Array, count: number, bytes: number): void {
  let i = 0;
  while (i < count) {
    const v = values[i] as number;
    let j = i + 1;
    while (j < count && values[j] === v) j++;
    w.varint((j - i) * 2);
    for (let b = 0; b < bytes; b++) w.byte((v >>> (8 * b)) & 0xff);
    i = j;
  }
}

/** One run of definition levels (bit width 1): `length` rows all defined (1) or all null (0). */
function levelRun(w: ByteWriter, length: number, defined: boolean): void {
  w.varint(length * 2);
  w.byte(defined ? 1 : 0);
}

function definitionLevelsOfStrings(w: ByteWriter, data: ColumnData, n: number): void {
  if (n === 0) return;
  if (data.kind === 'strings' || data.kind === 'lookup') {
    let runStart = 0;
    let defined = stringAt(data, 0) !== null;
    for (let i = 1; i < n; i++) {
      const d = stringAt(data, i) !== null;
      if (d !== defined) {
        levelRun(w, i - runStart, defined);
        runStart = i;
        defined = d;
      }
    }
    levelRun(w, n - runStart, defined);
  } else if (data.kind === 'codes') {
    const codes = data.codes;
    const names = data.names.length;
    let runStart = 0;
    let defined = (codes[0] as number) < names;
    for (let i = 1; i < n; i++) {
      const d = (codes[i] as number) < names;
      if (d !== defined) {
        levelRun(w, i - runStart, defined);
        runStart = i;
        defined = d;
      }
    }
    levelRun(w, n - runStart, defined);
  } else {
    levelRun(w, n, data.kind !== 'constant' || data.value !== null);
  }
}

/** True when a strings or codes column has no value in its `n` rows. */
function allNullStrings(data: ColumnData, n: number): boolean {
  if (data.kind === 'strings') {
    const values = data.values;
    for (let i = 0; i < n; i++) if (values[i] !== null) return false;
    return true;
  }
  if (data.kind === 'codes') {
    const names = data.names.length;
    for (let i = 0; i < n; i++) if ((data.codes[i] as number) < names) return false;
    return true;
  }
  return false;
}

/** Row i of a strings or lookup column. */
function stringAt(data: ColumnData & { kind: 'strings' | 'lookup' }, i: number): string | null {
  if (data.kind === 'strings') return data.values[i] as string | null;
  const at = data.at[i] as number;
  return !Number.isNaN(at) ? (data.values[at - 1] ?? null) : null;
}

/** A constant's value as a number (NaN for null), for the numeric columns. */
function constantNumber(data: { value: string | number | null }): number {
  return typeof data.value === 'number' ? data.value : Number.NaN;
}

function definitionLevelsOfNumbers(w: ByteWriter, data: ColumnData, n: number): void {
  if (n === 0) return;
  if (data.kind !== 'numbers') {
    levelRun(w, n, data.kind !== 'constant' || !Number.isNaN(constantNumber(data)));
    return;
  }
  const values = data.values;
  let runStart = 0;
  let defined = !Number.isNaN(values[0]);
  for (let i = 1; i < n; i++) {
    const v = values[i] as number;
    const d = !Number.isNaN(v);
    if (d !== defined) {
      levelRun(w, i - runStart, defined);
      runStart = i;
      defined = d;
    }
  }
  levelRun(w, n - runStart, defined);
}

function plainStrings(w: ByteWriter, data: ColumnData, n: number): void {
  switch (data.kind) {
    case 'strings':
    case 'lookup':
      for (let i = 0; i < n; i++) {
        const v = stringAt(data, i);
        if (v !== null) w.lengthPrefixedUtf8(v);
      }
      return;
    case 'constant':
      if (typeof data.value === 'string') for (let i = 0; i < n; i++) w.lengthPrefixedUtf8(data.value);
      return;
    case 'codes':
      for (let i = 0; i < n; i++) {
        const name = data.names[data.codes[i] as number];
        if (name !== undefined) w.lengthPrefixedUtf8(name);
      }
      return;
    default:
      throw new Error(`a ${data.kind} column cannot be a varchar`);
  }
}

function plainNumbers(w: ByteWriter, type: ColumnType, data: ColumnData, n: number): void {
  if (data.kind === 'sequence') {
    for (let i = 1; i <= n; i++) w.int32LE(i);
    return;
  }
  if (data.kind === 'constant') {
    const v = constantNumber(data);
    if (!Number.isNaN(v)) plainNumbers(w, type, { kind: 'numbers', values: new Array<number>(n).fill(v) }, n);
    return;
  }
  if (data.kind !== 'numbers') throw new Error(`a ${data.kind} column cannot be ${type}`);
  const values = data.values;
  switch (type) {
    case 'money':
    case 'timestamp':
      for (let i = 0; i < n; i++) {
        const v = values[i] as number;
        if (!Number.isNaN(v)) w.int64LE(v);
      }
      return;
    case 'integer':
    case 'date':
      for (let i = 0; i < n; i++) {
        const v = values[i] as number;
        if (!Number.isNaN(v)) w.int32LE(v);
      }
      return;
    case 'double':
      for (let i = 0; i < n; i++) {
        const v = values[i] as number;
        if (!Number.isNaN(v)) w.doubleLE(v);
      }
      return;
    case 'boolean': {
      let bits = 0;
      let count = 0;
      for (let i = 0; i < n; i++) {
        const v = values[i] as number;
        if (Number.isNaN(v)) continue;
        if (v !== 0) bits |= 1 << (count & 7);
        count++;
        if ((count & 7) === 0) {
          w.byte(bits);
          bits = 0;
        }
      }
      if ((count & 7) !== 0) w.byte(bits);
      return;
    }
    default:
      throw new Error(`${type} is not a numeric type`);
  }
}
