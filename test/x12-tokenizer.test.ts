import { describe, expect, it } from 'vitest';
import { X12Error } from '../functions/core/x12/errors.ts';
import {
  type Delimiters,
  MAX_SEGMENT_LENGTH,
  tokenize,
  X12Tokenizer,
} from '../functions/core/x12/tokenizer.ts';
import { readFixture } from './helpers/fixtures.ts';

type Token = ReturnType<typeof tokenize>[number];

/** Tokenizes text fed in chunks of the given size (1 = character by character). */
function tokenizeChunked(text: string, size: number): Token[] {
  const out: Token[] = [];
  const tokenizer = new X12Tokenizer('chunked.835', (elements, index, delimiters) => {
    out.push({ elements, index, delimiters });
  });
  for (let i = 0; i < text.length; i += size) tokenizer.write(text.slice(i, i + size));
  tokenizer.end();
  return out;
}

/** Runs `fn` and returns the X12Error it throws (fails the test when it throws nothing or something else). */
function x12ErrorOf(fn: () => unknown): X12Error {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(X12Error);
    return error as X12Error;
  }
  throw new Error('expected an X12Error, nothing was thrown');
}

const ISA =
  'ISA*00*          *00*          *ZZ*ACMEHEALTH     *ZZ*SUNRISECLINIC  *240901*0900*^*00501*000000801*0*P*:';

const canonical = readFixture('format', 'canonical.835');
const canonicalTokens = tokenize('canonical.835', canonical);

