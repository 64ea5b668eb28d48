/**
 * A minimal Thrift compact-protocol writer: just what Parquet's footer and page headers need.
 * Structs are written field by field in ascending field-id order.
 */

enum CType {
  True = 1,
  False = 2,
  Byte = 3,
  I32 = 5,
  I64 = 6,
  Binary = 8,
  List = 9,
  Struct = 12,
}

/**
 * A growable byte buffer. `reset` empties it for reuse, keeping its room: the Parquet encoder
 * keeps a few of these for the life of the process instead of allocating per file.
 */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initial = 1024) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  /** Makes room for `extra` more bytes. */
  ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  reset(): void {
    this.length = 0;
  }

  /**
   * The underlying buffer, with room for `extra` more bytes after `length`: for code that writes
   * many bytes in place (a compressor), then moves `length` on.
   */
  room(extra: number): Uint8Array {
    this.ensure(extra);
    return this.buf;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.length++] = b;
  }

  bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
  }

  /** Appends another writer's bytes. */
  append(other: ByteWriter): void {
    this.bytes(other.buf.subarray(0, other.length));
  }

  int32LE(v: number): void {
    this.ensure(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
  }

  /** Overwrites 4 bytes at `at` (a length written before what it measures). */
  patchInt32LE(at: number, v: number): void {
    this.view.setInt32(at, v, true);
  }

  /** A signed 64-bit integer from any safe integer, without BigInt. */
  int64LE(v: number): void {
    this.ensure(8);
    const hi = Math.floor(v / 4294967296);
    this.view.setUint32(this.length, v - hi * 4294967296, true);
    this.view.setInt32(this.length + 4, hi, true);
    this.length += 8;
  }

  doubleLE(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }

  /** Writes a string as 4-byte little-endian length + UTF-8 (Parquet PLAIN BYTE_ARRAY). */
  lengthPrefixedUtf8(s: string): void {
    const n = s.length;
    this.ensure(4 + n * 3);
    const buf = this.buf;
    const at = this.length + 4;
    // Lake strings are nearly all ASCII: copy the codes, and encode properly only when one is not.
    let i = 0;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c >= 128) break;
      buf[at + i] = c;
      i++;
    }
    const written = i === n ? n : UTF8.encodeInto(s, buf.subarray(at, at + n * 3)).written;
    this.view.setInt32(this.length, written, true);
    this.length = at + written;
  }

  /** Writes a string as UTF-8, without a length; returns the byte count. */
  utf8(s: string): number {
    const n = s.length;
    this.ensure(n * 3);
    const buf = this.buf;
    const at = this.length;
    let i = 0;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c >= 128) break;
      buf[at + i] = c;
      i++;
    }
    const written = i === n ? n : UTF8.encodeInto(s, buf.subarray(at, at + n * 3)).written;
    this.length = at + written;
    return written;
  }

  /** Unsigned LEB128 for values up to 2^53. */
  varint(v: number): void {
    let n = v;
    this.ensure(10);
    while (n >= 0x80) {
      this.buf[this.length++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.length++] = n;
  }

  /** Zigzag varint (Thrift i32/i64). */
  zigzag(v: number): void {
    this.varint(zigzag(v));
  }

  /** A copy of the bytes written, in a memory block of its own (it can be transferred to a thread). */
  copy(): Buffer {
    const out = Buffer.allocUnsafeSlow(this.length);
    out.set(this.buf.subarray(0, this.length));
    return out;
  }
}

const UTF8 = new TextEncoder();

/** Zigzag encoding of a signed integer (safe for |v| < 2^52). */
function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

/** Writes one Thrift struct in compact protocol. */
export class StructWriter {
  private last = 0;

  constructor(private readonly out: ByteWriter) {}

  private header(id: number, type: number): void {
    const delta = id - this.last;
    if (delta > 0 && delta <= 15) this.out.byte((delta << 4) | type);
    else {
      this.out.byte(type);
      this.out.varint(zigzag(id));
    }
    this.last = id;
  }

  i32(id: number, v: number): this {
    this.header(id, CType.I32);
    this.out.varint(zigzag(v));
    return this;
  }

  i64(id: number, v: number): this {
    this.header(id, CType.I64);
    this.out.varint(zigzag(v));
    return this;
  }

  byte(id: number, v: number): this {
    this.header(id, CType.Byte);
    this.out.byte(v & 0xff);
    return this;
  }

  bool(id: number, v: boolean): this {
    this.header(id, v ? CType.True : CType.False);
    return this;
  }

  string(id: number, v: string): this {
    this.header(id, CType.Binary);
    const data = Buffer.from(v, 'utf8');
    this.out.varint(data.length);
    this.out.bytes(data);
    return this;
  }

  struct(id: number, write: (s: StructWriter) => void): this {
    this.header(id, CType.Struct);
    const inner = new StructWriter(this.out);
    write(inner);
    inner.end();
    return this;
  }

  listI32(id: number, values: number[]): this {
    this.header(id, CType.List);
    this.listHeader(values.length, CType.I32);
    for (const v of values) this.out.varint(zigzag(v));
    return this;
  }

  listString(id: number, values: string[]): this {
    this.header(id, CType.List);
    this.listHeader(values.length, CType.Binary);
    for (const v of values) {
      const data = Buffer.from(v, 'utf8');
      this.out.varint(data.length);
      this.out.bytes(data);
    }
    return this;
  }

  listStruct<T>(id: number, items: T[], write: (s: StructWriter, item: T) => void): this {
    this.header(id, CType.List);
    this.listHeader(items.length, CType.Struct);
    for (const item of items) {
      const inner = new StructWriter(this.out);
      write(inner, item);
      inner.end();
    }
    return this;
  }

  private listHeader(size: number, type: number): void {
    if (size < 15) this.out.byte((size << 4) | type);
    else {
      this.out.byte(0xf0 | type);
      this.out.varint(size);
    }
  }

  /** Writes the stop field. */
  end(): void {
    this.out.byte(0);
  }
}
