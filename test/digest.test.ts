import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDataset } from '../functions/generate/index.ts';
import { ROOT } from './helpers/fixtures.ts';
import { ingestFolder } from './helpers/generatedLake.ts';

// The weekly digest (issue 25) on a generated lake of 34 weeks with a recovery sweep (so an alert
// is current): its text layout is pinned line by line, its numbers are the scorecard's, and it
// carries no claim, patient or member identifier of the files it came from.

const run = promisify(execFile);
let dir: string;
let data: string;
let lake: string;

async function recoup(...args: string[]): Promise<string> {
  return (
    await run(process.execPath, [join(ROOT, 'bin', 'recoup.js'), ...args], { cwd: ROOT, maxBuffer: 1 << 26 })
  ).stdout;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'recoup-digest-'));
  data = join(dir, 'data');
  lake = join(dir, 'lake');
  await writeDataset(data, {
    seed: 25,
    weeks: 34,
    payers: 3,
    providers: 6,
    scale: 2,
    spikes: [{ payer: 0, week: 31, factor: 60 }],
  });
  await ingestFolder(data, lake);
  await recoup('build', '--lake', lake);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('recoup digest', () => {
  it('prints the scorecard lines, appeals due, alerts and flagged weeks in 80 columns, in a fixed layout', async () => {
    const text = await recoup(
      'digest',
      '--lake',
      lake,
      '--as-of',
      '2024-08-30',
      '--report-link',
      's3://lake/reports/latest.html',
    );
    const lines = text.trimEnd().split('\n');
    for (const line of lines.slice(0, -1)) expect([...line].length, line).toBeLessThanOrEqual(80);
    expect(lines[0]).toMatch(
      /^recoup digest, as of \d{4}-\d{2}-\d{2} \(scorecard \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}\)$/,
    );
    expect(lines[1]).toBe('');
    expect(lines[2]).toMatch(/^payer\s+paid\s+takeback\s+net\s+rate$/);
    expect(lines[3]).toMatch(/^─{77}$/);
    const payerLines = lines.slice(4, 7);
    for (const line of payerLines)
      expect(line).toMatch(
        /^.{24} +-?\$[\d,]+\.\d\d +-?\$[\d,]+\.\d\d +-?\$[\d,]+\.\d\d +(\d+\.\d%|—) [▲▼▶ ]$/,
      );
    expect(lines[7]).toBe('');
    expect(lines[8]).toMatch(
      /^Appeals due within 7 days of 2024-08-30: (none\.|\d+, \$[\d,]+\.\d\d recoverable\.)$/,
    );
    expect(lines[10]).toMatch(/^Takeback alerts: (none\.|\d+)$/);
    expect(text).toMatch(/\n {2}.+, week of \d{4}-\d{2}-\d{2}: \$[\d,]+\.\d\d vs \$[\d,]+\.\d\d usual\n/);
    expect(text).toMatch(/\nForecast-flagged weeks: (none\.|\d+)\n/);
    expect(lines.slice(-2)).toEqual(['Full report:', 's3://lake/reports/latest.html']);
  });

  it('carries the scorecard mart numbers and, in JSON, the same digest with exact money', async () => {
    const json = JSON.parse(
      await recoup('digest', '--lake', lake, '--format', 'json', '--as-of', '2024-08-30'),
    );
    const scorecard = JSON.parse(
      await recoup(
        'query',
        '--lake',
        lake,
        'SELECT payer_id, paid, takeback FROM payer_scorecard ORDER BY rank, payer_id',
        '--format',
        'json',
      ),
    );
    expect(
      json.payers.map((p: { payer_id: string; paid: string; takeback: string }) => [
        p.payer_id,
        p.paid,
        p.takeback,
      ]),
    ).toEqual(
      scorecard.map((r: { payer_id: string; paid: string; takeback: string }) => [
        r.payer_id,
        r.paid,
        r.takeback,
      ]),
    );
    expect(json.alerts.length).toBeGreaterThan(0);
    const text = await recoup('digest', '--lake', lake, '--as-of', '2024-08-30');
    const first = json.payers[0];
    expect(text).toContain(`$${Number(first.paid).toLocaleString('en-US', { minimumFractionDigits: 2 })}`);
  });

  it('names no claim, patient or member of the files, in any format', async () => {
    const files = readdirSync(data).filter((n) => n.endsWith('.835'));
    const secrets = new Set<string>();
    for (const name of files) {
      for (const segment of readFileSync(join(data, name), 'utf8').split(/~\s*/)) {
        const el = segment.split(/[*|^]/);
        if (el[0] === 'CLP' && el[1]) secrets.add(el[1]);
        if (el[0] === 'NM1' && (el[1] === 'QC' || el[1] === 'IL'))
          for (const v of [el[3], el[4], el[9]]) if (v && v.length > 3) secrets.add(v);
      }
    }
    expect(secrets.size).toBeGreaterThan(100);
    for (const format of ['text', 'json', 'html']) {
      const out = await recoup('digest', '--lake', lake, '--format', format);
      const leaked = [...secrets].filter((s) => out.includes(s));
      expect(leaked, format).toEqual([]);
    }
  });
});
