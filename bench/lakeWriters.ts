/**
 * The staged lake's Parquet writer, compared: recoup's own encoder (functions/core/lake/
 * parquetEncoder.ts) against parquet-wasm 0.7 (arrow-rs compiled to WebAssembly, fed through
 * apache-arrow 21) and hyparquet-writer, each writing the lake's per-remittance files
 * (remittances, claims, adjustments) of the same parsed remittances.
 *
 * Measured: encode time (rounds, every writer once a round, every other round in reverse order;
 * medians), bytes written, whether each column chunk carries min/max statistics, and whether
 * DuckDB, arrow-rs (parquet-wasm's reader) and hyparquet read every file back with the same rows.
 * The other writers are handed plain arrays made beforehand (not timed), which favours them: in
 * ingest they would have to be built from the reader's columns first.
 *
 *   node --import tsx bench/lakeWriters.ts [--mb N] [--rounds N] [--json]
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  Bool,
  DateDay,
  Decimal,
  Float64,
  Int32,
  makeData,
  makeVector,
  Table,
  TimestampMicrosecond,
  tableFromIPC,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { parquetWriteBuffer } from 'hyparquet-writer';
import {
  Compression,
  readParquet,
  Table as WasmTable,
  WriterPropertiesBuilder,
  writeParquet,
} from 'parquet-wasm/node';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { parse835Columns } from '../functions/core/era/parse835.ts';
import type { ColumnData } from '../functions/core/lake/parquetEncoder.ts';
import { encodeParquet } from '../functions/core/lake/parquetEncoder.ts';
import { FILE_COLUMNS, fileColumnData } from '../functions/core/lake/remitFiles.ts';
import { type Column, LAKE_TABLES, type LakeTable } from '../functions/core/lake/schema.ts';
import type { RemitColumns } from '../functions/core/types.ts';
import { sqlString } from '../functions/ports/warehouse.ts';

type Plain = (string | number | boolean | null)[];
/** One file to write: its table, rows, the reader's columns, and the same as plain arrays. */
interface FileInput {
  table: LakeTable;
  rows: number;
  data: ColumnData[];
  plain: Plain[];
}

interface Writer {
  name: string;
  write: (file: FileInput) => Uint8Array;
}

const WRITERS: Writer[] = [
  {
    name: 'recoup (snappy)',
    write: (f) => encodeParquet(FILE_COLUMNS[f.table], f.data, f.rows),
  },
  {
    name: 'hyparquet-writer (snappy)',
    write: (f) => new Uint8Array(hyparquetWrite(f)),
  },
  {
    name: 'parquet-wasm (zstd)',
    write: (f) => wasmWrite(f, Compression.ZSTD),
  },
  {
    name: 'parquet-wasm (snappy)',
    write: (f) => wasmWrite(f, Compression.SNAPPY),
  },
];

/** Parses `mb` megabytes (or less) of the corpus into the files ingest would write. */
export function lakeFileInputs(corpusDir: string, mb: number): { inputs: FileInput[]; remits: number } {
  const inputs: FileInput[] = [];
  let bytes = 0;
  let remits = 0;
  for (const name of readdirSync(corpusDir).sort()) {
    if (name.endsWith('.json')) continue;
    const path = join(corpusDir, name);
    bytes += statSync(path).size;
    for (const remit of parse835Columns(readFileSync(path, 'utf8'), {
      key: name,
      sha256: '0'.repeat(64),
      ingestedAt: '2026-01-01T00:00:00.000Z',
    })) {
      remits++;
      for (const table of LAKE_TABLES) {
        const rows = rowsOf(remit, table);
        if (rows === 0) continue;
        const data = fileColumnData(remit, table);
        inputs.push({
          table,
          rows,
          data,
          plain: data.map((d, c) => plainOf(FILE_COLUMNS[table][c]!, d, rows)),
        });
      }
    }
    if (bytes >= mb * 1e6) break;
  }
  return { inputs, remits };
}

