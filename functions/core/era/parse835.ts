import type { NormalizedRemit, RemitColumns } from '../types.ts';
import { X12Scanner } from '../x12/tokenizer.ts';
import { Era835Reader, type SourceInfo } from './reader835.ts';
import { remitRows, retainRemit } from './remitRows.ts';

/**
 * A streaming 835 parser: feed text chunks, receive each transaction's lake columns as soon as
 * its SE is read. The columns are the parser's own arrays, valid during the callback: keep
 * them with `retainRemit`.
 */
export class Era835Parser {
  private readonly reader: Era835Reader;
  private readonly tokenizer: X12Scanner;

  constructor(source: SourceInfo, onRemit: (remit: RemitColumns) => void) {
    this.reader = new Era835Reader(source, onRemit);
    const reader = this.reader;
    // The reader reads runs of segments itself (its lexer); the sink sees a last unterminated one.
    this.tokenizer = new X12Scanner(
      source.key,
      (buffer, start, end, index, delimiters, separator) =>
        reader.scan(buffer, start, end, index, delimiters, separator),
      process.env.RECOUP_LEXER === 'off' ? undefined : reader,
    );
  }

  write(chunk: string): void {
    this.tokenizer.write(chunk);
  }

  /** Adds UTF-8 bytes (a file read in chunks: a sequence cut between chunks is joined). */
  writeBytes(chunk: Uint8Array): void {
    this.tokenizer.writeBytes(chunk);
  }

  /** Ends the input; throws if the file was cut short. Returns the number of transactions read. */
  end(): number {
    this.tokenizer.end();
    this.reader.finish();
    return this.reader.transactionCount;
  }
}

/** Parses a whole 835 text into lake columns, one entry per transaction. Throws only `X12Error`. */
export function parse835Columns(text: string, source: SourceInfo): RemitColumns[] {
  return parseWhole(text, source, retainRemit);
}

/** Parses a whole 835 text into normalized rows, one entry per transaction. Throws only `X12Error`. */
export function parse835(text: string, source: SourceInfo): NormalizedRemit[] {
  return parseWhole(text, source, remitRows);
}

/** Each transaction of a whole text, as `keep` makes it during the parser's callback. */
function parseWhole<T>(text: string, source: SourceInfo, keep: (remit: RemitColumns) => T): T[] {
  const out: T[] = [];
  const parser = new Era835Parser(source, (remit) => out.push(keep(remit)));
  parser.write(text);
  parser.end();
  return out;
}