describe('delimiter detection', () => {
  it('reads the canonical file: `*` elements, `:` components, `~` segments, `^` repetitions', () => {
    expect(canonicalTokens[0]?.delimiters).toEqual({
      element: '*',
      component: ':',
      segment: '~',
      repetition: '^',
    });
    expect(canonicalTokens.map((t) => t.elements[0])).toEqual([
      'ISA',
      'GS',
      'ST',
      'BPR',
      'TRN',
      'DTM',
      'N1',
      'REF',
      'N1',
      'LX',
      'CLP',
      'NM1',
      'NM1',
      'SVC',
      'DTM',
      'CAS',
      'CAS',
      'SE',
      'GE',
      'IEA',
    ]);
    expect(canonicalTokens.map((t) => t.index)).toEqual(canonicalTokens.map((_, i) => i + 1));
    // The newline after each `~` is not part of any element.
    expect(canonicalTokens.every((t) => t.elements.every((e) => !/[\r\n~]/.test(e)))).toBe(true);
    expect(canonicalTokens[13]?.elements).toEqual(['SVC', 'HC:99213:25', '300', '242.5']);
  });

  const variants: [string, Partial<Delimiters>][] = [
    ['pipe-elements.835', { element: '|', component: '^', segment: '~', repetition: '{' }],
    ['newline-terminators.835', { element: '*', component: ':', segment: '\n', repetition: '^' }],
    ['tilde-crlf.835', { element: '*', component: ':', segment: '~', repetition: '^' }],
    ['utf8-bom.835', { element: '*', component: ':', segment: '~', repetition: '^' }],
    ['text-before-isa.835', { element: '*', component: ':', segment: '~', repetition: '^' }],
    ['unpadded-isa.835', { element: '*', component: ':', segment: '~', repetition: '^' }],
  ];
  for (const [file, delimiters] of variants) {
    it(`reads ${file} with delimiters ${JSON.stringify(delimiters)} into the canonical segments`, () => {
      const tokens = tokenize(file, readFixture('format', file));
      expect(tokens[0]?.delimiters).toEqual(delimiters);
      expect(tokens.map((t) => t.index)).toEqual(canonicalTokens.map((t) => t.index));
      // From GS on, every element equals the canonical one once the composite separator is normalized.
      const normalize = (t: Token) => t.elements.map((e) => e.replaceAll(t.delimiters.component, ':'));
      expect(tokens.slice(1).map(normalize)).toEqual(canonicalTokens.slice(1).map(normalize));
      expect(tokens[0]?.elements[0]).toBe('ISA');
      expect(tokens[0]?.elements).toHaveLength(17);
    });
  }

  it('drops the UTF-8 byte order mark and prose before the ISA instead of reading them as data', () => {
    expect(readFixture('format', 'utf8-bom.835').charCodeAt(0)).toBe(0xfeff);
    expect(tokenize('bom', readFixture('format', 'utf8-bom.835'))[0]?.elements[0]).toBe('ISA');
    const prose = tokenize('prose', readFixture('format', 'text-before-isa.835'));
    expect(prose[0]?.elements.slice(0, 2)).toEqual(['ISA', '00']);
    expect(prose[0]?.index).toBe(1);
  });

  it('reads an unpadded ISA by counting separators, not by fixed width', () => {
    const tokens = tokenize('unpadded', readFixture('format', 'unpadded-isa.835'));
    expect(tokens[0]?.elements[6]).toBe('ACMEHEALTH');
    expect(tokens[0]?.elements[8]).toBe('SUNRISECLINIC');
    expect(tokens[0]?.elements[16]).toBe(':');
  });

  it('detects delimiters again for every ISA in a file (three interchanges, three delimiter sets)', () => {
    const tokens = tokenize('multi', readFixture('format', 'multi-isa-different-delimiters.835'));
    const isas = tokens.filter((t) => t.elements[0] === 'ISA');
    expect(isas.map((t) => t.delimiters)).toEqual([
      { element: '*', component: ':', segment: '~', repetition: '^' },
      { element: '|', component: '^', segment: '\n', repetition: '{' },
      { element: '+', component: '>', segment: '~', repetition: '!' },
    ]);
    expect(tokens.filter((t) => t.elements[0] === 'SVC').map((t) => t.elements[1])).toEqual([
      'HC:99213:25',
      'HC^97110^GP^59',
      'HC>99214>25>GT',
    ]);
    expect(tokens.filter((t) => t.elements[0] === 'TRN').map((t) => t.elements[2])).toEqual([
      'MIX-STAR',
      'MIX-PIPE',
      'MIX-PLUS',
    ]);
    expect(tokens).toHaveLength(48);
    expect(tokens.at(-1)?.elements).toEqual(['IEA', '1', '000000813']);
  });

  it('does not treat ISA11 `U` of a 4010 interchange as a repetition separator', () => {
    const tokens = tokenize('4010', readFixture('cases', 'v4010-reversal.835'));
    expect(tokens[0]?.elements[11]).toBe('U');
    expect(tokens[0]?.elements[12]).toBe('00401');
    expect(tokens[0]?.delimiters.repetition).toBeNull();
    // Values holding a `U` stay whole.
    expect(tokens[1]?.elements[3]).toBe('SUNRISECLINIC');
    expect(tokens.find((t) => t.elements[0] === 'N1')?.elements[2]).toBe('DELTA MEDICAID');
  });

  it('reads a 5010 ISA11 as the repetition separator', () => {
    expect(tokenize('5010', readFixture('cases', 'full-claim-5010.835'))[0]?.delimiters.repetition).toBe('^');
  });

  it('accepts `\\r` alone as the segment terminator', () => {
    const text = `${ISA}\rGS*HP*A*B*20240901*0900*1*X*005010X221A1\rGE*0*1\rIEA*1*000000801\r`;
    const tokens = tokenize('cr', text);
    expect(tokens.map((t) => t.elements[0])).toEqual(['ISA', 'GS', 'GE', 'IEA']);
    expect(tokens[0]?.delimiters.segment).toBe('\r');
  });

  it('tolerates a missing final terminator', () => {
    const tokens = tokenize(
      'noend',
      `${ISA}~GS*HP*A*B*20240901*0900*1*X*005010X221A1~GE*0*1~IEA*1*000000801`,
    );
    expect(tokens.at(-1)?.elements).toEqual(['IEA', '1', '000000801']);
  });
});

