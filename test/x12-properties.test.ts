import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Era835Parser, parse835 } from '../functions/core/era/parse835.ts';
import { remitRows } from '../functions/core/era/remitRows.ts';
import {
  centsStop,
  daysOfIsoDate,
  formatCents,
  isoDateOfDays,
  parseCents,
  parseCentsRange,
  parseCentsUntil,
  parseX12Days,
  parseX12DaysRange,
} from '../functions/core/money.ts';
import type { NormalizedRemit } from '../functions/core/types.ts';
import { X12Error } from '../functions/core/x12/errors.ts';
import {
  ScanBuffer,
  SEPARATORS,
  separatorsOf,
  tokenize,
  X12Tokenizer,
} from '../functions/core/x12/tokenizer.ts';
import { allFixtureFiles, readFixture, sourceFor } from './helpers/fixtures.ts';
import { splitOnly } from './helpers/splitOnly.ts';

/** A text's bytes, one per character (the scanner's readers read bytes). */
const bytes = (text: string): Uint8Array => Buffer.from(text, 'latin1');

const FIXTURES = allFixtureFiles()
  .filter((f) => !f.startsWith('bad/'))
  .map((f) => readFixture(...f.split('/')));

/** Runs fn; anything thrown must be an X12Error. (A hang fails by the test's timeout, not a clock.) */
function onlyX12Errors(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof X12Error)) {
      throw new Error(
        `threw ${String(error)} (${(error as Error)?.constructor?.name}) instead of an X12Error`,
      );
    }
  }
}

/** Feeds text to the tokenizer in the given chunk sizes (cycled). */
function tokenizeInChunks(text: string, sizes: number[]): void {
  const tokenizer = new X12Tokenizer('chunks.835', () => {});
  let i = 0;
  let k = 0;
  while (i < text.length) {
    const size = sizes[k++ % sizes.length] as number;
    tokenizer.write(text.slice(i, i + size));
    i += size;
  }
  tokenizer.end();
}

const fixture = fc.constantFrom(...FIXTURES);
const DELIMITER_CHARS = ['*', '|', '+', ':', '^', '>', '~', '\n', '\r', ' ', 'A', '0', '\u0000', '\uFEFF'];

/** A fixture damaged in one of the ways real files are: byte flips, truncation, delimiter swaps. */
const mutated = fc.oneof(
  // Byte flips: replace characters at random positions with random characters.
  fc
    .tuple(
      fixture,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 0xffff })), { minLength: 1, maxLength: 8 }),
    )
    .map(([text, flips]) => {
      const chars = [...text];
      for (const [at, code] of flips) chars[at % chars.length] = String.fromCharCode(code);
      return chars.join('');
    }),
  // Truncation anywhere, including inside the ISA.
  fc.tuple(fixture, fc.nat()).map(([text, at]) => text.slice(0, at % (text.length + 1))),
  // Delimiter swaps: every occurrence of one delimiter becomes another character.
  fc
    .tuple(fixture, fc.constantFrom(...DELIMITER_CHARS), fc.constantFrom(...DELIMITER_CHARS))
    .map(([text, from, to]) => text.replaceAll(from, to)),
  // Splices: a piece of one fixture inserted into another.
  fc.tuple(fixture, fixture, fc.nat(), fc.nat(), fc.nat()).map(([a, b, at, from, length]) => {
    const start = from % (b.length + 1);
    const cut = at % (a.length + 1);
    return a.slice(0, cut) + b.slice(start, start + (length % 400)) + a.slice(cut);
  }),
);

