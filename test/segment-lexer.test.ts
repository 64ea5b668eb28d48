import { describe, expect, it } from 'vitest';
import { Era835Parser, parse835 } from '../functions/core/era/parse835.ts';
import { remitRows } from '../functions/core/era/remitRows.ts';
import { LEXER_LAYOUT } from '../functions/core/era/segmentLexer.ts';
import { compileLexer } from '../functions/core/era/wasm/build.ts';
import { LEXER_WASM_BASE64 } from '../functions/core/era/wasm/lexer.wasm.ts';
import type { NormalizedRemit } from '../functions/core/types.ts';
import { largeFileChunks } from '../functions/generate/generate.ts';
import { readFixture, sourceFor } from './helpers/fixtures.ts';
import { splitOnly } from './helpers/splitOnly.ts';

const EMBEDDED = Buffer.from(LEXER_WASM_BASE64, 'base64');

/** Rows of a text fed to one parser in pieces of `size` bytes. */
function parseInPieces(text: string, key: string, size: number): NormalizedRemit[] {
  const out: NormalizedRemit[] = [];
  const parser = new Era835Parser(sourceFor(key, text), (remit) => out.push(remitRows(remit)));
  const bytes = Buffer.from(text, 'utf8');
  for (let at = 0; at < bytes.length; at += size) parser.writeBytes(bytes.subarray(at, at + size));
  parser.end();
  return out;
}

/** About `bytes` of the large-file generator's interchanges (transactions of a thousand claims and more). */
function largeText(bytes: number): string {
  const parts: string[] = [];
  let length = 0;
  for (const chunk of largeFileChunks(5)) {
    parts.push(chunk);
    length += chunk.length;
    if (length >= bytes) break;
  }
  return parts.join('');
}