describe('streaming', () => {
  const files: [string, string][] = [
    ['format', 'canonical.835'],
    ['format', 'tilde-crlf.835'],
    ['format', 'utf8-bom.835'],
    ['format', 'text-before-isa.835'],
    ['format', 'multi-isa-different-delimiters.835'],
    ['cases', 'multi-gs-st.835'],
  ];
  for (const [folder, file] of files) {
    it(`gives the same elements for ${file} fed 1, 7, 64 or 4096 characters at a time`, () => {
      const text = readFixture(folder, file).replace(/^\uFEFF/, '');
      const whole = tokenize(file, text).map((t) => [t.index, ...t.elements]);
      for (const size of [1, 7, 64, 4096]) {
        expect(tokenizeChunked(text, size).map((t) => [t.index, ...t.elements])).toEqual(whole);
      }
    });
  }

  it('reports the same delimiters when a `\\r\\n` terminator is split across chunks', () => {
    const text = `${ISA}\r\nGS*HP*A*B*20240901*0900*1*X*005010X221A1\r\nGE*0*1\r\nIEA*1*000000801\r\n`;
    const whole = tokenize('crlf', text);
    expect(whole[0]?.delimiters.segment).toBe('\r\n');
    // Break the text right between the `\r` and the `\n` that end the ISA.
    const out: Token[] = [];
    const tokenizer = new X12Tokenizer('crlf', (elements, index, delimiters) => {
      out.push({ elements, index, delimiters });
    });
    tokenizer.write(`${ISA}\r`);
    tokenizer.write(text.slice(ISA.length + 1));
    tokenizer.end();
    expect(out.map((t) => t.elements)).toEqual(whole.map((t) => t.elements));
    expect(out.map((t) => t.delimiters)).toEqual(whole.map((t) => t.delimiters));
  });

  it('reads a bare transaction set (no ISA, starts at ST) whole and in chunks alike', () => {
    const text =
      'ST*835*0001~BPR*I*10*C*CHK************20240101~TRN*1*T1*1999999999~SVC*HC>99213*10*10~SE*5*0001~';
    const whole = tokenize('bare', text);
    expect(whole.map((t) => t.elements[0])).toEqual(['ST', 'BPR', 'TRN', 'SVC', 'SE']);
    expect(whole[0]?.delimiters).toEqual({ element: '*', component: '>', segment: '~', repetition: null });
    // A streaming reader must not depend on where the chunks break (X12Scanner's own contract).
    for (const size of [1, 3, 16]) {
      const chunked = tokenizeChunked(text, size);
      expect(chunked.map((t) => t.elements)).toEqual(whole.map((t) => t.elements));
      expect(chunked.map((t) => t.delimiters)).toEqual(whole.map((t) => t.delimiters));
    }
  });
});

