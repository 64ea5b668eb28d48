import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { CliError } from './cliError.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses a command's arguments; unknown options and missing values become a CliError with the
 * usage. `-h`/`--help` prints the usage and ends the command with exit code 0.
 */
export function parseCommandArgs<O extends Options>(argv: string[], options: O, usage: string) {
  let parsed: ReturnType<
    typeof parseArgs<{
      args: string[];
      options: O & { help: { type: 'boolean'; short: 'h' } };
      allowPositionals: true;
      strict: true;
    }>
  >;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } as const },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new CliError(`${explainParseError(error, Object.keys(options))}\n\n${usage}`);
  }
  if ((parsed.values as { help?: boolean }).help === true) {
    process.stdout.write(usage);
    throw new CliError('', 0);
  }
  return parsed;
}

/** The `--lake` folder, resolved; a CliError when it is missing or not a folder. */
export function existingLake(value: unknown, usage: string): string {
  const lake = resolve(required(value as string | undefined, 'lake', usage));
  if (!statSync(lake, { throwIfNoEntry: false })?.isDirectory())
    throw new CliError(`lake folder not found: ${lake}`);
  return lake;
}

/** The value of a required option, or a CliError naming it. */
export function required(value: string | undefined, name: string, usage: string): string {
  if (value === undefined || value === '') throw new CliError(`missing --${name}\n\n${usage}`);
  return value;
}

/** A positive integer option. */
export function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new CliError(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

/**
 * parseArgs' message, with a suggestion for a mistyped option (`--lak` → `--lake`) in place of its
 * advice about positionals that start with a dash.
 */
function explainParseError(error: unknown, optionNames: string[]): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /^Unknown option '(--?)([^'=]+)'/.exec(message);
  if (unknown === null) return message;
  const [, dashes, given] = unknown as unknown as [string, string, string];
  const names = [...optionNames, 'help'];
  const guess = dashes === '--' ? closest(given, names) : null;
  return `Unknown option '${dashes}${given}'${guess !== null ? `; did you mean --${guess}?` : ''}`;
}

/**
 * The candidate `word` was most likely meant as: a unique candidate it is a prefix of, else the
 * nearest by edit distance when that is small for the word's length; null when none is close.
 */
export function closest(word: string, candidates: string[]): string | null {
  const lower = word.toLowerCase();
  const prefixed = candidates.filter((c) => c.startsWith(lower));
  if (lower.length >= 2 && prefixed.length === 1) return prefixed[0] as string;
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = editDistance(lower, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const allowed = Math.max(1, Math.floor(Math.max(lower.length, 3) / 3));
  return bestDistance <= allowed ? best : null;
}

/** Levenshtein distance, with a swap of two neighbours counting as one edit. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const up = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return (rows[a.length] as number[])[b.length] as number;
}