describe('tokenizer robustness (fast-check)', () => {
  it('throws nothing but X12Error on arbitrary strings, and returns quickly', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000, unit: 'binary' }), (text) => {
        onlyX12Errors(() => tokenize('arbitrary.835', text));
      }),
      { numRuns: 500 },
    );
  });

  it('throws nothing but X12Error on strings that start like an interchange', () => {
    const isaLike = fc
      .tuple(
        fc.constantFrom('ISA', '\uFEFFISA', 'junk\nISA', 'ST', ' ISA'),
        fc.constantFrom('*', '|', '+', '~', ':', 'A', ' ', '\n'),
        fc.string({
          maxLength: 400,
          unit: fc.constantFrom('0', 'A', ' ', '*', '|', ':', '^', '~', '\n', '\r', '>'),
        }),
      )
      .map(([head, sep, rest]) => `${head}${sep}${rest}`);
    fc.assert(
      fc.property(isaLike, (text) => {
        onlyX12Errors(() => tokenize('isa-like.835', text));
      }),
      { numRuns: 1000 },
    );
  });

  it('throws nothing but X12Error on mutated fixtures, whole or streamed in random chunks', () => {
    fc.assert(
      fc.property(
        mutated,
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 5 }),
        (text, sizes) => {
          onlyX12Errors(() => tokenize('mutated.835', text));
          onlyX12Errors(() => tokenizeInChunks(text, sizes));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('the 835 reader also throws nothing but X12Error on mutated fixtures', () => {
    fc.assert(
      fc.property(mutated, (text) => {
        onlyX12Errors(() => parse835(text, sourceFor('mutated.835', text)));
      }),
      { numRuns: 400 },
    );
  });

  it('stays linear on a large input with no terminator (bounded work, SEGMENT_TOO_LONG)', () => {
    const header = FIXTURES[0]?.slice(0, 107) ?? '';
    const text = `${header}GS*${'9'.repeat(2_000_000)}`;
    // Bounded work, counted rather than timed: the tokenizer gives up once a segment passes
    // 64 KiB, after a few chunks, not after reading (and rescanning) all 2 MB.
    const tokenizer = new X12Tokenizer('long.835', () => {});
    let written = 0;
    let error: unknown;
    try {
      for (let i = 0; i < text.length; i += 4096) {
        tokenizer.write(text.slice(i, i + 4096));
        written += Math.min(4096, text.length - i);
      }
      tokenizer.end();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(X12Error);
    expect((error as X12Error).code).toBe('SEGMENT_TOO_LONG');
    expect(written).toBeLessThanOrEqual(64 * 1024 + 2 * 4096 + header.length);
  });
});

describe('money (fast-check)', () => {
  it('parseCents(formatCents(n)) === n for every safe integer', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => {
        expect(parseCents(formatCents(n))).toBe(n);
      }),
      { numRuns: 5000 },
    );
    for (const n of [0, 1, -1, 99, -99, 100, -100, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      expect(parseCents(formatCents(n))).toBe(n);
    }
  });

  it('formatCents always gives two decimals and parseCents reads decimal texts exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), (n) => {
        const text = formatCents(n);
        expect(text).toMatch(/^-?\d+\.\d\d$/);
        // Same value without trailing zero, without the decimals when whole, and with an extra zero.
        expect(parseCents(text.replace(/0$/, ''))).toBe(n);
        expect(parseCents(`${text}0`)).toBe(n);
      }),
      { numRuns: 2000 },
    );
    expect(parseCents('1222')).toBe(122200);
    expect(parseCents('-6173.5')).toBe(-617350);
    expect(parseCents('.5')).toBe(50);
    expect(parseCents('12.500')).toBe(1250);
    expect(parseCents('12.505')).toBeNull();
    expect(parseCents('1e3')).toBeNull();
    expect(parseCents('')).toBeNull();
    expect(parseCents('-')).toBeNull();
    expect(parseCents('1,000.00')).toBeNull();
  });
});

