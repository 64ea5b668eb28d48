/**
 * Snappy compression (the raw block format Parquet's SNAPPY codec uses: a varint of the
 * uncompressed length, then literals and back-references of at most 64 KiB). A greedy LZ77 with
 * one hash table, as in the reference implementation: it trades ratio for speed, which is what a
 * per-remittance file wants. Pure and synchronous; it writes into a caller's buffer and keeps its
 * hash table between calls, so compressing a page allocates nothing.
 */

/** Bytes a compressed block can take at most for `n` input bytes (the reference's bound). */
export function snappyMaxLength(n: number): number {
  return 32 + n + Math.floor(n / 6);
}

const MAX_HASH_BITS = 14;
const MAX_OFFSET = 0xffff;
/** Inputs shorter than this are written as one literal (no room for a 4-byte match and its tail). */
const INPUT_MARGIN = 15;
const TABLE = new Int32Array(1 << MAX_HASH_BITS);

/**
 * Compresses `input[0, n)` into `out` starting at `at`; returns the position after the last byte
 * written. `out` must have room for `snappyMaxLength(n)` bytes from `at`.
 */
export function snappyCompress(input: Uint8Array, n: number, out: Uint8Array, at: number): number {
  let op = at;
  // Uncompressed length, varint.
  let v = n;
  while (v >= 0x80) {
    out[op++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[op++] = v;
  if (n < INPUT_MARGIN) return emitLiteral(input, 0, n, out, op);

  let bits = 1;
  while (1 << bits <= n && bits <= MAX_HASH_BITS) bits++;
  bits--;
  const shift = 32 - bits;
  const table = TABLE;
  // −1: no position yet (a 0 would claim a match at the start of the input).
  table.fill(-1, 0, 1 << bits);

  const limit = n - INPUT_MARGIN;
  let nextEmit = 0;
  let ip = 1;
  let nextHash = hash(load32(input, ip), shift);
  for (;;) {
    // Look for a match, skipping faster through input that does not compress.
    let skip = 32;
    let nextIp = ip;
    let candidate = 0;
    do {
      ip = nextIp;
      const h = nextHash;
      nextIp = ip + (skip++ >>> 5);
      if (nextIp > limit) return emitLiteral(input, nextEmit, n - nextEmit, out, op);
      nextHash = hash(load32(input, nextIp), shift);
      candidate = table[h] as number;
      table[h] = ip;
    } while (candidate < 0 || ip - candidate > MAX_OFFSET || load32(input, ip) !== load32(input, candidate));

    op = emitLiteral(input, nextEmit, ip - nextEmit, out, op);
    // Copies for as long as the next position matches too.
    for (;;) {
      const base = ip;
      let matched = 4;
      while (ip + matched < n && input[ip + matched] === input[candidate + matched]) matched++;
      ip += matched;
      op = emitCopy(out, op, base - candidate, matched);
      nextEmit = ip;
      if (ip >= limit) return emitLiteral(input, nextEmit, n - nextEmit, out, op);
      table[hash(load32(input, ip - 1), shift)] = ip - 1;
      const h = hash(load32(input, ip), shift);
      candidate = table[h] as number;
      table[h] = ip;
      if (candidate < 0 || ip - candidate > MAX_OFFSET || load32(input, ip) !== load32(input, candidate))
        break;
    }
    ip++;
    nextHash = hash(load32(input, ip), shift);
  }
}

function hash(word: number, shift: number): number {
  return Math.imul(word, 0x1e35a7bd) >>> shift;
}

function load32(b: Uint8Array, i: number): number {
  return (
    (b[i] as number) |
    ((b[i + 1] as number) << 8) |
    ((b[i + 2] as number) << 16) |
    ((b[i + 3] as number) << 24) |
    0
  );
}

function emitLiteral(input: Uint8Array, from: number, length: number, out: Uint8Array, at: number): number {
  if (length === 0) return at;
  let op = at;
  const n = length - 1;
  if (n < 60) out[op++] = n << 2;
  else if (n < 0x100) {
    out[op++] = 60 << 2;
    out[op++] = n;
  } else if (n < 0x10000) {
    out[op++] = 61 << 2;
    out[op++] = n & 0xff;
    out[op++] = n >>> 8;
  } else if (n < 0x1000000) {
    out[op++] = 62 << 2;
    out[op++] = n & 0xff;
    out[op++] = (n >>> 8) & 0xff;
    out[op++] = n >>> 16;
  } else {
    out[op++] = 63 << 2;
    out[op++] = n & 0xff;
    out[op++] = (n >>> 8) & 0xff;
    out[op++] = (n >>> 16) & 0xff;
    out[op++] = n >>> 24;
  }
  if (length < 16) for (let i = 0; i < length; i++) out[op + i] = input[from + i] as number;
  else out.set(input.subarray(from, from + length), op);
  return op + length;
}

function emitCopy(out: Uint8Array, at: number, offset: number, length: number): number {
  let op = at;
  let len = length;
  while (len >= 68) {
    op = emitCopyUpTo64(out, op, offset, 64);
    len -= 64;
  }
  if (len > 64) {
    op = emitCopyUpTo64(out, op, offset, 60);
    len -= 60;
  }
  return emitCopyUpTo64(out, op, offset, len);
}

function emitCopyUpTo64(out: Uint8Array, at: number, offset: number, len: number): number {
  let op = at;
  if (len < 12 && offset < 2048) {
    out[op++] = 1 | ((len - 4) << 2) | ((offset >>> 8) << 5);
    out[op++] = offset & 0xff;
  } else {
    out[op++] = 2 | ((len - 1) << 2);
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
  }
  return op;
}