describe('malformed input', () => {
  it('rejects a segment over 64 KiB with SEGMENT_TOO_LONG and its position', () => {
    const long = `${ISA}~GS*HP*A*B*20240901*0900*1*X*005010X221A1~NTE*${'X'.repeat(MAX_SEGMENT_LENGTH)}~IEA*1*1~`;
    const error = x12ErrorOf(() => tokenize('long.835', long));
    expect(error.code).toBe('SEGMENT_TOO_LONG');
    expect(error.location).toMatchObject({ file: 'long.835', segmentIndex: 3 });
    expect(error.toJSON()).toMatchObject({ code: 'SEGMENT_TOO_LONG', file: 'long.835', segment_index: 3 });
  });

  it('rejects a runaway segment while streaming, before the terminator ever arrives', () => {
    const tokenizer = new X12Tokenizer('runaway.835', () => {});
    tokenizer.write(`${ISA}~GS*HP*A*B*20240901*0900*1*X*005010X221A1~NTE*`);
    const error = x12ErrorOf(() => {
      for (let i = 0; i < 20; i++) tokenizer.write('Y'.repeat(8192));
    });
    expect(error.code).toBe('SEGMENT_TOO_LONG');
    expect(error.location.segmentIndex).toBe(3);
  });

  it('accepts a segment of exactly 64 KiB', () => {
    const value = 'Z'.repeat(MAX_SEGMENT_LENGTH - 4);
    const tokens = tokenize('max.835', `${ISA}~NTE*${value}~IEA*1*1~`);
    expect(tokens[1]?.elements[1]).toHaveLength(MAX_SEGMENT_LENGTH - 4);
  });

  it('names the ISA when it is truncated', () => {
    const error = x12ErrorOf(() => tokenize('short.835', 'ISA*00*          *00*     '));
    expect(error.code).toBe('BAD_ISA');
    expect(error.location).toEqual({ file: 'short.835', segmentIndex: 1, segmentId: 'ISA' });
  });

  it('names ISA16 when the segment terminator is a letter', () => {
    const error = x12ErrorOf(() => tokenize('isa16.835', `${ISA}AGS*HP~`));
    expect(error.code).toBe('BAD_ISA');
    expect(error.location).toEqual({
      file: 'isa16.835',
      segmentIndex: 1,
      segmentId: 'ISA',
      element: 'ISA16',
    });
    expect(error.message).toContain('isa16.835 segment 1 ISA ISA16');
  });

  it('gives the segment index of the second interchange when its ISA is bad', () => {
    const first = `${ISA}~GS*HP*A*B*20240901*0900*1*X*005010X221A1~GE*0*1~IEA*1*000000801~`;
    const error = x12ErrorOf(() => tokenize('second.835', `${first}\nISA*00*00*AA~`));
    expect(error.code).toBe('BAD_ISA');
    expect(error.location.segmentIndex).toBe(5);
  });

  it('rejects text that is not X12 with NO_ISA, an empty file with EMPTY', () => {
    expect(x12ErrorOf(() => tokenize('prose.txt', 'Dear provider, your payment is enclosed.')).code).toBe(
      'NO_ISA',
    );
    expect(x12ErrorOf(() => tokenize('empty.835', '')).code).toBe('EMPTY');
    expect(x12ErrorOf(() => tokenize('blank.835', '  \n\r\n ')).code).toBe('EMPTY');
  });

  it('rejects UTF-16 text with UNSUPPORTED_ENCODING', () => {
    expect(x12ErrorOf(() => tokenize('u16.835', `\ufffe${ISA}~`)).code).toBe('UNSUPPORTED_ENCODING');
    expect(x12ErrorOf(() => tokenize('bin.835', '\u0000\u0001\u0002garbage')).code).toBe(
      'UNSUPPORTED_ENCODING',
    );
  });

  it('rejects text after the last IEA and between interchanges', () => {
    const one = `${ISA}~GS*HP*A*B*20240901*0900*1*X*005010X221A1~GE*0*1~IEA*1*000000801~`;
    const after = x12ErrorOf(() => tokenize('after.835', `${one}\nTHIS IS NOT X12`));
    expect(after.code).toBe('UNEXPECTED_SEGMENT');
    expect(after.location.segmentIndex).toBe(5);
    const between = x12ErrorOf(() => tokenize('between.835', `${one}\nJUNK\n${one}`));
    expect(between.code).toBe('UNEXPECTED_SEGMENT');
    // Trailing whitespace after the IEA is fine.
    expect(tokenize('ok.835', `${one}\n\n  \r\n`)).toHaveLength(4);
  });

  it('tolerates a UTF-8 byte order mark between concatenated interchanges and after the last', () => {
    const one = `\ufeff${ISA}~GS*HP*A*B*20240901*0900*1*X*005010X221A1~GE*0*1~IEA*1*000000801~\n`;
    const tokens = tokenize('cat.835', `${one}${one}\ufeff\n`);
    expect(tokens.map((t) => t.elements[0])).toEqual(['ISA', 'GS', 'GE', 'IEA', 'ISA', 'GS', 'GE', 'IEA']);
  });

  it('refuses delimiters that are not ASCII, naming the ISA', () => {
    const error = x12ErrorOf(() => tokenize('accent.835', `${ISA.replaceAll('*', '\u00e9')}~GS\u00e9HP~`));
    expect(error.code).toBe('BAD_ISA');
    expect(error.message).toContain('accent.835 segment 1 ISA');
  });

  it('refuses UTF-16 bytes (either byte order) with UNSUPPORTED_ENCODING', () => {
    for (const mark of [
      [0xff, 0xfe],
      [0xfe, 0xff],
    ]) {
      const tokenizer = new X12Tokenizer('u16.835', () => {});
      const bytes = Buffer.concat([Buffer.from(mark), Buffer.from(`${ISA}~`, 'utf16le')]);
      expect(x12ErrorOf(() => tokenizer.writeBytes(bytes)).code).toBe('UNSUPPORTED_ENCODING');
    }
  });

  it('gives elements as UTF-8 text, whole or fed byte by byte', () => {
    const text = `${ISA}~GS*HP*A*B*20240901*0900*1*X*005010X221A1~N1*PR*CAFÉ ✓ SÃO~IEA*1*000000801~`;
    const bytes = Buffer.from(text, 'utf8');
    const out: string[][] = [];
    const tokenizer = new X12Tokenizer('utf8.835', (elements) => out.push(elements));
    for (let i = 0; i < bytes.length; i++) tokenizer.writeBytes(bytes.subarray(i, i + 1));
    tokenizer.end();
    expect(out[2]).toEqual(['N1', 'PR', 'CAFÉ ✓ SÃO']);
    expect(tokenize('utf8.835', text)[2]?.elements).toEqual(['N1', 'PR', 'CAFÉ ✓ SÃO']);
  });
});
