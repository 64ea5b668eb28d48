import {
  copyFileSync,
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
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ingestCommand } from '../functions/cli/commands/ingest.ts';
import { fixturePath } from './helpers/fixtures.ts';

// `recoup ingest` as a scheduled job sees it (issue 27, point 3): the exit code says whether
// anything loaded, --strict fails on any quarantined file, and the help says what happens to a
// bad file (it is copied to quarantine; the original stays).

let dir: string;
let out: string;
let err: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'recoup-cli-ingest-'));
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

afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

/** A folder holding copies of the given fixtures and extra files. */
function inbox(fixtures: string[][], extra: Record<string, string | Uint8Array> = {}): string {
  const folder = join(dir, 'inbox');
  mkdirSync(folder, { recursive: true });
  for (const parts of fixtures) copyFileSync(fixturePath(...parts), join(folder, parts.at(-1) as string));
  for (const [name, content] of Object.entries(extra)) writeFileSync(join(folder, name), content);
  return folder;
}

const GOOD = ['cases', 'full-claim-5010.835'];
const BAD = ['bad', 'bad-amount.835'];

describe('recoup ingest exit codes', () => {
  it('exits 1 when every file was quarantined, and says nothing loaded', async () => {
    const folder = inbox([BAD], { 'notes.txt': 'not an 835' });
    const lake = join(dir, 'lake');

    const code = await ingestCommand([folder, '--lake', lake]);

    expect(code).toBe(1);
    expect(err).toContain('nothing loaded: all 2 files were quarantined');
    expect(out).toContain('Ingested 0 of 2 files');
    expect(out).toContain('quarantined    2');
  });

  it('exits 0 when some files loaded and others were quarantined; 1 with --strict', async () => {
    const folder = inbox([GOOD, BAD]);

    const lenient = await ingestCommand([folder, '--lake', join(dir, 'lake1'), '--json']);
    const lenientSummary = JSON.parse(out);
    out = '';
    const strict = await ingestCommand([folder, '--lake', join(dir, 'lake2'), '--strict']);

    expect(lenient).toBe(0);
    expect(lenientSummary).toMatchObject({ files: 2, quarantined: 1 });
    expect(strict).toBe(1);
    expect(err).toContain('1 of 2 files quarantined (--strict)');
    expect(out).toContain('Ingested 1 of 2 files');
  });

  it('exits 0 with --strict when nothing was quarantined, re-deliveries included', async () => {
    const folder = inbox([GOOD]);
    const lake = join(dir, 'lake');

    const first = await ingestCommand([folder, '--lake', lake, '--strict']);
    const again = await ingestCommand([folder, '--lake', lake, '--strict']);

    expect([first, again]).toEqual([0, 0]);
    expect(err).toBe('');
  });

  it('exits 1 when there is nothing to ingest', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);

    const code = await ingestCommand([empty, '--lake', join(dir, 'lake')]).catch(
      (e: { exitCode: number; message: string }) => {
        err += e.message;
        return e.exitCode;
      },
    );

    expect(code).toBe(1);
    expect(err).toContain(`no files to ingest in ${empty}`);
  });

  it('copies a bad file to quarantine and leaves the original, as the help says', async () => {
    const folder = inbox([BAD]);
    const lake = join(dir, 'lake');

    await ingestCommand([folder, '--lake', lake]);
    const help = await ingestCommand(['--help']).catch((e: { exitCode: number }) => e.exitCode);

    expect(existsSync(join(folder, 'bad-amount.835'))).toBe(true);
    const quarantined = readdirSync(join(lake, 'quarantine'));
    expect(quarantined.filter((f) => f.endsWith('bad-amount.835'))).toHaveLength(1);
    const copy = quarantined.find((f) => f.endsWith('bad-amount.835')) as string;
    expect(readFileSync(join(lake, 'quarantine', copy))).toEqual(readFileSync(fixturePath(...BAD)));
    expect(help).toBe(0);
    expect(out).toContain('is copied to DIR/quarantine/');
    expect(out).toContain('the original is left where it was');
    expect(out).not.toContain('moved');
  });
});
