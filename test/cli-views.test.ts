import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildDuckDbModels } from '../functions/adapters/duckdb/buildDuckDbModels.ts';
import { compactLake } from '../functions/adapters/duckdb/compactLake.ts';
import { createLakeViews, listMarts } from '../functions/adapters/duckdb/lakeViews.ts';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import { LocalFolderStore } from '../functions/adapters/localFolderStore.ts';
import { martComments, viewsCommand } from '../functions/cli/commands/views.ts';
import { ingestToLake } from '../functions/wiring/ingestToLake.ts';
import { FIXTURES_835 } from './helpers/fixtures.ts';

// `recoup views` (issue 27): CREATE VIEW statements a user runs in their own DuckDB to open the
// lake there, with what each view's row is and what each column means.

const RECOUP = join(FIXTURES_835, 'recoup');

let base: string;
let lake: string;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'recoup-cli-views-'));
  lake = join(base, 'lake');
  const names = readdirSync(RECOUP).filter((f) => f.endsWith('.835'));
  await ingestToLake(
    names.map((name) => ({
      path: join(RECOUP, name),
      key: name,
      size: readFileSync(join(RECOUP, name)).length,
    })),
    { lake: new LocalFolderStore(lake), scratch: join(base, 'scratch') },
  );
  const db = await openDuckDb();
  try {
    await buildDuckDbModels({ db, lakeDir: lake });
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

async function run(argv: string[]): Promise<number> {
  try {
    return await viewsCommand(argv);
  } catch (error) {
    err += (error as Error).message;
    return (error as { exitCode?: number }).exitCode ?? 1;
  }
}

/** Runs a script of statements in a fresh in-memory DuckDB that knows nothing of recoup. */
async function freshDuckDbWith(script: string): Promise<DuckDBConnection> {
  const db = await openDuckDb();
  const statements = await db.extractStatements(script);
  for (let i = 0; i < statements.count; i++) await (await statements.prepare(i)).run();
  return db;
}

/** Answers of a few questions, each as JSON text, asked of a connection. */
async function answers(db: DuckDBConnection): Promise<string[]> {
  const questions = [
    'SELECT payer_id, count(*) AS n, sum(paid_amount) AS paid FROM claims GROUP BY 1 ORDER BY 1',
    "SELECT payer_id, sum(amount) AS plb FROM adjustments WHERE level = 'provider' GROUP BY 1 ORDER BY 1",
    'SELECT count(*) AS n, sum(payment_amount) AS total FROM remittances',
    "SELECT period, payer_id, paid, takeback FROM recoupment_rates WHERE grain = 'payer' ORDER BY 1, 2",
    'SELECT payer_id, takeback, recoupment_rate FROM payer_scorecard ORDER BY 1',
  ];
  const out: string[] = [];
  for (const q of questions) out.push(JSON.stringify((await runQuery(db, q)).rows));
  return out;
}

/** The answers recoup itself gives (recoup query's views) over `lakeDir`. */
async function recoupAnswers(lakeDir: string): Promise<string[]> {
  const db = await openDuckDb();
  try {
    await createLakeViews(db, lakeDir);
    return await answers(db);
  } finally {
    db.closeSync();
  }
}

describe('recoup views', () => {
  it('writes statements that open the lake and its marts in another DuckDB, answering as recoup query does', async () => {
    const file = join(base, 'views.sql');

    const code = await run(['--lake', lake, '--out', file]);

    expect(code).toBe(0);
    expect(out).toBe('');
    const script = readFileSync(file, 'utf8');
    const db = await freshDuckDbWith(script);
    try {
      const { rows } = await runQuery(
        db,
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'VIEW' ORDER BY 1",
      );
      expect(rows.map((r) => r.table_name)).toEqual(
        ['adjustments', 'claims', 'remittances', ...listMarts(lake)].sort(),
      );
      expect(listMarts(lake)).toContain('payer_scorecard');
      const theirs = await answers(db);
      expect(theirs).toEqual(await recoupAnswers(lake));
      // Not vacuous: the fixtures have claims, PLBs and takebacks.
      expect(JSON.parse(theirs[0] as string).length).toBe(2);
      expect(theirs[1]).not.toBe('[]');
    } finally {
      db.closeSync();
    }
    expect(err).toContain(`wrote ${3 + listMarts(lake).length} views to ${file}`);
  });

  it('after compaction, the statements it writes then count every row once', async () => {
    const compacted = join(base, 'compacted');
    cpSync(lake, compacted, { recursive: true });
    await compactLake({ lake: new LocalFolderStore(compacted), scratch: join(base, 'compact-scratch') });

    await run(['--lake', compacted]);

    const db = await freshDuckDbWith(out);
    try {
      expect(await answers(db)).toEqual(await recoupAnswers(lake));
      // The views name the compacted files: the staged copies are not read twice.
      expect(out).toContain(join(compacted, 'compacted', 'claims'));
    } finally {
      db.closeSync();
    }
  });

  it('comments each view with what a row is and each column with its type and meaning', async () => {
    await run(['--lake', lake]);

    expect(out).toContain(`-- Views over the recoup lake at ${lake}`);
    expect(out).toMatch(/^-- claims: one claim payment \(CLP loop\) of a remittance$/m);
    expect(out).toMatch(/^-- {3}is_reversal +BOOLEAN +CLP02 = 22$/m);
    expect(out).toMatch(/^-- {3}paid_amount +DECIMAL\(18,2\) +CLP04 payment/m);
    // A mart's meanings come from its model's header comment.
    expect(out).toMatch(/^-- payer_scorecard: one row per payer_id, over a trailing window/m);
    expect(out).toMatch(/^-- {3}rank +INTEGER +1 = highest recoupment rate; active payers first/m);
    expect(out).toMatch(/^-- {3}recoupment_rate +DOUBLE +takeback \/ paid on the same slice and period/m);
    expect(out).toContain('CREATE OR REPLACE VIEW "takeback_links" AS');
  });

  it('--list names every view and column with a one-line meaning; --list --json the same as data', async () => {
    await run(['--lake', lake, '--list']);
    const text = out;
    out = '';
    await run(['--lake', lake, '--list', '--json']);
    const views = JSON.parse(out) as {
      view: string;
      meaning: string;
      columns: { name: string; type: string; meaning: string }[];
    }[];

    expect(text).not.toContain('CREATE');
    expect(text).toMatch(/^ {2}payer_claim_control +VARCHAR +CLP07 payer claim control number \(ICN\)$/m);
    expect(views.map((v) => v.view)).toEqual(['remittances', 'claims', 'adjustments', ...listMarts(lake)]);
    for (const v of views) {
      expect(v.meaning, v.view).not.toBe('');
      expect(v.meaning, v.view).not.toContain('\n');
      expect(text).toContain(`${v.view}: ${v.meaning}\n`);
    }
    // Every lake column has a meaning (element map or computed columns).
    const lakeColumns = views.filter((v) => ['remittances', 'claims', 'adjustments'].includes(v.view));
    expect(lakeColumns.flatMap((v) => v.columns.filter((c) => c.meaning === '').map((c) => c.name))).toEqual(
      [],
    );
    const rates = views.find((v) => v.view === 'recoupment_rates');
    expect(rates?.columns.find((c) => c.name === 'paid')).toEqual({
      name: 'paid',
      type: 'DECIMAL(18,2)',
      meaning: 'Σ CLP04 over claims whose CLP02 ≠ 22',
    });
  });

  it('reads column meanings from a model header, continuation lines included', () => {
    const { meaning, columns } = martComments('payer_scorecard');

    expect(meaning).toMatch(/^one row per payer_id, over a trailing window .*\.$/);
    expect(columns.get('trend')).toBe(
      "recoupment rate vs the previous window: 'up' / 'down' beyond half a point, else 'flat'; NULL when either rate is NULL",
    );
  });

  it('is bad usage without a lake, or with --json alone', async () => {
    expect(await run([])).toBe(2);
    expect(err).toContain('missing --lake');
    err = '';
    expect(await run(['--lake', lake, '--json'])).toBe(2);
    expect(err).toContain('--json goes with --list');
    expect(await run(['--lake', join(base, 'nowhere')])).toBe(2);
    expect(err).toContain(`lake folder not found: ${join(base, 'nowhere')}`);
  });
});
