import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { closest } from '../functions/cli/args.ts';
import { COMPACTION_HINT_FILES } from '../functions/cli/commands/build.ts';
import { ProgressBar } from '../functions/cli/progress.ts';

// The CLI's rough edges (issue 27, point 8): a terminal of no width, a mistyped option or command,
// and `recoup` with no arguments.

const ROOT = join(import.meta.dirname, '..');

function recoup(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin', 'recoup.js'), ...args],
      { cwd: ROOT, encoding: 'utf8' },
      (error, stdout, stderr) => resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A terminal-like stream of a given width that keeps what is written to it. */
function terminal(columns: number | undefined): NodeJS.WriteStream & { text: string } {
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      (stream as unknown as { text: string }).text += chunk.toString();
      callback();
    },
  }) as unknown as NodeJS.WriteStream & { text: string };
  stream.text = '';
  Object.assign(stream, { isTTY: true, columns });
  return stream;
}

describe('progress bar', () => {
  it('draws nothing, and does not throw, on a terminal of zero or one column', () => {
    for (const columns of [0, 1]) {
      const out = terminal(columns);
      const bar = new ProgressBar('ingest', out, out, true);

      bar.update(5, 10, 'half');
      bar.update(10, 10, 'all');
      bar.done();

      expect(out.text).toBe('');
    }
  });

  it('fits its line to a narrow terminal and clears it when done', () => {
    const out = terminal(20);
    const bar = new ProgressBar('ingest', out, out, true);

    bar.update(10, 10, '3/3 files');
    bar.done();

    const lines = out.text.split('\r').filter((l) => l !== '');
    expect(lines[0]).toBe('ingest ████████████');
    expect(lines.every((l) => [...l].length === 19)).toBe(true);
    expect(lines.at(-1)).toBe(' '.repeat(19));
  });

  it('takes 80 columns when the terminal reports no width, and survives odd counts', () => {
    const out = terminal(undefined);
    const bar = new ProgressBar('build', out, out, true);

    bar.update(-5, 10);
    bar.update(Number.NaN, 10);
    bar.update(30, 10);

    const lines = out.text.split('\r').filter((l) => l !== '');
    expect(lines.map((l) => [...l].length)).toEqual([79, 79, 79]);
    expect(lines[0]).toContain('  0%');
    expect(lines[2]).toContain('100%');
  });
});

describe('did you mean', () => {
  const options = ['lake', 'sink', 'all', 'json', 'format', 'out', 'strict', 'help'];

  it('suggests the option a typo or a prefix most likely meant, and nothing for a stranger', () => {
    expect(closest('lak', options)).toBe('lake');
    expect(closest('laek', options)).toBe('lake');
    expect(closest('stirct', options)).toBe('strict');
    expect(closest('forma', options)).toBe('format');
    expect(closest('xyz', options)).toBeNull();
    expect(closest('verbose', options)).toBeNull();
  });

  it('names the meant option in the CLI error, with exit code 2', async () => {
    const run = await recoup(['query', '--lak', 'lake', 'SELECT 1']);

    expect(run.status).toBe(2);
    expect(run.stderr).toContain("recoup query: Unknown option '--lak'; did you mean --lake?");
    expect(run.stderr).toContain('Usage: recoup query');
  });

  it('names the meant command', async () => {
    const run = await recoup(['qurey']);

    expect(run.status).toBe(2);
    expect(run.stderr).toContain('unknown command "qurey"; did you mean "query"?');
  });
});

describe('recoup with no arguments', () => {
  it('prints the usage to stderr and exits 2 (bad usage); --help exits 0', async () => {
    const bare = await recoup([]);
    const help = await recoup(['--help']);

    expect(bare.status).toBe(2);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toContain('Usage: recoup <command>');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: recoup <command>');
  });
});

describe('recoup build out of memory', () => {
  it("names the model and the flags that give DuckDB more room, not only DuckDB's SQL settings", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recoup-oom-'));
    try {
      const lake = join(dir, 'lake');
      const ingest = await recoup([
        'ingest',
        join(ROOT, 'test/fixtures/models/unseen-original'),
        '--lake',
        lake,
      ]);
      expect(ingest.status).toBe(0);

      const run = await recoup(['build', '--lake', lake, '--memory-limit', '2MB']);

      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/recoup build: model \w+ \(.*\.sql\) failed: Out of Memory Error/);
      expect(run.stderr).toContain(
        'DuckDB ran out of its 2MB memory budget: give it more with --memory-limit (or RECOUP_DUCKDB_MEMORY)',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('says when the lake it built holds many staged files, and not after recoup compact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recoup-hint-'));
    try {
      const lake = join(dir, 'lake');
      const input = join(dir, 'in');
      const gen = ['generate', '--out', input, '--weeks', '20', '--payers', '2', '--scale', '0.1'];
      expect((await recoup(gen)).status).toBe(0);
      expect((await recoup(['ingest', input, '--lake', lake])).status).toBe(0);

      const staged = await recoup(['build', '--lake', lake]);
      const json = await recoup(['build', '--lake', lake, '--json']);
      expect((await recoup(['compact', '--lake', lake])).status).toBe(0);
      const compacted = await recoup(['build', '--lake', lake, '--json']);
      const compactedText = await recoup(['build', '--lake', lake]);

      expect(staged.status).toBe(0);
      const files = (JSON.parse(json.stdout) as { staged_files: number }).staged_files;
      expect(files).toBeGreaterThanOrEqual(COMPACTION_HINT_FILES);
      expect(staged.stdout).toContain(
        `Note: ${files.toLocaleString('en-US')} staged files are not compacted yet; \`recoup compact --lake ${lake}\``,
      );
      expect((JSON.parse(compacted.stdout) as { staged_files: number }).staged_files).toBe(0);
      expect(compactedText.status).toBe(0);
      expect(compactedText.stdout).not.toContain('recoup compact');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