describe('amounts read up to a separator (fast-check)', () => {
  it('parseCents agrees with a decimal reading of the text (the quick path and the general one alike)', () => {
    // The oracle: an optional sign, digits with at most one point, no non-zero digit past the
    // cents, 20 characters at most, and an exact integer of cents.
    const oracle = (text: string): number | null => {
      const m = /^([-+]?)([0-9]*)(?:\.([0-9]*))?$/.exec(text);
      if (m === null || text.length > 20 || `${m[2]}${m[3] ?? ''}`.length === 0) return null;
      const decimals = m[3] ?? '';
      if (/[1-9]/.test(decimals.slice(2))) return null;
      const cents = BigInt(m[2] || '0') * 100n + BigInt(decimals.slice(0, 2).padEnd(2, '0'));
      if (cents > BigInt(Number.MAX_SAFE_INTEGER)) return null;
      return m[1] === '-' ? -Number(cents) : Number(cents);
    };
    const amount = fc.oneof(
      fc.stringMatching(/^-?[0-9]{1,13}(\.[0-9]{1,2})?$/),
      fc.stringMatching(/^[-+]?[0-9]{0,22}(\.[0-9]{0,4})?[0-9a.-]{0,2}$/),
    );
    fc.assert(
      fc.property(amount, (text) => {
        const expected = oracle(text);
        const cents = parseCents(text);
        if (expected === null) expect(cents, text).toBeNull();
        else expect(cents, text).toBe(expected);
      }),
      { numRuns: 5000 },
    );
  });

  it('parseCentsUntil reads the element parseCentsRange reads, and stops at its separator', () => {
    const amountish = fc.stringMatching(/^[-+]?[0-9]{0,22}(\.[0-9]{0,4})?[0-9a.*|-]{0,2}$/);
    fc.assert(
      fc.property(
        amountish,
        fc.constantFrom('*', '|', '+', '-', '.'),
        fc.boolean(),
        (element, separator, last) => {
          const text = `X${element}${last ? '' : `${separator}12.00`}`;
          const end = text.length;
          const elementEnd = text.indexOf(separator, 1) === -1 ? end : text.indexOf(separator, 1);
          const expected = parseCentsRange(text, 1, elementEnd);
          const cents = parseCentsUntil(bytes(text), 1, end, separator.charCodeAt(0));
          if (expected === null) expect(cents).toBeNaN();
          else {
            expect(cents).toBe(expected);
            expect(centsStop.at).toBe(elementEnd);
          }
        },
      ),
      { numRuns: 5000 },
    );
    expect(parseCentsUntil(bytes('CAS*CO*45*138.6*2'), 10, 17, 42)).toBe(13860);
    expect(centsStop.at).toBe(15);
    expect(parseCentsUntil(bytes('CAS*CO*45**2'), 10, 12, 42)).toBeNaN();
    expect(parseCentsUntil(bytes('1.2.3'), 0, 5, 42)).toBeNaN();
    // `+`, `-` and `.` may be the element separator: a blank element is not a sign or a point.
    expect(parseCentsUntil(bytes('CLP+X3+1++00+300'), 9, 16, 43)).toBeNaN();
    expect(parseCentsUntil(bytes('CLP-X3-1--5.00'), 9, 14, 45)).toBeNaN();
    expect(parseCentsUntil(bytes('SVC.HC:1.12.50'), 7, 14, 46)).toBe(100);
    expect(centsStop.at).toBe(8);
  });
});

