import fc from 'fast-check';

/** One edit of an 835's bytes. Positions are taken modulo the current length when applied. */
export type Mutation =
  | { kind: 'flipBit'; at: number; bit: number }
  | { kind: 'setByte'; at: number; value: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'truncate'; at: number }
  | { kind: 'swapDelimiters'; a: number; b: number }
  | { kind: 'duplicateSegment'; index: number }
  | { kind: 'deleteSegment'; index: number }
  | { kind: 'moveSegment'; from: number; to: number };

/** Bytes that matter to an X12 reader: delimiters, digits, signs, segment-id letters, NUL, UTF-16 marks. */
const INTERESTING = [...'*~:^|>+\n\r .-0159ACEILNPSTX', '\x00', '\xff', '\xfe', '\x1f'].map((c) =>
  c.charCodeAt(0),
);
const DELIMITERS = [...'*~:^|>\n'].map((c) => c.charCodeAt(0));

const position = fc.nat({ max: 1_000_000 });

/** Arbitrary mutation, biased to the edits that break X12 in interesting ways. */
export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  {
    arbitrary: fc.record({ kind: fc.constant('flipBit' as const), at: position, bit: fc.nat({ max: 7 }) }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('setByte' as const),
      at: position,
      value: fc.oneof(fc.constantFrom(...INTERESTING), fc.nat({ max: 255 })),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      at: position,
      bytes: fc.array(fc.oneof(fc.constantFrom(...INTERESTING), fc.nat({ max: 255 })), {
        minLength: 1,
        maxLength: 12,
      }),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: position }), weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constant('swapDelimiters' as const),
      a: fc.constantFrom(...DELIMITERS),
      b: fc.constantFrom(...DELIMITERS),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constant('duplicateSegment' as const), index: position }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('deleteSegment' as const), index: position }), weight: 2 },
  {
    arbitrary: fc.record({ kind: fc.constant('moveSegment' as const), from: position, to: position }),
    weight: 1,
  },
);

/** A seed file index and 1–4 mutations. */
export const mutatedInputArb = (seeds: number): fc.Arbitrary<{ seed: number; mutations: Mutation[] }> =>
  fc.record({
    seed: fc.nat({ max: seeds - 1 }),
    mutations: fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
  });

/** The segment terminator of an 835 (the byte after ISA16), `~` when there is no ISA. */
function terminatorOf(bytes: Buffer): number {
  const isa = bytes.indexOf('ISA');
  if (isa === -1) return 0x7e;
  const sep = bytes[isa + 3];
  let count = 0;
  for (let p = isa + 3; p < bytes.length && p < isa + 400; p++) {
    if (bytes[p] === sep && ++count === 16) return bytes[p + 2] ?? 0x7e;
  }
  return 0x7e;
}

/** Splits into segments, each keeping its terminator (and any line break after it). */
function segments(bytes: Buffer): Buffer[] {
  const term = terminatorOf(bytes);
  const out: Buffer[] = [];
  let start = 0;
  for (let p = 0; p < bytes.length; p++) {
    if (bytes[p] !== term) continue;
    let end = p + 1;
    while (end < bytes.length && (bytes[end] === 0x0a || bytes[end] === 0x0d)) end++;
    out.push(bytes.subarray(start, end));
    start = end;
    p = end - 1;
  }
  if (start < bytes.length) out.push(bytes.subarray(start));
  return out;
}

/** Applies mutations in order to a copy of the bytes. */
export function applyMutations(original: Buffer, mutations: readonly Mutation[]): Buffer {
  let bytes = Buffer.from(original);
  for (const m of mutations) {
    const n = bytes.length;
    switch (m.kind) {
      case 'flipBit':
        if (n > 0) bytes[m.at % n] = (bytes[m.at % n] as number) ^ (1 << m.bit);
        break;
      case 'setByte':
        if (n > 0) bytes[m.at % n] = m.value;
        break;
      case 'insert': {
        const at = m.at % (n + 1);
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(m.bytes), bytes.subarray(at)]);
        break;
      }
      case 'truncate':
        bytes = bytes.subarray(0, m.at % (n + 1));
        break;
      case 'swapDelimiters':
        bytes = Buffer.from(bytes.map((b) => (b === m.a ? m.b : b === m.b ? m.a : b)));
        break;
      case 'duplicateSegment':
      case 'deleteSegment':
      case 'moveSegment': {
        const segs = segments(bytes);
        if (segs.length === 0) break;
        if (m.kind === 'duplicateSegment') {
          const i = m.index % segs.length;
          segs.splice(i, 0, segs[i] as Buffer);
        } else if (m.kind === 'deleteSegment') {
          segs.splice(m.index % segs.length, 1);
        } else {
          const [seg] = segs.splice(m.from % segs.length, 1);
          segs.splice(m.to % (segs.length + 1), 0, seg as Buffer);
        }
        bytes = Buffer.concat(segs);
        break;
      }
    }
  }
  return bytes;
}
