import { readdirSync, statSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { buildDuckDbModels } from '../../adapters/duckdb/buildDuckDbModels.ts';
import { duckDbWarehouse } from '../../adapters/duckdb/duckDbWarehouse.ts';
import { openDuckDb } from '../../adapters/duckdb/openDuckDb.ts';
import { runQuery } from '../../adapters/duckdb/runQuery.ts';
import { LocalFolderStore } from '../../adapters/localFolderStore.ts';
import { dollars } from '../../alerts/alertMessage.ts';
import { readAlerts } from '../../alerts/readAlerts.ts';
import type { MartColumnName, MartRow } from '../../core/lake/martSchema.ts';
import { parseCents } from '../../core/money.ts';
import { writeDataset } from '../../generate/writeDataset.ts';
import { ingestToLake } from '../../wiring/ingestToLake.ts';
import { writeReport } from '../../wiring/writeReport.ts';
import { parseCommandArgs, positiveInt } from '../args.ts';
import { CliError } from '../cliError.ts';
import { listInputFiles } from '../inputFiles.ts';
import { ProgressBar } from '../progress.ts';

const USAGE = `Usage: recoup demo [--out DIR] [--seed N] [--scale K] [--force] [--json]

The whole product in one run (what \`npm start\` does):
  1. generates a year of synthetic remittances for 5 payers and 20 providers, with a takeback
     spike injected near the end, into DIR/remits
  2. ingests them into the Parquet lake DIR/lake
  3. builds the marts (recoupment rates, scorecards, trends, forecast, alerts)
  4. prints the payer scorecard and the current alerts
  5. writes the HTML report DIR/report.html
Each run replaces DIR/remits, DIR/lake and DIR/report.html and leaves anything else in DIR alone.
DIR must be new, empty, or a folder an earlier demo made (it leaves a .recoup-demo file there);
any other folder is refused, so a folder of your own files is never touched by mistake.

Options:
  --out DIR    output folder (default demo)
  --seed N     generator seed (default 835)
  --scale K    claim volume multiplier (default 1)
  --force      use DIR even if it is not empty and not a demo folder (its remits/, lake/ and
               report.html are replaced; other files stay)
  --json       print a JSON summary instead of the scorecard
  -h, --help   show this help
`;

/** Week index (0-based, of 52) where the demo injects a spike: recent enough to be a current alert. */
const SPIKE_WEEK = 49;

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    argv,
    {
      out: { type: 'string' },
      seed: { type: 'string' },
      scale: { type: 'string' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    USAGE,
  );
  const out = resolve((values.out as string | undefined) ?? 'demo');
  const seed = positiveInt(values.seed as string | undefined, 'seed', 835);
  const scale = positiveInt(values.scale as string | undefined, 'scale', 1);
  const json = values.json === true;
  const say = (line: string) => {
    if (!json) process.stdout.write(`${line}\n`);
  };
  const started = performance.now();
  const remits = join(out, 'remits');
  const lake = join(out, 'lake');
  await prepareDemoFolder(out, values.force === true);

  say('recoup demo: payer takebacks from X12 835 remittances\n');
  const genBar = new ProgressBar('generate');
  const generated = await writeDataset(
    remits,
    { seed, scale, weeks: 52, payers: 5, providers: 20, spikes: [{ payer: 0, week: SPIKE_WEEK }] },
    true,
    (files, bytes) => genBar.update(files, 1000 * scale, `${files} files, ${(bytes / 1e6).toFixed(1)} MB`),
  );
  genBar.done();
  say(
    `1. generated ${generated.files} files (${(generated.bytes / 1e6).toFixed(1)} MB, ${generated.claims} claims, ` +
      `${generated.duplicateFiles} re-delivered)\n   in ${relative(process.cwd(), remits) || '.'}`,
  );

  const inputs = listInputFiles([remits]);
  const bar = new ProgressBar('ingest');
  const summary = await ingestToLake(inputs, {
    lake: new LocalFolderStore(lake),
    scratch: join(lake, '.staging'),
    onProgress: (p) => bar.update(p.bytesDone, p.bytesTotal, `${p.filesDone}/${p.filesTotal} files`),
  });
  bar.done();
  say(
    `2. ingested ${summary.transactions} transactions in ${summary.seconds.toFixed(1)} s: ` +
      `${summary.remittances_written} remittances, ${summary.claims} claims,\n   ${summary.adjustments} adjustments; ` +
      `${summary.duplicates} duplicates skipped, ${summary.unbalanced} unbalanced, ${summary.quarantined} quarantined`,
  );

  const db = await openDuckDb();
  try {
    const buildStart = performance.now();
    const models = await buildDuckDbModels({ db, lakeDir: lake });
    const marts = models.filter((m) => m.materialized === 'parquet');
    say(
      `3. built ${models.length} models, ${marts.length} marts in ${((performance.now() - buildStart) / 1000).toFixed(1)} s`,
    );

    // Money an exact decimal string, dates ISO strings (runQuery), as the contract's MartRow types them.
    const scorecard = {
      rows: (
        await runQuery(
          db,
          `SELECT ${SCORECARD_COLUMNS.join(', ')} FROM payer_scorecard ORDER BY ${SCORECARD_ORDER.join(', ')}`,
        )
      ).rows as ScorecardLine[],
    };
    const alerts = await readAlerts(duckDbWarehouse(db));
    const first = scorecard.rows[0];
    say(
      `\n4. payer scorecard, ${first ? `${first.window_start} to ${first.window_end}` : 'no data'} (13 weeks)\n`,
    );
    say(
      formatScorecard(
        scorecard.rows,
        alerts.map((a) => a.payer_id),
      ),
    );
    if (alerts.length === 0) say('\n   no current takeback alerts');
    else {
      say(`\n   ${alerts.length} current takeback alert${alerts.length === 1 ? '' : 's'}:`);
      const names = new Map(scorecard.rows.map((r) => [r.payer_id, r.payer_name ?? r.payer_id]));
      for (const a of alerts.slice(0, 6)) {
        const payer = names.get(a.payer_id) ?? a.payer_id;
        const tail = `, week of ${a.week_start}: ${dollars(a.takeback)} vs ${dollars(a.baseline)} usual`;
        const what = a.grain === 'payer' ? payer : `${payer} / ${a.cause}`;
        // The scorecard's 80 columns: a long payer name is shortened, never the figures.
        const room = 80 - 5 - [...tail].length;
        say(`   ⚠ ${[...what].length > room ? `${[...what].slice(0, room - 1).join('')}…` : what}${tail}`);
      }
    }

    const report = await writeReport({ db, lakeDir: lake, out: join(out, 'report.html') });
    say(`\n5. report: ${report.out}`);
    const seconds = (performance.now() - started) / 1000;
    say(
      `\ndone in ${seconds.toFixed(1)} s. Try:\n   npx recoup query --lake ${relative(process.cwd(), lake)} "SELECT * FROM payer_scorecard"`,
    );
    if (json) {
      process.stdout.write(
        `${JSON.stringify(
          {
            out,
            generated: { files: generated.files, bytes: generated.bytes, claims: generated.claims },
            ingest: summary,
            models: models.map((m) => ({ name: m.name, rows: m.rows, ms: m.ms })),
            scorecard: scorecard.rows,
            alerts,
            report: report.out,
            seconds,
          },
          null,
          2,
        )}\n`,
      );
    }
  } finally {
    db.closeSync();
  }
  return 0;
}

/** The file a demo leaves in its folder, so a later run knows the folder is its own. */
export const DEMO_MARKER = '.recoup-demo';

/** What a demo writes in its folder; a rerun replaces these and nothing else. */
const DEMO_OUTPUTS = ['remits', 'lake', 'report.html'];

/**
 * Makes `out` ready for a demo: refuses a non-empty folder that holds no demo marker (unless
 * `force`), removes the outputs of an earlier demo, and leaves the marker.
 */
export async function prepareDemoFolder(out: string, force: boolean): Promise<void> {
  const info = statSync(out, { throwIfNoEntry: false });
  if (info !== undefined && !info.isDirectory()) throw new CliError(`--out ${out} is a file, not a folder`);
  const entries = info === undefined ? [] : readdirSync(out);
  const ours = entries.includes(DEMO_MARKER) || isEarlierDemo(out, entries);
  if (entries.length > 0 && !ours && !force) {
    throw new CliError(
      `${out} is not empty and was not made by recoup demo (it has no ${DEMO_MARKER} file); ` +
        'the demo would replace its remits/, lake/ and report.html. Choose a new or empty --out folder, ' +
        'or add --force to use this one.',
    );
  }
  for (const name of DEMO_OUTPUTS) await rm(join(out, name), { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  await writeFile(
    join(out, DEMO_MARKER),
    'This folder was made by `recoup demo`; a rerun replaces remits/, lake/ and report.html here.\n',
  );
}

/** A folder a demo made before demos left a marker: only remits/ (with truth.json), lake/ and report.html. */
function isEarlierDemo(out: string, entries: string[]): boolean {
  return (
    entries.length > 0 &&
    entries.every((e) => DEMO_OUTPUTS.includes(e)) &&
    statSync(join(out, 'remits', 'truth.json'), { throwIfNoEntry: false })?.isFile() === true
  );
}

/** The payer_scorecard columns the demo prints (and gives in --json), named by the mart contract. */
const SCORECARD_COLUMNS = [
  'payer_id',
  'payer_name',
  'window_start',
  'window_end',
  'paid',
  'takeback',
  'net_takeback',
  'recoupment_rate',
  'net_recoupment_rate',
  'trend',
] as const satisfies readonly MartColumnName<'payer_scorecard'>[];
const SCORECARD_ORDER = ['rank', 'payer_id'] as const satisfies readonly MartColumnName<'payer_scorecard'>[];

/** A payer's line of the demo's scorecard: its columns of payer_scorecard, typed by the contract. */
export type ScorecardLine = Pick<MartRow<'payer_scorecard'>, (typeof SCORECARD_COLUMNS)[number]>;

const ARROWS: Record<string, string> = { up: '▲', down: '▼', flat: '▶' };

/** The payer scorecard as an 80-column table. */
export function formatScorecard(rows: readonly ScorecardLine[], alertedPayers: string[]): string {
  const header = `   ${'payer'.padEnd(20)} ${'paid'.padStart(12)} ${'takeback'.padStart(11)} ${'net'.padStart(11)} ${'rate'.padStart(6)} ${'net'.padStart(6)} trend`;
  const lines = [header, `   ${'─'.repeat(header.length - 3)}`];
  const money = (v: string | null) => dollars(parseCents(v ?? '0') ?? 0);
  const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
  for (const r of rows) {
    const name = r.payer_name ?? r.payer_id;
    const alert = alertedPayers.includes(r.payer_id) ? ' ⚠' : '';
    lines.push(
      `   ${(name.length > 20 ? `${name.slice(0, 19)}…` : name).padEnd(20)} ${money(r.paid).padStart(12)} ` +
        `${money(r.takeback).padStart(11)} ${money(r.net_takeback).padStart(11)} ${pct(r.recoupment_rate).padStart(6)} ` +
        `${pct(r.net_recoupment_rate).padStart(6)} ${ARROWS[r.trend ?? ''] ?? ' '}${alert}`,
    );
  }
  return lines.join('\n');
}
