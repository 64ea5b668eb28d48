import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { buildDuckDbModels } from '../../adapters/duckdb/buildDuckDbModels.ts';
import { buildIncremental } from '../../adapters/duckdb/buildIncremental.ts';
import type { PartitionResult } from '../../adapters/duckdb/buildPartition.ts';
import { buildPartitioned } from '../../adapters/duckdb/buildPartitioned.ts';
import { readLakeReads } from '../../adapters/duckdb/lakeViews.ts';
import { openBuildDuckDb } from '../../adapters/duckdb/openDuckDb.ts';
import { runSqlTests } from '../../adapters/duckdb/sqlTests.ts';
import { loadModelsConfig } from '../../adapters/modelsConfigFile.ts';
import type { ModelResult } from '../../models/buildModels.ts';
import { type BuildResources, buildResources, DEFAULT_BUILD_MEMORY } from '../../models/buildResources.ts';
import { ModelError } from '../../models/loadModels.ts';
import type { ModelsConfig } from '../../models/modelsConfig.ts';
import type { SqlTestResult } from '../../models/runSqlTests.ts';
import { existingLake, parseCommandArgs, positiveInt } from '../args.ts';
import { CliError } from '../cliError.ts';

const USAGE = `Usage: recoup build --lake DIR [--as-of YYYY-MM-DD] [--config FILE] [--test] [--json]
                    [--incremental [--warehouse FILE] [--full]] [--jobs N]
                    [--memory-limit SIZE] [--temp-dir DIR] [--threads N] [--profile DIR]

Runs the SQL models (sql/staging → sql/intermediate → sql/marts, in dependency order) over the
lake and writes each mart to DIR/marts/<name>/data.parquet, where \`recoup query\` sees it as a
view by its name (recoupment_rates, payer_scorecard, takeback_trend, takeback_links, plb_summary,
takeback_appeals, liquidity_forecast, takeback_alerts). Over a lake of many staged files (one per
remittance, not yet merged by \`recoup compact\`) it ends with a note: builds read compacted lakes
faster.

Options:
  --lake DIR          the lake folder (written by \`recoup ingest\`)
  --as-of DATE        build as of this date: later payments are left out, and the scorecard
                      window and appeal days count to it (default: the latest payment date)
  --config FILE       recoup.config.json with per-payer appeal windows
                      (default: DIR/recoup.config.json if present, else 60 days for every payer)
  --test              also run the singular tests in sql/tests (offending rows fail the build)
  --incremental       keep a warehouse (DIR/.warehouse/models.duckdb) and recompute the links
                      only for what the remittances added since the last build change; the marts
                      are rebuilt in full, the same as a full build's (over a compacted lake this
                      is about as fast as a full build). The first build, or one after the models
                      change or a remittance leaves the lake, builds the warehouse in full
  --warehouse FILE    the warehouse file (with --incremental)
  --full              rebuild the warehouse from the whole lake (with --incremental)
  --jobs N            partition the build by payer group and build N groups at once, each in a
                      process of its own with its own DuckDB (memory and threads shared out), then
                      merge them; the marts are the same as without --jobs (not with --test)
  --memory-limit SIZE DuckDB's memory budget, such as 1.5GB or 800MB (default
                      RECOUP_DUCKDB_MEMORY, else ${DEFAULT_BUILD_MEMORY}); beyond it DuckDB spills to disk,
                      so a larger lake takes longer, not more memory. The process holds this
                      plus Node's own 150–250 MB.
  --temp-dir DIR      where DuckDB spills (default: a fresh folder under the system temp folder)
  --threads N         DuckDB threads (default: one per core)
  --profile DIR       write each model's DuckDB profile (operators, rows, seconds) to DIR/<model>.json
  --json              print a JSON summary (models, rows, milliseconds) instead of text
  -h, --help          show this help

Example:
  recoup build --lake lake --as-of 2025-06-30 --config recoup.config.json
`;

