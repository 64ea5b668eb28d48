import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The mart contract (functions/core/lake/martSchema.ts) is the one place a mart's columns are named:
 * the report loader, the page modules, the alert reader and the CLI type what they read from it.
 * These tests typecheck them against an edited copy of the contract, as `npm run typecheck` would
 * after the edit, and show that a column renamed or removed there fails where it is read.
 */
const ROOT = resolve(import.meta.dirname, '..');
const CONTRACT = join(ROOT, 'functions/core/lake/martSchema.ts');

const PARSED = new Map<string, ts.SourceFile>();

/** The errors tsc reports in `files` when the contract reads as `edit` makes it (options of tsconfig `project`). */
function typeErrors(
  project: string,
  files: string[],
  edit: (contract: string) => string = (c) => c,
): { file: string; message: string }[] {
  const config = ts.readConfigFile(join(ROOT, project), (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  const host = ts.createCompilerHost(parsed.options);
  const edited = edit(readFileSync(CONTRACT, 'utf8'));
  const readFile = host.readFile.bind(host);
  host.readFile = (path) => (resolve(path) === CONTRACT ? edited : readFile(path));
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (path, language, onError) => {
    if (resolve(path) === CONTRACT) return ts.createSourceFile(path, edited, language);
    // Every other file (the libs, @types/node, the sources) is parsed once for all the programs.
    const key = `${project}:${path}`;
    const cached = PARSED.get(key) ?? getSourceFile(path, language, onError);
    if (cached !== undefined) PARSED.set(key, cached);
    return cached;
  };
  const roots = files.map((f) => join(ROOT, f));
  const program = ts.createProgram(roots, parsed.options, host);
  // The readers of the marts only: checking every file the program holds would take much longer.
  const readers = program
    .getSourceFiles()
    .filter((f) => resolve(f.fileName).startsWith(join(ROOT, 'functions/report')));
  return readers
    .flatMap((f) => program.getSemanticDiagnostics(f))
    .map((d) => ({
      file: d.file === undefined ? '' : d.file.fileName.slice(ROOT.length + 1),
      message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
    }));
}

/** The contract with one column of one mart renamed (or removed, with `to` null). */
function renamed(mart: string, column: string, to: string | null) {
  return (contract: string): string => {
    const start = contract.indexOf(`  ${mart}: [`);
    const end = contract.indexOf('],', start);
    const line = `    { name: '${column}',`;
    const at = contract.indexOf(line, start);
    if (start < 0 || at < 0 || at > end) throw new Error(`no column ${column} in ${mart}`);
    const lineEnd = contract.indexOf('\n', at) + 1;
    const replacement = to === null ? '' : contract.slice(at, lineEnd).replace(`'${column}'`, `'${to}'`);
    return contract.slice(0, at) + replacement + contract.slice(lineEnd);
  };
}

const LOADER = 'functions/report/loadReportData.ts';
const PAGE = ['functions/report/page/main.ts'];

describe('the mart contract types what reads the marts', () => {
  it('the report loader and the page modules typecheck against the contract as it is', () => {
    expect(typeErrors('tsconfig.page.json', PAGE)).toEqual([]);
  });

  it('a column renamed in the contract fails the loader and the page module that reads it', () => {
    const errors = typeErrors(
      'tsconfig.page.json',
      PAGE,
      renamed('takeback_links', 'reference_id', 'reference'),
    );
    expect(new Set(errors.map((e) => e.file))).toEqual(
      new Set([LOADER, 'functions/report/page/drilldown.ts']),
    );
    expect(
      errors
        .filter((e) => e.file === LOADER)
        .map((e) => e.message)
        .join('\n'),
    ).toMatch(/"reference_id"/);
  });

  it('a column removed from the contract fails the loader', () => {
    const errors = typeErrors('tsconfig.json', [LOADER], renamed('payer_scorecard', 'median_lag_days', null));
    expect(
      errors
        .filter((e) => e.file === LOADER)
        .map((e) => e.message)
        .join('\n'),
    ).toMatch(/"median_lag_days"/);
  });

  it('a column read as never NULL fails the page once the contract no longer says so', () => {
    // The page labels every scorecard row by its payer_id (a string): NULL would break it.
    const errors = typeErrors('tsconfig.page.json', PAGE, (c) =>
      c.replace("payer_scorecard: ['payer_id'],", 'payer_scorecard: [],'),
    );
    expect(errors.some((e) => e.file.startsWith('functions/report/page/'))).toBe(true);
  });
});
