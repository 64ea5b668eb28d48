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

/** A growable byte buffer. */
export class ByteWriter {
  private buf: Buffer;
  length = 0;

  constructor(initial = 1024) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
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

  int32LE(v: number): void {
    this.ensure(4);
    this.buf.writeInt32LE(v, this.length);
    this.length += 4;
  }

  /** A signed 64-bit integer from any safe integer, without BigInt. */
  int64LE(v: number): void {
    this.ensure(8);
    const hi = Math.floor(v / 4294967296);
    this.buf.writeUInt32LE(v - hi * 4294967296, this.length);
    this.buf.writeInt32LE(hi, this.length + 4);
    this.length += 8;
  }

  doubleLE(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.length);
    this.length += 8;
  }

  /** Writes a string as 4-byte little-endian length + UTF-8 (Parquet PLAIN BYTE_ARRAY). */
  lengthPrefixedUtf8(s: string): void {
    const max = s.length * 3;
    this.ensure(4 + max);
    const written = this.buf.write(s, this.length + 4, 'utf8');
    this.buf.writeInt32LE(written, this.length);
    this.length += 4 + written;
  }

  varint(v: number): void {
    // Unsigned LEB128 for values up to 2^53.
    let n = v;
    this.ensure(10);
    while (n >= 0x80) {
      this.buf[this.length++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.length++] = n;
  }

  result(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

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