function rowsOf(remit: RemitColumns, table: LakeTable): number {
  return table === 'remittances' ? 1 : table === 'claims' ? remit.claims.length : remit.adjustments.length;
}

/** A column's values as a plain array: strings or null; numbers (cents, days, µs) or null; booleans. */
function plainOf(column: Column<Record<string, unknown>>, d: ColumnData, n: number): Plain {
  const out: Plain = new Array(n);
  for (let i = 0; i < n; i++) {
    let v: string | number | null;
    switch (d.kind) {
      case 'strings':
        v = d.values[i] ?? null;
        break;
      case 'lookup': {
        const at = d.at[i] as number;
        v = Number.isNaN(at) ? null : (d.values[at - 1] ?? null);
        break;
      }
      case 'constant':
        v = d.value;
        break;
      case 'codes':
        v = d.names[d.codes[i] as number] ?? null;
        break;
      case 'sequence':
        v = i + 1;
        break;
      case 'numbers':
        v = Number.isNaN(d.values[i]) ? null : (d.values[i] as number);
        break;
    }
    if (typeof v === 'number' && Number.isNaN(v)) v = null;
    out[i] = column.type === 'boolean' && v !== null ? v === 1 : v;
  }
  return out;
}

// hyparquet-writer: an explicit schema of the lake's types.
const HYPARQUET_SCHEMAS = new Map<LakeTable, Record<string, unknown>[]>();
function hyparquetSchema(table: LakeTable): Record<string, unknown>[] {
  let schema = HYPARQUET_SCHEMAS.get(table);
  if (schema !== undefined) return schema;
  const columns = FILE_COLUMNS[table];
  schema = [
    { name: 'root', num_children: columns.length },
    ...columns.map((c) => {
      const base = { name: c.name, repetition_type: 'OPTIONAL' };
      switch (c.type) {
        case 'varchar':
          return { ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8' };
        case 'money':
          return { ...base, type: 'INT64', converted_type: 'DECIMAL', scale: 2, precision: 18 };
        case 'date':
          return { ...base, type: 'INT32', converted_type: 'DATE' };
        case 'integer':
          return { ...base, type: 'INT32' };
        case 'double':
          return { ...base, type: 'DOUBLE' };
        case 'boolean':
          return { ...base, type: 'BOOLEAN' };
        default:
          return { ...base, type: 'INT64', converted_type: 'TIMESTAMP_MICROS' };
      }
    }),
  ];
  HYPARQUET_SCHEMAS.set(table, schema);
  return schema;
}

function hyparquetWrite(f: FileInput): ArrayBuffer {
  const columns = FILE_COLUMNS[f.table];
  const columnData = columns.map((c, i) => {
    const values = f.plain[i] as Plain;
    // Cents are DECIMAL's unscaled value; hyparquet-writer takes them as bigint.
    const data =
      c.type === 'money' || c.type === 'timestamp'
        ? values.map((v) => (v === null ? null : BigInt(v as number)))
        : values;
    return { name: c.name, data };
  });
  return parquetWriteBuffer({
    columnData,
    // biome-ignore lint/suspicious/noExplicitAny: the writer's SchemaElement type is not exported
    schema: hyparquetSchema(f.table) as any,
    codec: 'SNAPPY',
    statistics: true,
  });
}

// parquet-wasm: an Arrow table of the lake's types, handed over as an IPC stream.
function wasmWrite(f: FileInput, compression: Compression): Uint8Array {
  const columns = FILE_COLUMNS[f.table];
  const vectors: Record<string, ReturnType<typeof makeVector>> = {};
  columns.forEach((c, i) => {
    vectors[c.name] = arrowVector(c.type, f.plain[i] as Plain);
  });
  const table = new Table(vectors);
  const wasm = WasmTable.fromIPCStream(tableToIPC(table, 'stream'));
  const props = new WriterPropertiesBuilder().setCompression(compression).build();
  return writeParquet(wasm, props);
}

function nullBitmap(values: Plain): { bitmap: Uint8Array; nulls: number } {
  const bitmap = new Uint8Array((values.length + 7) >> 3);
  let nulls = 0;
  values.forEach((v, i) => {
    if (v === null) nulls++;
    else bitmap[i >> 3]! |= 1 << (i & 7);
  });
  return { bitmap, nulls };
}

function arrowVector(type: Column<Record<string, unknown>>['type'], values: Plain) {
  const n = values.length;
  switch (type) {
    case 'varchar':
      return vectorFromArray(values as (string | null)[], new Utf8());
    case 'double':
      return vectorFromArray(values as (number | null)[], new Float64());
    case 'boolean':
      return vectorFromArray(values as (boolean | null)[], new Bool());
    case 'integer':
    case 'date': {
      const { bitmap, nulls } = nullBitmap(values);
      const data = Int32Array.from(values, (v) => (v === null ? 0 : (v as number)));
      const props = { length: n, nullCount: nulls, nullBitmap: bitmap, data };
      return type === 'integer'
        ? makeVector(makeData({ type: new Int32(), ...props }))
        : makeVector(makeData({ type: new DateDay(), ...props }));
    }
    case 'timestamp': {
      const { bitmap, nulls } = nullBitmap(values);
      const data = BigInt64Array.from(values, (v) => BigInt(v === null ? 0 : (v as number)));
      return makeVector(
        makeData({ type: new TimestampMicrosecond(), length: n, nullCount: nulls, nullBitmap: bitmap, data }),
      );
    }
    case 'money': {
      // DECIMAL(18,2) in Arrow is 128 bits: four little-endian 32-bit words, two's complement.
      const { bitmap, nulls } = nullBitmap(values);
      const words = new Uint32Array(n * 4);
      values.forEach((v, i) => {
        if (v === null) return;
        const big = BigInt.asUintN(128, BigInt(v as number));
        for (let w = 0; w < 4; w++) words[i * 4 + w] = Number((big >> BigInt(32 * w)) & 0xffffffffn);
      });
      return makeVector(
        makeData({
          type: new Decimal(2, 18, 128),
          length: n,
          nullCount: nulls,
          nullBitmap: bitmap,
          data: words,
        }),
      );
    }
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export interface WriterResult {
  writer: string;
  /** Median seconds to encode every file, and the per-round seconds. */
  seconds: number;
  roundSeconds: number[];
  filesPerSecond: number;
  bytes: number;
  /** Share of column chunks holding a value that carry min and max (DuckDB's parquet_metadata). */
  statisticsShare: number;
  compression: string;
  /** Files each reader read back with the expected rows, of the sample checked. */
  readBack: { duckdb: string; arrowRs: string; hyparquet: string };
}

/** Runs the comparison on the files of up to `mb` MB of the corpus. */
export async function benchLakeWriters(
  corpusDir: string,
  options: { mb: number; rounds: number; work: string; log: (line: string) => void },
): Promise<{ files: number; remittances: number; rows: number; writers: WriterResult[] }> {
  const { inputs, remits } = lakeFileInputs(corpusDir, options.mb);
  const rows = inputs.reduce((n, f) => n + f.rows, 0);
  options.log(
    `lake writers: ${inputs.length} files (${remits} remittances, ${rows} rows), ${options.rounds} rounds`,
  );
  const seconds: Record<string, number[]> = Object.fromEntries(WRITERS.map((w) => [w.name, []]));
  const bytes: Record<string, number> = {};
  // Warm-up: every writer once over a slice (JIT, WebAssembly compile).
  for (const w of WRITERS) for (const f of inputs.slice(0, 200)) w.write(f);
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? WRITERS : [...WRITERS].reverse();
    for (const w of order) {
      let total = 0;
      const started = performance.now();
      for (const f of inputs) total += w.write(f).length;
      seconds[w.name]!.push((performance.now() - started) / 1000);
      bytes[w.name] = total;
    }
  }
  const sample = inputs.filter((_, i) => i % Math.max(1, Math.floor(inputs.length / 150)) === 0);
  const results: WriterResult[] = [];
  for (const w of WRITERS) {
    const check = await checkFiles(w, sample, join(options.work, 'lake-writers'));
    const s = median(seconds[w.name]!);
    results.push({
      writer: w.name,
      seconds: +s.toFixed(3),
      roundSeconds: seconds[w.name]!.map((x) => +x.toFixed(3)),
      filesPerSecond: Math.round(inputs.length / s),
      bytes: bytes[w.name]!,
      ...check,
    });
    options.log(
      `  ${w.name.padEnd(26)} ${s.toFixed(3)} s  ${Math.round(inputs.length / s)} files/s  ${(bytes[w.name]! / 1e6).toFixed(2)} MB  stats ${(check.statisticsShare * 100).toFixed(0)}%  read ${JSON.stringify(check.readBack)}`,
    );
  }
  return { files: inputs.length, remittances: remits, rows, writers: results };
}

/** Writes a sample, then reads it back with DuckDB, arrow-rs and hyparquet and reads its statistics. */
async function checkFiles(
  w: Writer,
  sample: FileInput[],
  dir: string,
): Promise<Pick<WriterResult, 'statisticsShare' | 'compression' | 'readBack'>> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const paths = sample.map((f, i) => {
    const path = join(dir, `${i}-${f.table}.parquet`);
    writeFileSync(path, w.write(f));
    return path;
  });
  const ok = { duckdb: 0, arrowRs: 0, hyparquet: 0 };
  const db = await openDuckDb({ threads: 1 });
  let chunks = 0;
  let withStats = 0;
  const codecs = new Set<string>();
  try {
    for (const [i, path] of paths.entries()) {
      const f = sample[i] as FileInput;
      try {
        const reader = await db.runAndReadAll(
          `SELECT count(*)::INTEGER AS n FROM read_parquet(${sqlString(path)})`,
        );
        if (Number(reader.getRowObjectsJson()[0]?.n) === f.rows) ok.duckdb++;
        const meta = await db.runAndReadAll(
          `SELECT compression, stats_min_value IS NOT NULL AND stats_max_value IS NOT NULL AS has,
                  coalesce(stats_null_count, -1) AS nulls
           FROM parquet_metadata(${sqlString(path)})`,
        );
        for (const m of meta.getRowObjectsJson()) {
          codecs.add(String(m.compression));
          // Chunks that are all null have no min or max to give.
          if (Number(m.nulls) === f.rows) continue;
          chunks++;
          if (m.has === true) withStats++;
        }
      } catch {}
      const bytes = readFileSync(path);
      try {
        if (tableFromIPC(readParquet(new Uint8Array(bytes)).intoIPCStream()).numRows === f.rows) ok.arrowRs++;
      } catch {}
      try {
        const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
        const rows = await parquetReadObjects({ file, compressors });
        if (rows.length === f.rows) ok.hyparquet++;
      } catch {}
    }
  } finally {
    db.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
  const of = (n: number) => `${n}/${paths.length}`;
  return {
    statisticsShare: chunks === 0 ? 0 : +(withStats / chunks).toFixed(3),
    compression: [...codecs].sort().join(','),
    readBack: { duckdb: of(ok.duckdb), arrowRs: of(ok.arrowRs), hyparquet: of(ok.hyparquet) },
  };
}

if (import.meta.main || process.argv[1] === import.meta.filename) {
  const { values } = parseArgs({
    options: {
      mb: { type: 'string' },
      rounds: { type: 'string' },
      corpus: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const root = resolve(import.meta.dirname, '..');
  const work = join(root, '.bench');
  const corpus = values.corpus ?? join(work, 'corpus-8mb');
  const result = await benchLakeWriters(corpus, {
    mb: Number(values.mb ?? 4),
    rounds: Number(values.rounds ?? 5),
    work,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
