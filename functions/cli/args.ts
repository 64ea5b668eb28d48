import { type ParseArgsConfig, parseArgs } from 'node:util';
import { CliError } from './cliError.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses a command's arguments; unknown options and missing values become a CliError with the usage. */
export function parseCommandArgs<O extends Options>(argv: string[], options: O, usage: string) {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new CliError(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
  }
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
