import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLakeViews } from '../functions/adapters/duckdb/lakeViews.ts';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import { tableColumns } from '../functions/core/lake/schema.ts';

// Every example in README.md and docs/ works (issue 27, point 9): each shell command runs in a
// real shell against a demo lake (built once, by `recoup demo`, what `npm start` runs), each SQL
// example for Athena runs in DuckDB over the same lake and marts under the `recoup` schema (the
// names Athena's Glue tables have), and what cannot run here (npm ci, cdk deploy, the aws CLI, an
// S3 lake) is parsed and checked against what it names: npm scripts, stack outputs, CLI flags.
// Links between the documents point at files and headings that exist.

const ROOT = resolve('.');
const DOCS = [
  'README.md',
  ...readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

interface Example {
  file: string;
  line: number;
  lang: string;
  body: string;
}

function examples(): Example[] {
  const out: Example[] = [];
  for (const file of DOCS) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)) {
      out.push({
        file,
        line: text.slice(0, m.index).split('\n').length,
        lang: m[1] as string,
        body: m[2] as string,
      });
    }
  }
  return out;
}

const ALL = examples();

/** Shell commands of the sh blocks, one per line (comments dropped), with where they are. */
const COMMANDS = ALL.filter((e) => e.lang === 'sh').flatMap((e) =>
  e.body
    .split('\n')
    .map((line, i) => ({
      where: `${e.file}:${e.line + 1 + i}`,
      text: line.replace(/(^|\s+)#.*$/, '').trim(),
    }))
    .filter((c) => c.text !== ''),
);

/** Commands that name AWS, run elsewhere: parsed and checked, not run. */
const isAws = (text: string) => /(^|\s)(aws|npx cdk)\s/.test(text) || text.includes('s3://');
/** Commands that install or run the whole test suite (this test runs inside it). */
const isNpm = (text: string) => /^npm (ci|start|test|run)\b/.test(text) || /^npm ci &&/.test(text);

/** Local recoup commands: `recoup …` or `npx recoup …`, run for real. */
const LOCAL = COMMANDS.filter((c) => /^(npx )?recoup\s/.test(c.text) && !isAws(c.text));

/** Query examples whose answer on the demo data is rightly empty, and why. */
const EMPTY_OK: Record<string, string> = {
  'WHERE over_recoupment': 'the demo generator (standard realism) makes no over-recoupment',
};

let work: string;
let bin: string;

/** Runs one line in sh, in the folder holding `lake`, `demo/` and `data/`. */
function sh(text: string) {
  // `npx recoup` is the project's own bin; a shim runs it without npx's registry lookup.
  const command = text.replace(/^npx recoup\b/, 'recoup');
  return spawnSync('sh', ['-c', command], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1' },
    timeout: 300_000,
  });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'recoup-docs-'));
  bin = join(work, '.bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'recoup'),
    `#!/bin/sh\nexec node ${JSON.stringify(join(ROOT, 'bin', 'recoup.js'))} "$@"\n`,
  );
  chmodSync(join(bin, 'recoup'), 0o755);
  // The demo lake: `npm start` runs `node bin/recoup.js demo`; here into work/demo.
  const demo = sh('recoup demo --out demo --json');
  expect(demo.status, demo.stderr).toBe(0);
  // The examples name the lake `lake` or `demo/lake`, and 835 files `data/*.835`.
  symlinkSync(join(work, 'demo', 'lake'), join(work, 'lake'));
  symlinkSync(join(work, 'demo', 'remits'), join(work, 'data'));
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('docs examples', () => {
  it('finds the examples (the extraction itself works)', () => {
    expect(LOCAL.length).toBeGreaterThan(10);
    expect(ALL.filter((e) => e.lang === 'sql').length).toBeGreaterThanOrEqual(4);
    expect(COMMANDS.filter((c) => isAws(c.text)).length).toBeGreaterThan(5);
    // Every shell command is one of the three kinds.
    const unknown = COMMANDS.filter((c) => !isAws(c.text) && !isNpm(c.text) && !LOCAL.includes(c));
    expect(unknown).toEqual([]);
  });

  it('runs every local recoup command in a shell, against the demo lake', () => {
    const failures: string[] = [];
    for (const c of LOCAL) {
      // A synopsis's optional parts (`[--as-of 2025-03-31]`) are run, given.
      const text = c.text.replace(/\[(--[^\]]*)\]/g, '$1');
      const r = sh(text);
      if (r.status !== 0) {
        failures.push(`${c.where}: exit ${r.status}: ${text}\n${r.stderr}`);
        continue;
      }
      if (/\brecoup query\b/.test(text) && !text.includes('--format') && !text.includes('--json')) {
        const rows = Number(/\((\d+) rows?\)\s*$/.exec(r.stdout)?.[1] ?? Number.NaN);
        const emptyOk = Object.keys(EMPTY_OK).some((k) => text.includes(k));
        if (Number.isNaN(rows)) failures.push(`${c.where}: no result table: ${text}\n${r.stdout}`);
        else if (rows === 0 && !emptyOk) failures.push(`${c.where}: no rows on the demo lake: ${text}`);
      }
    }
    expect(failures).toEqual([]);
    // What the report example wrote is there.
    expect(existsSync(join(work, 'report.html'))).toBe(true);
  }, 600_000);

  it('parses the commands that run elsewhere, and checks what they name', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    const stack = readdirSync('cdk')
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(join('cdk', f), 'utf8'))
      .join('\n');
    const outputs = new Set(
      [...stack.matchAll(/new (?:cdk\.)?CfnOutput\(\s*(?:this|Stack\.of\(this\)),\s*'(\w+)'/g)].map(
        (m) => m[1],
      ),
    );
    expect(outputs.size).toBeGreaterThan(3);
    const problems: string[] = [];
    for (const c of COMMANDS.filter((x) => isNpm(x.text))) {
      for (const part of c.text.split('&&').map((p) => p.trim())) {
        const script = /^npm (?:run (\S+)|(start|test))/.exec(part);
        if (script !== null && pkg.scripts[(script[1] ?? script[2]) as string] === undefined)
          problems.push(`${c.where}: no npm script for "${part}"`);
      }
    }
    // `npm start` is the demo this test built its lake with.
    expect(pkg.scripts.start).toBe('node bin/recoup.js demo');
    for (const c of COMMANDS.filter((x) => isAws(x.text))) {
      // Placeholders name the stack's outputs.
      for (const [, name] of c.text.matchAll(/<(\w+)>/g))
        if (!outputs.has(name as string) && !/^(key|name)$/.test(name as string))
          problems.push(`${c.where}: <${name}> is not an output of the stack`);
      if (/^npx cdk (bootstrap|deploy)$/.test(c.text) && !existsSync('cdk.json'))
        problems.push(`${c.where}: no cdk.json`);
      // An S3 recoup command: its subcommand and flags are the CLI's (from its --help).
      const recoup = /^(?:npx )?recoup (\w+)(?: (list|retry))?(.*)$/.exec(c.text);
      if (recoup !== null) {
        const help = sh(`recoup ${recoup[1]} --help`);
        if (help.status !== 0) problems.push(`${c.where}: recoup ${recoup[1]} --help failed`);
        if (recoup[2] !== undefined && !help.stdout.includes(`recoup ${recoup[1]} ${recoup[2]}`))
          problems.push(`${c.where}: no subcommand ${recoup[2]}`);
        for (const [flag] of (recoup[3] as string).matchAll(/--[a-z-]+/g))
          if (!help.stdout.includes(flag))
            problems.push(`${c.where}: ${flag} is not a flag of recoup ${recoup[1]}`);
      }
    }
    expect(problems).toEqual([]);
  });

  describe('Athena SQL, run in DuckDB over the demo lake (schema recoup, as in Glue)', () => {
    let db: DuckDBConnection;

    beforeAll(async () => {
      db = await openDuckDb();
      await db.run('CREATE SCHEMA recoup');
      await db.run('USE recoup');
      await createLakeViews(db, join(work, 'demo', 'lake'));
    });

    afterAll(() => db?.closeSync());

    const sql = ALL.filter((e) => e.lang === 'sql');
    for (const e of sql) {
      it(`${e.file}:${e.line}`, async () => {
        const statements = await db.extractStatements(e.body);
        expect(statements.count).toBeGreaterThan(0);
        for (let i = 0; i < statements.count; i++) {
          const result = await (await statements.prepare(i)).runAndReadAll();
          expect(result.columnCount).toBeGreaterThan(0);
        }
      });
    }

    it('compares a DATE period with a date, not a month string (the old example failed)', async () => {
      await expect(
        runQuery(db, "SELECT count(*) FROM recoup.recoupment_rates WHERE period >= '2024-01'"),
      ).rejects.toThrow(/date/i);
      const { rows } = await runQuery(
        db,
        "SELECT count(*) AS n FROM recoup.recoupment_rates WHERE grain = 'payer_cause' AND period >= DATE '2024-01-01'",
      );
      expect(Number(rows[0]?.n)).toBeGreaterThan(0);
    });
  });

  it('the JSON config example is a valid recoup.config.json', async () => {
    const { loadModelsConfig } = await import('../functions/adapters/modelsConfigFile.ts');
    const json = ALL.filter((e) => e.lang === 'json');
    expect(json.length).toBeGreaterThan(0);
    for (const e of json) {
      const file = join(work, 'example.config.json');
      writeFileSync(file, e.body);
      expect(() => loadModelsConfig({ file }), `${e.file}:${e.line}`).not.toThrow();
    }
  });

  it('the TypeScript example imports what exists', async () => {
    for (const e of ALL.filter((x) => x.lang === 'ts')) {
      for (const m of e.body.matchAll(/import \{ ([\w, ]+) \} from '\.\/([^']+)'/g)) {
        const module = (await import(`../${m[2]}`)) as Record<string, unknown>;
        for (const name of (m[1] as string).split(',').map((n) => n.trim()))
          expect(typeof module[name], `${e.file}:${e.line} ${name}`).toBe('function');
      }
    }
  });

  it('the design names the lake tables with the columns the lake has', () => {
    const design = readFileSync('docs/design.md', 'utf8');
    for (const table of ['remittances', 'claims', 'adjustments'] as const) {
      const row = new RegExp(`^\\| \`${table}\` \\| [^|]+ \\| ([^|]+) \\|$`, 'm').exec(design);
      expect(row, table).not.toBeNull();
      const cell = (row as RegExpExecArray)[1] as string;
      const named = cell
        .replace(/\s*\([^)]*\)/g, '')
        .split(',')
        .map((c) => c.trim());
      expect(named, table).toEqual(tableColumns(table).map((c) => c.name));
    }
  });

  it('links between the documents point at files and headings that exist', () => {
    const slug = (heading: string) =>
      heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-');
    const broken: string[] = [];
    for (const file of [...DOCS, 'RELIABILITY.md', 'BENCHMARKS.md']) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/\.\.\/shared|\bDESIGN\.md|\bDOMAIN\.md/);
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target as string)) continue;
        const [path, anchor] = (target as string).split('#');
        const dest = path === '' ? file : join(file, '..', path as string);
        if (!existsSync(dest)) {
          broken.push(`${file}: ${target} (no file)`);
          continue;
        }
        if (anchor === undefined || !dest.endsWith('.md')) continue;
        const headings = [...readFileSync(dest, 'utf8').matchAll(/^#+ (.*)$/gm)].map((m) =>
          slug(m[1] as string),
        );
        if (!headings.includes(anchor)) broken.push(`${file}: ${target} (no heading)`);
      }
    }
    expect(broken).toEqual([]);
  });
});
