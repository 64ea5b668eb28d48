import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

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
