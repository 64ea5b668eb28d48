import { Era835Reader } from '../../functions/core/era/reader835.ts';
import { remitRows } from '../../functions/core/era/remitRows.ts';
import type { X12Error } from '../../functions/core/x12/errors.ts';
import { X12Tokenizer } from '../../functions/core/x12/tokenizer.ts';
import { sourceFor } from './fixtures.ts';

/**
 * Rows, or the error, of the reader fed every segment split into elements: no segment lexer and
 * no reading in place. The parser must give the same for any text.
 */
export function splitOnly(text: string, key = 'm.835'): unknown {
  try {
    const out: unknown[] = [];
    const reader = new Era835Reader(sourceFor(key, text), (remit) => out.push(remitRows(remit)));
    const tokenizer = new X12Tokenizer(key, (el, index, delimiters) => reader.segment(el, index, delimiters));
    tokenizer.write(text);
    tokenizer.end();
    reader.finish();
    return out;
  } catch (error) {
    return { code: (error as X12Error).code, message: (error as X12Error).message };
  }
}
