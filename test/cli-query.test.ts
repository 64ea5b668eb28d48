import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildDuckDbModels } from '../functions/adapters/duckdb/buildDuckDbModels.ts';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { LocalFolderStore } from '../functions/adapters/localFolderStore.ts';
import { alertsCommand } from '../functions/cli/commands/alerts.ts';
import { queryCommand } from '../functions/cli/commands/query.ts';
import { reportCommand } from '../functions/cli/commands/report.ts';
import { ingestToLake } from '../functions/wiring/ingestToLake.ts';
import { FIXTURES_835 } from './helpers/fixtures.ts';

// `recoup query` before and after a build, several statements at once, and the stale-marts
// warning of query, alerts and report (issue 27, points 7 and 8).

const RECOUP = join(FIXTURES_835, 'recoup');
const LATE = 'beta-2024-04-19-wo-resumed-fb-applied.835';

let base: string;
/** A lake holding every fixture but LATE, and no marts. */
let unbuilt: string;
/** The same lake after `recoup build`. */
let built: string;

async function ingest(lake: string, names: string[], now = new Date()): Promise<void> {
  await ingestToLake(
    names.map((name) => ({
      path: join(RECOUP, name),
      key: name,
      size: readFileSync(join(RECOUP, name)).length,
    })),
    { lake: new LocalFolderStore(lake), scratch: join(lake, '.staging'), now },
  );
}

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'recoup-cli-query-'));
  unbuilt = join(base, 'unbuilt');
  built = join(base, 'built');
  await ingest(
    unbuilt,
    readdirSync(RECOUP).filter((f) => f.endsWith('.835') && f !== LATE),
    // Ingested an hour before the build, certainly earlier than the marts' files.
    new Date(Date.now() - 3_600_000),
  );
  cpSync(unbuilt, built, { recursive: true });
  const db = await openDuckDb();
  try {
    await buildDuckDbModels({ db, lakeDir: built });
  } finally {
    db.closeSync();
  }
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

let out: string;
let err: string;

beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += chunk.toString();
    return true;
  });
});

afterEach(() => vi.restoreAllMocks());

/** Runs a command, turning a thrown CliError into its exit code and message. */
async function run(command: (argv: string[]) => Promise<number>, argv: string[]): Promise<number> {
  try {
    return await command(argv);
  } catch (error) {
    err += (error as Error).message;
    return (error as { exitCode?: number }).exitCode ?? 1;
  }
}

describe('recoup query', () => {
  it('before a build, says to run recoup build (not DuckDB\'s "did you mean pg_namespace")', async () => {
    const code = await run(queryCommand, ['--lake', unbuilt, 'SELECT * FROM payer_scorecard']);

    expect(code).toBe(1);
    expect(err).toContain(
      `payer_scorecard is a mart, and this lake has no marts yet: run \`recoup build --lake ${unbuilt}\` first`,
    );
    expect(err).not.toContain('pg_namespace');
  });

  it('names the lake views, and the likely one, for an unknown table', async () => {
    const code = await run(queryCommand, ['--lake', built, 'SELECT * FROM payer_scorecrd']);

    expect(code).toBe(1);
    expect(err).toContain(
      'no table or view named payer_scorecrd in this lake; did you mean payer_scorecard?',
    );
    expect(err).toMatch(/Views: remittances, claims, adjustments, .*payer_scorecard/);
    expect(err).toContain('LINE 1: SELECT * FROM payer_scorecrd');
    expect(err).not.toContain('pg_namespace');
  });

  it('prints the result of every statement as tables', async () => {
    const code = await run(queryCommand, [
      '--lake',
      built,
      "SET threads = 1; SELECT count(*) AS remits FROM remittances; SELECT payer_id FROM payer_scorecard WHERE payer_id = 'nobody'",
    ]);

    expect(code).toBe(0);
    expect(out).toBe(
      [
        '-- statement 1 of 3',
        'ok',
        '',
        '-- statement 2 of 3',
        'remits',
        '──────',
        '     5',
        '(1 row)',
        '',
        '-- statement 3 of 3',
        'payer_id',
        '────────',
        '(0 rows)',
        '',
      ].join('\n'),
    );
  });

  it('as JSON or CSV, prints the last statement only, one document', async () => {
    await run(queryCommand, [
      '--lake',
      built,
      '--json',
      'CREATE TEMP TABLE t AS SELECT 7 AS n; SELECT n FROM t',
    ]);
    const json = out;
    out = '';
    await run(queryCommand, ['--lake', built, '--format', 'csv', 'SELECT 1 AS a; SELECT 2 AS b']);

    expect(JSON.parse(json)).toEqual([{ n: 7 }]);
    expect(out).toBe('b\n2\n');
  });
});

describe('stale marts', () => {
  let lake: string;

  beforeAll(async () => {
    lake = join(base, 'stale');
    cpSync(built, lake, { recursive: true, preserveTimestamps: true });
  });

  it('no warning while the marts are newer than every ingest, re-deliveries included', async () => {
    const fresh = join(base, 'fresh');
    cpSync(built, fresh, { recursive: true, preserveTimestamps: true });
    await ingest(fresh, [readdirSync(RECOUP).find((f) => f.endsWith('.835') && f !== LATE) as string]);

    await run(queryCommand, ['--lake', fresh, 'SELECT count(*) FROM payer_scorecard']);
    await run(alertsCommand, ['--lake', fresh]);

    expect(err).toBe('');
  });

  it('query (of a mart), alerts and report warn once a file is ingested after the build', async () => {
    // Prepare
    await ingest(lake, [LATE]);
    const report = join(base, 'report.html');

    // Act
    const q = await run(queryCommand, ['--lake', lake, 'SELECT count(*) FROM payer_scorecard']);
    const lakeOnly = err;
    err = '';
    await run(queryCommand, ['--lake', lake, 'SELECT count(*) FROM claims']);
    const tablesOnly = err;
    err = '';
    const a = await run(alertsCommand, ['--lake', lake]);
    const alertsErr = err;
    err = '';
    const r = await run(reportCommand, ['--lake', lake, '--out', report]);

    // Assess
    expect([q, a, r]).toEqual([0, 0, 0]);
    const warning =
      /warning: the marts are out of date: 1 remittance was ingested after they were built \(.+ UTC\) and are not in them; run `recoup build --lake .+`/;
    expect(lakeOnly).toMatch(new RegExp(`^recoup query: ${warning.source}`));
    expect(tablesOnly).toBe('');
    expect(alertsErr).toMatch(new RegExp(`^recoup alerts: ${warning.source}`));
    expect(err).toMatch(new RegExp(`^recoup report: ${warning.source}`));
    const html = readFileSync(report, 'utf8');
    expect(html).toMatch(
      /<p class="notice stale" role="alert">Out of date: the marts are out of date: 1 remittance was ingested/,
    );
  });

  it('a lake without marts gets the build advice, not a stale warning', async () => {
    const empty = join(base, 'empty-lake');
    mkdirSync(empty);

    const code = await run(alertsCommand, ['--lake', empty]);

    expect(code).toBe(1);
    expect(err).not.toContain('out of date');
  });
});
