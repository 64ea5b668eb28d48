import { closest } from './args.ts';
import { CliError } from './cliError.ts';

type Command = (argv: string[]) => Promise<number>;

/** Subcommands, loaded on demand so `recoup query` does not pay for the generator or AWS SDK. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  demo: {
    summary: 'generate a year of remittances, ingest, build, print a scorecard, write a report',
    load: async () => (await import('./commands/demo.ts')).demoCommand,
  },
  generate: {
    summary: 'write synthetic, balanced 835 files and their truth.json',
    load: async () => (await import('./commands/generate.ts')).generateCommand,
  },
  ingest: {
    summary: 'read 835 files into the Parquet lake',
    load: async () => (await import('./commands/ingest.ts')).ingestCommand,
  },
  compact: {
    summary: 'merge staged lake files into a few zstd files per payer and month',
    load: async () => (await import('./commands/compact.ts')).compactCommand,
  },
  build: {
    summary: 'run the SQL models and write the marts',
    load: async () => (await import('./commands/build.ts')).buildCommand,
  },
  query: {
    summary: 'run SQL over the lake tables and marts',
    load: async () => (await import('./commands/query.ts')).queryCommand,
  },
  views: {
    summary: 'print CREATE VIEW statements (with column meanings) to open the lake in your own DuckDB',
    load: async () => (await import('./commands/views.ts')).viewsCommand,
  },
  alerts: {
    summary: 'list takeback spike alerts and deliver new ones',
    load: async () => (await import('./commands/alerts.ts')).alertsCommand,
  },
  backtest: {
    summary: 'judge the liquidity forecast on held-back weeks',
    load: async () => (await import('./commands/backtest.ts')).backtestCommand,
  },
  digest: {
    summary: 'print the weekly digest: scorecard lines, appeals due, alerts, flagged weeks',
    load: async () => (await import('./commands/digest.ts')).digestCommand,
  },
  appeals: {
    summary: 'export the appeals worklist: disputable takebacks by money recoverable',
    load: async () => (await import('./commands/appeals.ts')).appealsCommand,
  },
  close: {
    summary: 'close a month: freeze its marts as reported, so later restatements show',
    load: async () => (await import('./commands/close.ts')).closeCommand,
  },
  report: {
    summary: 'write the self-contained HTML report',
    load: async () => (await import('./commands/report.ts')).reportCommand,
  },
  backfill: {
    summary: 'enqueue existing landing objects for re-ingest (AWS)',
    load: async () => (await import('./commands/backfill.ts')).backfillCommand,
  },
  redrive: {
    summary: 'move dead-letter messages back to the ingest queue (AWS)',
    load: async () => (await import('./commands/redrive.ts')).redriveCommand,
  },
  quarantine: {
    summary: 'list quarantined files and re-ingest them (local or S3 lake)',
    load: async () => (await import('./commands/quarantine.ts')).quarantineCommand,
  },
};

/** Usage text of the whole CLI. */
export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'recoup: payer recoupment analytics over X12 835 remittances',
    '',
    'Usage: recoup <command> [options]   (recoup <command> --help for its options)',
    '',
    'Commands:',
    ...lines,
    '',
  ].join('\n');
}

/** Runs the CLI; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    // No command is bad usage: the usage goes to stderr and the exit code is 2, as for a bad option.
    process.stderr.write(usage());
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  if (name === '--version') {
    process.stdout.write('recoup 0.1.0\n');
    return 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    const guess = closest(name, Object.keys(COMMANDS));
    process.stderr.write(
      `recoup: unknown command "${name}"${guess ? `; did you mean "${guess}"?` : ''}\n\n${usage()}`,
    );
    return 2;
  }
  try {
    const run = await command.load();
    return await run(rest);
  } catch (error) {
    if (error instanceof CliError) {
      if (error.message !== '') process.stderr.write(`recoup ${name}: ${error.message}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`recoup ${name}: ${message}\n`);
    if (process.env.RECOUP_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}
