import { crc32, deflateRawSync } from 'node:zlib';

/** One file of a zip written by `writeZip`, with knobs for the awkward cases. */
export interface ZipEntrySpec {
  name: string;
  data: Uint8Array | string;
  /** 0 stored, 8 deflate (default); any other number is written as that method, data stored. */
  method?: number;
  /** Sets the encryption flag (the data is not actually encrypted). */
  encrypted?: boolean;
  /** Writes a wrong CRC-32 into both headers. */
  badCrc?: boolean;
  /** Writes sizes and the offset as zip64 (0xFFFFFFFF plus the zip64 extra field). */
  zip64?: boolean;
  /** Leaves the local header's CRC and sizes zero and writes a data descriptor after the data. */
  dataDescriptor?: boolean;
}

/**
 * A zip archive, written by the specification (APPNOTE 6.3): local headers, data, central
 * directory, end record. Small and explicit, so tests can build the cases real tools make
 * (streamed entries, zip64) and the damaged ones they should never make.
 */
export function writeZip(entries: ZipEntrySpec[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const raw = typeof e.data === 'string' ? Buffer.from(e.data, 'utf8') : Buffer.from(e.data);
    const method = e.method ?? 8;
    const body = method === 8 ? deflateRawSync(raw) : raw;
    const crc = e.badCrc ? (crc32(raw) ^ 0xffff) >>> 0 : crc32(raw);
    const name = Buffer.from(e.name, 'utf8');
    const flags = 0x800 | (e.encrypted ? 0x1 : 0) | (e.dataDescriptor ? 0x8 : 0);
    const zip64Extra = Buffer.alloc(e.zip64 ? 28 : 0);
    if (e.zip64) {
      zip64Extra.writeUInt16LE(0x0001, 0);
      zip64Extra.writeUInt16LE(24, 2);
      zip64Extra.writeBigUInt64LE(BigInt(raw.length), 4);
      zip64Extra.writeBigUInt64LE(BigInt(body.length), 12);
      zip64Extra.writeBigUInt64LE(BigInt(offset), 20);
    }
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(e.zip64 ? 45 : 20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(e.dataDescriptor ? 0 : crc, 14);
    local.writeUInt32LE(e.dataDescriptor ? 0 : body.length, 18);
    local.writeUInt32LE(e.dataDescriptor ? 0 : raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const descriptor = Buffer.alloc(e.dataDescriptor ? 16 : 0);
    if (e.dataDescriptor) {
      descriptor.writeUInt32LE(0x08074b50, 0);
      descriptor.writeUInt32LE(crc, 4);
      descriptor.writeUInt32LE(body.length, 8);
      descriptor.writeUInt32LE(raw.length, 12);
    }
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(e.zip64 ? 45 : 20, 4);
    header.writeUInt16LE(e.zip64 ? 45 : 20, 6);
    header.writeUInt16LE(flags, 8);
    header.writeUInt16LE(method, 10);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(e.zip64 ? 0xffffffff : body.length, 20);
    header.writeUInt32LE(e.zip64 ? 0xffffffff : raw.length, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt16LE(zip64Extra.length, 30);
    header.writeUInt32LE(e.zip64 ? 0xffffffff : offset, 42);
    central.push(header, name, zip64Extra);
    parts.push(local, name, body, descriptor);
    offset += local.length + name.length + body.length + descriptor.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}