/** `recoup build`: runs the models and writes the marts. */
export async function buildCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    argv,
    {
      lake: { type: 'string' },
      'as-of': { type: 'string' },
      config: { type: 'string' },
      test: { type: 'boolean' },
      json: { type: 'boolean' },
      'memory-limit': { type: 'string' },
      'temp-dir': { type: 'string' },
      threads: { type: 'string' },
      profile: { type: 'string' },
      jobs: { type: 'string' },
      incremental: { type: 'boolean' },
      warehouse: { type: 'string' },
      full: { type: 'boolean' },
    },
    USAGE,
  );
  const lake = existingLake(values.lake, USAGE);
  const asOf = values['as-of'] as string | undefined;
  if (asOf !== undefined && !isIsoDate(asOf))
    throw new CliError(`--as-of must be a date YYYY-MM-DD, got "${asOf}"`);
  const configFile = values.config as string | undefined;
  if (configFile !== undefined && !existsSync(configFile))
    throw new CliError(`config file not found: ${configFile}`);
  let config: ModelsConfig;
  try {
    config = loadModelsConfig({ file: configFile, lakeDir: lake });
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error));
  }
  const json = values.json === true;
  let resources: BuildResources;
  try {
    resources = buildResources({
      memoryLimit: values['memory-limit'] as string | undefined,
      tempDirectory: values['temp-dir'] as string | undefined,
      threads: positiveInt(values.threads as string | undefined, 'threads', cpus().length),
    });
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`--memory-limit: ${error instanceof Error ? error.message : String(error)}`);
  }
  const profileDir = values.profile as string | undefined;
  const jobs = positiveInt(values.jobs as string | undefined, 'jobs', 1);
  if (jobs > 1 && values.test === true)
    throw new CliError(
      '--test reads the intermediate tables of a build in one process: run it without --jobs',
    );
  if (jobs > 1 && profileDir !== undefined)
    throw new CliError('--profile is for a build in one process: run it without --jobs');
  const incremental = values.incremental === true;
  if (!incremental && (values.warehouse !== undefined || values.full === true))
    throw new CliError('--warehouse and --full go with --incremental');
  if (incremental && (jobs > 1 || values.test === true || profileDir !== undefined))
    throw new CliError('--incremental is a build in one process, without --jobs, --test or --profile');
  if (jobs > 1) return partitionedBuild({ lake, jobs, asOf, config, resources, json });
  if (incremental)
    return incrementalBuild({
      lake,
      asOf,
      config,
      resources,
      json,
      full: values.full === true,
      warehouse: values.warehouse as string | undefined,
    });

  const started = performance.now();
  const db = await openBuildDuckDb(resources);
  let models: ModelResult[];
  let tests: SqlTestResult[] = [];
  try {
    if (!json) process.stdout.write(`Building models over ${lake}\n`);
    models = await buildDuckDbModels({
      db,
      lakeDir: lake,
      asOf,
      config,
      ...(profileDir === undefined ? {} : { profileDir }),
      onModel: json ? undefined : (m) => process.stdout.write(`${formatModel(m)}\n`),
    }).catch((error: unknown) => {
      throw buildFailure(error, resources.memoryLimit);
    });
    if (values.test === true) tests = await runSqlTests(db);
  } finally {
    db.closeSync();
  }
  const seconds = (performance.now() - started) / 1000;
  const failed = tests.filter((t) => !t.passed);
  const staged = stagedFiles(lake);
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ lake, as_of: asOf ?? null, seconds, memory_limit: resources.memoryLimit, staged_files: staged, models, tests }, null, 2)}\n`,
    );
  } else {
    for (const t of tests) {
      const note =
        t.error ?? (t.passed ? '' : `${t.failures} offending row(s): ${JSON.stringify(t.rows[0])}`);
      process.stdout.write(`  test ${t.passed ? 'pass' : 'FAIL'}  ${t.name}  ${note}\n`);
    }
    const marts = models.filter((m) => m.layer === 'marts').length;
    process.stdout.write(`Built ${models.length} models (${marts} marts) in ${seconds.toFixed(1)} s\n`);
    const hint = compactionHint(lake, staged);
    if (hint !== null) process.stdout.write(`${hint}\n`);
  }
  return failed.length > 0 ? 1 : 0;
}

/** Staged files a build read (per-remittance files not yet compacted), over the lake's tables. */
function stagedFiles(lake: string): number {
  return Object.values(readLakeReads(lake)).reduce((n, r) => n + r.staged.length, 0);
}

/**
 * From this many staged files on, a build says that compaction would speed it: every model that
 * reads the lake opens each file (about 0.2 ms a file and a read; BENCHMARKS.md: 10 M rows build
 * in 14 s staged, 9 s compacted).
 */
export const COMPACTION_HINT_FILES = 200;

/** The note a build prints when the lake it read holds COMPACTION_HINT_FILES staged files or more, else null. */
export function compactionHint(lake: string, staged: number): string | null {
  if (staged < COMPACTION_HINT_FILES) return null;
  return `Note: ${staged.toLocaleString('en-US')} staged files are not compacted yet; \`recoup compact --lake ${lake}\` merges them into a few per table, payer and month, which builds read faster.`;
}