describe('segment lexer (WebAssembly)', () => {
  it('the embedded module is what lexer.as.ts compiles to (npm run build:wasm)', async () => {
    const compiled = await compileLexer();
    expect(Buffer.from(compiled).equals(EMBEDDED)).toBe(true);
  });

  it("the module's layout is the one the reader relies on", () => {
    const exports = new WebAssembly.Instance(new WebAssembly.Module(EMBEDDED), {}).exports;
    for (const [name, value] of Object.entries(LEXER_LAYOUT)) {
      expect((exports[name] as WebAssembly.Global).value, name).toBe(value);
    }
  });

  it('a large text read whole (its memory grown, its records in many runs) gives the split path rows', () => {
    const text = largeText(3_000_000);
    const whole = parse835(text, sourceFor('large.835', text));
    expect(whole.length).toBeGreaterThan(10);
    expect(whole.reduce((n, r) => n + r.adjustments.length, 0)).toBeGreaterThan(20_000);
    expect(whole).toEqual(splitOnly(text, 'large.835'));
    // The same text streamed in small pieces.
    expect(parseInPieces(text, 'large.835', 4096)).toEqual(whole);
  });

  it('a claim’s repeated or damaged dates apply in order, as the split path applies them', () => {
    const template = readFixture('cases', 'full-claim-5010.835');
    // The claim's dates, then its first line's, replaced by each case's.
    const withDates = (claimDates: string[], lineDates: string[]): string =>
      template
        .replace('DTM*232*20240301~\nDTM*233*20240305~\n', claimDates.map((d) => `${d}~\n`).join(''))
        .replace('DTM*472*20240301~\n', lineDates.map((d) => `${d}~\n`).join(''));
    const cases: [string[], string[], { from: string | null; to: string | null; line: string | null }][] = [
      // The last statement date wins; an impossible one read after a good one clears it (with a warning).
      [['DTM*232*20240301', 'DTM*232*20240302'], [], { from: '2024-03-02', to: null, line: '2024-03-02' }],
      [['DTM*232*20240301', 'DTM*232*20240231'], [], { from: null, to: null, line: '2024-03-02' }],
      [
        ['DTM*232*20240231', 'DTM*232*20240303', 'DTM*233*2024030'],
        [],
        { from: '2024-03-03', to: null, line: '2024-03-02' },
      ],
      // The first service date of a line wins; an impossible one first leaves the next to be taken.
      [[], ['DTM*472*20240225', 'DTM*472*20240226'], { from: null, to: null, line: '2024-02-25' }],
      [[], ['DTM*472*20241301', 'DTM*472*20240226'], { from: null, to: null, line: '2024-02-26' }],
      [[], ['DTM*150*20240227', 'DTM*472*20241301'], { from: null, to: null, line: '2024-02-27' }],
      // Statement dates inside a line and unknown qualifiers are ignored.
      [
        [],
        ['DTM*232*20240101', 'DTM*999*20240101', 'DTM*472*20240228'],
        { from: null, to: null, line: '2024-02-28' },
      ],
    ];
    for (const [claimDates, lineDates, expected] of cases) {
      const text = withDates(claimDates, lineDates);
      const rows = parse835(text, sourceFor('dates.835', text));
      expect(rows, `${claimDates} ${lineDates}`).toEqual(splitOnly(text, 'dates.835'));
      const claim = rows[0]?.claims[0];
      expect(claim?.statement_from, `${claimDates} ${lineDates}`).toBe(expected.from);
      expect(claim?.statement_to).toBe(expected.to);
      // Without statement dates a claim's service date is its lines' earliest.
      if (expected.from === null) expect(claim?.service_date).toBe(expected.line);
    }
  });

  it('the module’s table of interned values fills, and is emptied between reads, without mixing texts up', () => {
    // One transaction of `claims` claims, each with its own rendering NPI and procedure code.
    const manyProviders = (claims: number, first: number): string => {
      const body: string[] = [
        'ST*835*0001',
        'BPR*I*0*C*NON************20240105',
        'TRN*1*T1*1999999999',
        'N1*PR*P',
      ];
      body.push('N1*PE*Q*XX*1999999984', 'LX*1');
      for (let i = 0; i < claims; i++) {
        const n = first + i;
        body.push(`CLP*C${n}*1*100*100`, `NM1*82*1*R*****XX*${String(n).padStart(10, '0')}`);
        body.push(`SVC*HC:${(n % 36 ** 5).toString(36).toUpperCase().padStart(5, '0')}*100*100`);
      }
      body.push(`SE*${body.length + 1}*0001`);
      const isa =
        'ISA*00*          *00*          *ZZ*A              *ZZ*B              *240105*1200*^*00501*000000001*0*P*:';
      return [isa, 'GS*HP*A*B*20240105*1200*1*X*005010X221A1', ...body, 'GE*1*1', 'IEA*1*000000001', ''].join(
        '~\n',
      );
    };
    // More NPIs and codes than the table holds (3,072), then other ones: the table is emptied.
    for (const [claims, first] of [
      [2500, 1],
      [2500, 10_000],
      [400, 50_000],
    ] as const) {
      const text = manyProviders(claims, first);
      const rows = parse835(text, sourceFor('many.835', text));
      expect(rows[0]?.claims.map((c) => c.rendering_npi)).toEqual(
        Array.from({ length: claims }, (_, i) => String(first + i).padStart(10, '0')),
      );
      expect(rows).toEqual(splitOnly(text, 'many.835'));
    }
  });

  it('a parser started inside another one’s callback reads its own bytes', () => {
    // Three transactions: the inner parse runs after the first and second, with more to read.
    const outer = readFixture('cases', 'multi-gs-st.835');
    const inner = readFixture('recoup', 'acme-2024-03-01-reversal-with-correction.835');
    const innerRows: NormalizedRemit[][] = [];
    const outerRows: NormalizedRemit[] = [];
    const parser = new Era835Parser(sourceFor('outer.835', outer), (remit) => {
      // Parsed while the outer parser is applying its records.
      innerRows.push(parse835(inner, sourceFor('inner.835', inner)));
      outerRows.push(remitRows(remit));
    });
    parser.write(outer);
    parser.end();
    expect(innerRows.length).toBe(3);
    for (const rows of innerRows) expect(rows).toEqual(parse835(inner, sourceFor('inner.835', inner)));
    expect(outerRows).toEqual(parse835(outer, sourceFor('outer.835', outer)));
  });

  it('parsers fed in turn, piece by piece, each read their own file', () => {
    const a = readFixture('recoup', 'beta-2024-04-12-fb-carried.835');
    const b = readFixture('format', 'tilde-crlf.835');
    const rowsA: NormalizedRemit[] = [];
    const rowsB: NormalizedRemit[] = [];
    const parserA = new Era835Parser(sourceFor('a.835', a), (remit) => rowsA.push(remitRows(remit)));
    const parserB = new Era835Parser(sourceFor('b.835', b), (remit) => rowsB.push(remitRows(remit)));
    const bytesA = Buffer.from(a);
    const bytesB = Buffer.from(b);
    for (let at = 0; at < Math.max(bytesA.length, bytesB.length); at += 37) {
      if (at < bytesA.length) parserA.writeBytes(bytesA.subarray(at, at + 37));
      if (at < bytesB.length) parserB.writeBytes(bytesB.subarray(at, at + 37));
    }
    parserA.end();
    parserB.end();
    expect(rowsA).toEqual(parse835(a, sourceFor('a.835', a)));
    expect(rowsB).toEqual(parse835(b, sourceFor('b.835', b)));
    expect(rowsA.length + rowsB.length).toBeGreaterThan(1);
  });
});
