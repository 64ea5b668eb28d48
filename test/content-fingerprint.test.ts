import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContentFingerprint } from '../functions/core/era/contentFingerprint.ts';
import type { Delimiters } from '../functions/core/x12/tokenizer.ts';

/** The fingerprint of `text` fed as bytes in pieces cut at `cuts` (the reader's byte path). */
function byBytes(d: Delimiters, text: string, cuts: number[]): string {
  const bytes = new Uint8Array(Buffer.from(text, 'latin1'));
  const source = { bytes, text };
  const fp = new ContentFingerprint();
  fp.begin(d);
  let at = 0;
  for (const cut of [...cuts.map((c) => c % (text.length + 1)).sort((a, b) => a - b), text.length]) {
    fp.bytes(source, at, Math.max(at, cut));
    at = Math.max(at, cut);
  }
  return fp.finish();
}

/** The same from split segments (the reader's split path without buffers). */
function bySegments(d: Delimiters, segments: string[][]): string {
  const fp = new ContentFingerprint();
  fp.begin(d);
  fp.afterSt();
  for (const s of segments) fp.segment(s);
  return fp.finish();
}

// (A line break as an element or component separator is ambiguous with line breaks between
// segments: the scanner reads it as a blank there. Garbled files of that kind are covered by the
// streamed-versus-whole property of x12-properties.test.ts.)
const DELIMITERS: Delimiters[] = [
  { element: '*', component: ':', repetition: '^', segment: '~' },
  { element: '|', component: '>', repetition: '{', segment: '~' },
  { element: '\x1d', component: '\x1f', repetition: null, segment: '\x1e' },
  { element: '*', component: ':', repetition: '^', segment: '\n' },
];

const element = fc.stringMatching(/^[A-Z0-9 .-]{0,6}$/);
const segmentArb = fc.tuple(fc.stringMatching(/^[A-Z][A-Z0-9]{1,2}$/), fc.array(element, { maxLength: 5 }));

describe('content fingerprint (fast-check)', () => {
  it('is the same fed as bytes in any pieces, with any line breaks and blanks between segments, or as segments', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DELIMITERS),
        fc.array(segmentArb, { minLength: 1, maxLength: 8 }),
        fc.array(fc.constantFrom('', '', '\n', '\r\n', ' ', '\n  ', '\t'), { minLength: 9, maxLength: 9 }),
        fc.array(fc.nat(400), { maxLength: 6 }),
        (d, segments, gaps, cuts) => {
          const els = segments.map(([id, rest]) => [id, ...rest]);
          // The byte path starts at the ST's terminator.
          const terminator = d.segment;
          const lineBreakTerminator = terminator === '\n';
          const gap = (i: number) => (lineBreakTerminator ? '' : (gaps[i] ?? ''));
          let text = terminator;
          els.forEach((e, i) => {
            text += `${gap(i)}${e.join(d.element)}${terminator}`;
          });
          text += gap(8);
          expect(byBytes(d, text, cuts)).toBe(bySegments(d, els));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('is the same for one transaction written with other delimiters, and differs when an element differs', () => {
    const els = [
      ['BPR', 'I', '100', 'C'],
      ['CLP', 'A1', '1', '100', '90'],
    ];
    const write = (d: Delimiters, rows: string[][]) =>
      `${d.segment}${rows.map((r) => `${r.join(d.element)}${d.segment}\n`).join('')}`;
    const a = DELIMITERS[0] as Delimiters;
    const b = DELIMITERS[1] as Delimiters;
    expect(byBytes(a, write(a, els), [])).toBe(byBytes(b, write(b, els), [7]));
    const other = [els[0] as string[], ['CLP', 'A1', '1', '100', '91']];
    expect(byBytes(a, write(a, other), [])).not.toBe(byBytes(a, write(a, els), []));
  });
});