/** `recoup build --incremental`: the build over a persistent warehouse (buildIncremental). */
async function incrementalBuild(options: {
  lake: string;
  asOf: string | undefined;
  config: ModelsConfig;
  resources: BuildResources;
  json: boolean;
  full: boolean;
  warehouse: string | undefined;
}): Promise<number> {
  const { lake, json } = options;
  if (!json) process.stdout.write(`Building models over ${lake} (incremental)\n`);
  const result = await buildIncremental({
    lakeDir: lake,
    config: options.config,
    resources: options.resources,
    full: options.full,
    ...(options.asOf === undefined ? {} : { asOf: options.asOf }),
    ...(options.warehouse === undefined ? {} : { warehouse: resolve(options.warehouse) }),
    ...(json ? {} : { onModel: (m: ModelResult) => process.stdout.write(`${formatModel(m)}\n`) }),
  }).catch((error: unknown) => {
    throw buildFailure(error, options.resources.memoryLimit);
  });
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ lake, as_of: options.asOf ?? null, memory_limit: options.resources.memoryLimit, ...result }, null, 2)}\n`,
    );
  } else {
    const what =
      result.mode === 'incremental'
        ? `${result.newRemittances} new remittance(s); recomputed ${result.closure?.claims ?? 0} claim(s) and ${result.closure?.plbs ?? 0} PLB pair(s) they touch`
        : `${result.mode} build: ${result.reason}`;
    process.stdout.write(
      `Built ${result.models.filter((m) => m.layer === 'marts').length} marts in ${result.seconds.total.toFixed(1)} s (${what})\nWarehouse: ${result.warehouse}\n`,
    );
  }
  return 0;
}

/** `recoup build --jobs N`: the build partitioned by payer group (buildPartitioned). */
async function partitionedBuild(options: {
  lake: string;
  jobs: number;
  asOf: string | undefined;
  config: ModelsConfig;
  resources: BuildResources;
  json: boolean;
}): Promise<number> {
  const { lake, json } = options;
  const started = performance.now();
  if (!json)
    process.stdout.write(`Building models over ${lake} in up to ${options.jobs} partitions by payer\n`);
  const result = await buildPartitioned({
    lakeDir: lake,
    jobs: options.jobs,
    config: options.config,
    resources: options.resources,
    ...(options.asOf === undefined ? {} : { asOf: options.asOf }),
    ...(json
      ? {}
      : {
          onPartition: (p: PartitionResult) =>
            process.stdout.write(
              `  partition    ${p.payers.length} payer(s) ${p.payers.join(', ').slice(0, 60).padEnd(60)} ${p.seconds.toFixed(1).padStart(6)} s\n`,
            ),
          onModel: (m: ModelResult) =>
            process.stdout.write(`${formatModel({ ...m, layer: 'marts' })}  (merged)\n`),
        }),
  }).catch((error: unknown) => {
    throw buildFailure(error, options.resources.memoryLimit);
  });
  const seconds = (performance.now() - started) / 1000;
  const staged = stagedFiles(lake);
  if (json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          lake,
          as_of: options.asOf ?? null,
          seconds,
          memory_limit: options.resources.memoryLimit,
          staged_files: staged,
          jobs: options.jobs,
          partitions: result.partitions.map((p) => ({ payers: p.payers, seconds: p.seconds })),
          partition_seconds: result.partitionSeconds,
          merge_seconds: result.mergeSeconds,
          models: result.marts,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    process.stdout.write(
      `Built ${result.marts.length} marts from ${result.partitions.length} partitions in ${seconds.toFixed(1)} s (partitions ${result.partitionSeconds.toFixed(1)} s, merge ${result.mergeSeconds.toFixed(1)} s)\n`,
    );
    const hint = compactionHint(lake, staged);
    if (hint !== null) process.stdout.write(`${hint}\n`);
  }
  return 0;
}

function formatModel(m: ModelResult): string {
  const layer = m.layer.padEnd(12);
  const name = m.name.padEnd(34);
  const rows = m.rows === null ? ''.padStart(15) : `${String(m.rows).padStart(10)} rows`;
  return `  ${layer} ${name} ${rows} ${String(m.ms).padStart(7)} ms  ${m.materialized}`;
}

function isIsoDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

/**
 * A failed model as the CLI reports it. When DuckDB ran out of its budget, says which flags give it
 * more (DuckDB's own advice names its SQL settings, not recoup's).
 */
function buildFailure(error: unknown, memoryLimit: string): unknown {
  if (!(error instanceof ModelError)) return error;
  if (!/Out of Memory Error/i.test(error.message)) return new CliError(error.message, 1);
  return new CliError(
    `${error.message}\nDuckDB ran out of its ${memoryLimit} memory budget: give it more with --memory-limit ` +
      '(or RECOUP_DUCKDB_MEMORY), or room to spill with --temp-dir on a larger disk',
    1,
  );
}