describe('segments read by the lexer agree with the split path (fast-check)', () => {
  function lexed(text: string): unknown {
    try {
      return parse835(text, sourceFor('m.835', text));
    } catch (error) {
      return { code: (error as X12Error).code, message: (error as X12Error).message };
    }
  }

  // Damage aimed at the segments the lexer reads: CLP, CAS, SVC, NM1*82 and DTM, and those it
  // hands over as ELEMENTS records (REF, MOA, MIA, LQ: the element map's generic segments).
  const ALPHABET = [...'0123456789.-+*|:>^~ \nACXZ'];
  const damaged = fc
    .tuple(
      fixture,
      fc.array(
        fc.tuple(
          fc.constantFrom('CLP', 'CAS', 'SVC', 'NM1*82', 'DTM', 'REF', 'MOA', 'MIA', 'LQ'),
          fc.nat(),
          fc.integer({ min: 3, max: 40 }),
          fc.constantFrom('replace', 'insert', 'delete'),
          fc.constantFrom(...ALPHABET),
        ),
        { minLength: 1, maxLength: 4 },
      ),
    )
    .map(([text, edits]) => {
      let t = text;
      for (const [id, nth, offset, op, ch] of edits) {
        const hits: number[] = [];
        for (let at = t.indexOf(id); at !== -1; at = t.indexOf(id, at + 1)) hits.push(at);
        if (hits.length === 0) continue;
        const at = (hits[nth % hits.length] as number) + offset;
        if (op === 'replace') t = t.slice(0, at) + ch + t.slice(at + 1);
        else if (op === 'insert') t = t.slice(0, at) + ch + t.slice(at);
        else t = t.slice(0, at) + t.slice(at + 1);
      }
      return t;
    });

  it('every fixture gives the same rows when no segment is read by the lexer', () => {
    for (const file of allFixtureFiles().filter((f) => !f.startsWith('bad/'))) {
      const text = readFixture(...file.split('/'));
      expect(lexed(text), file).toEqual(splitOnly(text));
    }
  });

  it('damaged claim segments give the same rows, or the same error, either way', () => {
    fc.assert(
      fc.property(damaged, (text) => {
        expect(lexed(text)).toEqual(splitOnly(text));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('separator positions (fast-check)', () => {
  it('separatorsOf notes every separator of any range of any bytes, in order', () => {
    // It reads four bytes at a time: ranges of every length and offset, bytes next to the separator's value.
    const byte = fc.oneof(fc.constantFrom(42, 43, 41, 0, 255, 128, 124), fc.integer({ min: 0, max: 255 }));
    fc.assert(
      fc.property(
        fc.array(byte, { maxLength: 40 }),
        fc.nat(40),
        fc.nat(40),
        fc.constantFrom(42, 124, 0, 255),
        (values, a, b, separator) => {
          const buffer = ScanBuffer.of(Uint8Array.from(values));
          const start = Math.min(a, values.length);
          const end = Math.max(start, Math.min(b, values.length));
          const expected: number[] = [];
          for (let i = start; i < end; i++) if (values[i] === separator) expected.push(i);
          const count = separatorsOf(buffer, start, end, separator);
          expect([...SEPARATORS.subarray(0, count)]).toEqual(expected);
        },
      ),
      { numRuns: 20_000 },
    );
  });
});

describe('dates as day numbers (fast-check)', () => {
  it('CCYYMMDD reads as the day number Date.UTC gives, and back to the same ISO date', () => {
    // 1900-01-01 .. 2399-12-31: inside and past the table of month starts (1900-2199).
    fc.assert(
      fc.property(fc.integer({ min: -25_567, max: 156_840 }), (days) => {
        const iso = new Date(days * 86_400_000).toISOString().slice(0, 10);
        const ccyymmdd = iso.replaceAll('-', '');
        expect(parseX12DaysRange(bytes(`*${ccyymmdd}*`), 1, 9)).toBe(days);
        expect(isoDateOfDays(days)).toBe(iso);
        expect(daysOfIsoDate(iso)).toBe(days);
      }),
      { numRuns: 5000 },
    );
  });

  it('any eight bytes read as a date exactly when they are eight digits of a calendar date', () => {
    // The digits are checked four bytes at a time: every byte value, next to any other, is tried.
    const oracle = (b: Uint8Array): number => {
      const text = String.fromCharCode(...b);
      if (!/^[0-9]{8}$/.test(text)) return Number.NaN;
      const [y, m, d] = [Number(text.slice(0, 4)), Number(text.slice(4, 6)), Number(text.slice(6, 8))];
      const utc = Date.UTC(y, m - 1, d);
      const back = new Date(utc);
      const real =
        y >= 1900 && back.getUTCFullYear() === y && back.getUTCMonth() === m - 1 && back.getUTCDate() === d;
      return real ? utc / 86_400_000 : Number.NaN;
    };
    const digit = fc.integer({ min: 48, max: 57 });
    const anyByte = fc.integer({ min: 0, max: 255 });
    const byte = fc.oneof({ arbitrary: digit, weight: 8 }, { arbitrary: anyByte, weight: 1 });
    fc.assert(
      fc.property(fc.array(byte, { minLength: 8, maxLength: 8 }), (values) => {
        const b = Uint8Array.from(values);
        expect(parseX12DaysRange(b, 0, 8)).toBe(oracle(b));
      }),
      { numRuns: 20_000 },
    );
  });

  it('rejects what is not a calendar date', () => {
    for (const text of ['20230229', '21000229', '20241301', '20240001', '20240100', '20240431', '18991231']) {
      expect(parseX12DaysRange(bytes(text), 0, 8), text).toBeNaN();
    }
    for (const text of ['2024010', '202401011', '2024-1-1', '2024O101', '2024 101', '+2024010']) {
      expect(parseX12DaysRange(bytes(text), 0, text.length), text).toBeNaN();
    }
    expect(parseX12DaysRange(bytes('20240229'), 0, 8)).toBe(daysOfIsoDate('2024-02-29'));
    expect(parseX12DaysRange(bytes('20000229'), 0, 8)).toBe(daysOfIsoDate('2000-02-29'));
    expect(parseX12DaysRange(bytes('22000228'), 0, 8)).toBe(Date.UTC(2200, 1, 28) / 86_400_000);
    expect(parseX12DaysRange(bytes('22000229'), 0, 8)).toBeNaN();
    // The text form reads the same; a character past ASCII is never a digit.
    expect(parseX12Days('20240229')).toBe(daysOfIsoDate('2024-02-29'));
    for (const text of ['2024022\u0669', '20230229', '2024022']) expect(parseX12Days(text), text).toBeNaN();
  });
});

describe('streaming parse (fast-check)', () => {
  /** Rows from an Era835Parser fed the text in the given chunk sizes (cycled). */
  function parseInChunks(text: string, key: string, sizes: number[]): NormalizedRemit[] {
    const out: NormalizedRemit[] = [];
    const parser = new Era835Parser(sourceFor(key, text), (remit) => out.push(remitRows(remit)));
    let i = 0;
    let k = 0;
    while (i < text.length) {
      const size = sizes[k++ % sizes.length] as number;
      parser.write(text.slice(i, i + size));
      i += size;
    }
    parser.end();
    return out;
  }

  it('Era835Parser fed in random chunk sizes gives the same rows as one-shot parse835', () => {
    const files = allFixtureFiles().filter((f) => !f.startsWith('bad/'));
    fc.assert(
      fc.property(
        fc.constantFrom(...files),
        fc.array(fc.integer({ min: 1, max: 512 }), { minLength: 1, maxLength: 8 }),
        (file, sizes) => {
          const text = readFixture(...file.split('/'));
          const whole = parse835(text, sourceFor(file, text));
          expect(parseInChunks(text, file, sizes)).toEqual(whole);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('bytes in random chunks (UTF-8 sequences cut between them) give the same rows as one-shot parse835', () => {
    // A payer and payee name with two- and three-byte characters, so chunks cut inside them.
    const text = readFixture('format', 'canonical.835')
      .replace(/N1\*PR\*[^*~]*/, 'N1*PR*CAFÉ SANTÉ ✓ ÜNÏON')
      .replace(/N1\*PE\*[^*~]*/, 'N1*PE*CLÍNICA SÃO JOSÉ');
    const expected = parse835(text, sourceFor('utf8.835', text));
    expect(expected[0]?.remittance.payer_name).toBe('CAFÉ SANTÉ ✓ ÜNÏON');
    const bytes = Buffer.from(text, 'utf8');
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 20 }), (sizes) => {
        const out: NormalizedRemit[] = [];
        const parser = new Era835Parser(sourceFor('utf8.835', text), (remit) => out.push(remitRows(remit)));
        for (let i = 0, k = 0; i < bytes.length; k++) {
          const size = sizes[k % sizes.length] as number;
          parser.writeBytes(bytes.subarray(i, i + size));
          i += size;
        }
        parser.end();
        expect(out).toEqual(expected);
      }),
      { numRuns: 200 },
    );
    for (const file of allFixtureFiles()) {
      const fixture = readFixture(file);
      let whole: unknown;
      try {
        whole = parse835(fixture, sourceFor(file, fixture));
      } catch (error) {
        whole = (error as X12Error).code;
      }
      const out: NormalizedRemit[] = [];
      let chunked: unknown = out;
      try {
        const parser = new Era835Parser(sourceFor(file, fixture), (remit) => out.push(remitRows(remit)));
        const fileBytes = Buffer.from(fixture, 'utf8');
        for (let i = 0; i < fileBytes.length; i += 7) parser.writeBytes(fileBytes.subarray(i, i + 7));
        parser.end();
      } catch (error) {
        chunked = (error as X12Error).code;
      }
      expect(chunked, file).toEqual(whole);
    }
  });

  it('character-by-character streaming gives the same rows for every fixture', () => {
    for (const file of allFixtureFiles().filter((f) => !f.startsWith('bad/'))) {
      const text = readFixture(...file.split('/'));
      expect(parseInChunks(text, file, [1]), file).toEqual(parse835(text, sourceFor(file, text)));
    }
  });

  it('a streamed file that fails, fails with the same error as one-shot', () => {
    fc.assert(
      fc.property(
        mutated,
        fc.array(fc.integer({ min: 1, max: 256 }), { minLength: 1, maxLength: 4 }),
        (text, sizes) => {
          const outcome = (fn: () => unknown) => {
            try {
              return { rows: fn() };
            } catch (error) {
              return { code: (error as X12Error).code };
            }
          };
          const whole = outcome(() => parse835(text, sourceFor('m.835', text)));
          const streamed = outcome(() => parseInChunks(text, 'm.835', sizes));
          expect(streamed).toEqual(whole);
        },
      ),
      { numRuns: 300 },
    );
  });
});
