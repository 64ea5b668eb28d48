import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_MARKER, prepareDemoFolder } from '../functions/cli/commands/demo.ts';

const ROOT = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'recoup-demo-'));

function recoup(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin', 'recoup.js'), ...args],
      { cwd: dir, encoding: 'utf8' },
      (error, stdout, stderr) => resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('recoup demo (what npm start runs)', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('generates, ingests, builds, prints an 80-column scorecard with the injected spike, and writes the report', async () => {
    const out = join(dir, 'demo');
    const run = await recoup(['demo', '--out', out]);
    expect(run.stderr.split('\n').filter((l) => l.startsWith('recoup'))).toEqual([]);
    expect(run.status).toBe(0);
    const lines = run.stdout.split('\n');
    // Every step reported, in order.
    for (const step of ['1. generated', '2. ingested', '3. built', '4. payer scorecard', '5. report:']) {
      expect(
        lines.some((l) => l.startsWith(step)),
        step,
      ).toBe(true);
    }
    // The scorecard reads well on an 80-column terminal: five payers, no line wider than 80.
    const table = lines.slice(lines.findIndex((l) => l.trim().startsWith('payer')));
    expect(table.slice(2, 7).every((l) => /\$[\d,]+\.\d\d/.test(l))).toBe(true);
    // (The report's absolute path is the one line allowed to be as long as the path is.)
    for (const line of lines.filter((l) => !l.startsWith('5. report:'))) {
      expect([...line].length, line).toBeLessThanOrEqual(80);
    }
    // The demo injects a spike near the end of the year for the first payer: it must alert.
    expect(run.stdout).toMatch(/1 current takeback alert|\d+ current takeback alerts/);
    expect(run.stdout).toContain('⚠');
    // Nothing quarantined or unbalanced in generated data; re-deliveries were skipped.
    expect(run.stdout).toMatch(/0 unbalanced, 0 quarantined/);
    expect(run.stdout).not.toMatch(/ 0 duplicates skipped/);
    const report = join(out, 'report.html');
    expect(existsSync(report)).toBe(true);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('<!doctype html');
    expect(html).not.toMatch(/<script[^>]+src=["']https?:/i);
    // The folder is marked as the demo's, so the next run may replace its outputs.
    expect(existsSync(join(out, DEMO_MARKER))).toBe(true);
  });

  it('refuses a non-empty folder it did not make, and deletes nothing there', async () => {
    // Prepare: a folder of the user's own files.
    const mine = join(dir, 'mine');
    mkdirSync(join(mine, 'lake'), { recursive: true });
    writeFileSync(join(mine, 'budget.xlsx'), 'numbers');
    writeFileSync(join(mine, 'lake', 'keep.txt'), 'mine');

    // Act
    const run = await recoup(['demo', '--out', mine]);

    // Assess: exit 2, a message that says why and what to do, every file still there.
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('is not empty and was not made by recoup demo');
    expect(run.stderr).toContain('--force');
    expect(readdirSync(mine).sort()).toEqual(['budget.xlsx', 'lake']);
    expect(readFileSync(join(mine, 'lake', 'keep.txt'), 'utf8')).toBe('mine');
  });

  it('answers --help and rejects unknown options with exit code 2', async () => {
    const help = await recoup(['demo', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: recoup demo');
    const bad = await recoup(['demo', '--nope']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("Unknown option '--nope'");
  });
});

describe('the demo folder', () => {
  const base = mkdtempSync(join(tmpdir(), 'recoup-demo-folder-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  function folder(name: string, files: Record<string, string>): string {
    const out = join(base, name);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(out, path, '..'), { recursive: true });
      writeFileSync(join(out, path), text);
    }
    return out;
  }

  it('is created with its marker when new, and an empty folder is taken', async () => {
    const fresh = join(base, 'fresh');
    const empty = folder('empty', {});
    mkdirSync(empty, { recursive: true });

    await prepareDemoFolder(fresh, false);
    await prepareDemoFolder(empty, false);

    expect(readdirSync(fresh)).toEqual([DEMO_MARKER]);
    expect(readdirSync(empty)).toEqual([DEMO_MARKER]);
  });

  it("replaces only a marked folder's demo outputs, leaving the user's other files", async () => {
    const out = folder('marked', {
      [DEMO_MARKER]: '',
      'remits/a.835': 'x',
      'lake/remittances/x.parquet': 'x',
      'report.html': 'x',
      'notes.txt': 'kept',
    });

    await prepareDemoFolder(out, false);

    expect(readdirSync(out).sort()).toEqual([DEMO_MARKER, 'notes.txt']);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('kept');
  });

  it('takes a folder an earlier demo made before the marker existed, and nothing that only looks like one', async () => {
    const earlier = folder('earlier', { 'remits/truth.json': '{}', 'lake/x': '', 'report.html': '' });
    const lookalike = folder('lookalike', { 'lake/x': '', 'report.html': '' });

    await prepareDemoFolder(earlier, false);

    expect(readdirSync(earlier)).toEqual([DEMO_MARKER]);
    await expect(prepareDemoFolder(lookalike, false)).rejects.toThrow('was not made by recoup demo');
    expect(readdirSync(lookalike).sort()).toEqual(['lake', 'report.html']);
  });

  it('with --force uses a foreign folder, replacing only the demo outputs', async () => {
    const out = folder('forced', { 'budget.xlsx': 'numbers', 'lake/old.parquet': 'x' });

    await prepareDemoFolder(out, true);

    expect(readdirSync(out).sort()).toEqual([DEMO_MARKER, 'budget.xlsx']);
  });

  it('refuses a file given as the folder', async () => {
    const file = join(base, 'file.txt');
    writeFileSync(file, 'x');

    await expect(prepareDemoFolder(file, true)).rejects.toThrow('is a file, not a folder');
    expect(readFileSync(file, 'utf8')).toBe('x');
  });
});
