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
    throw new CliError(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
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
