import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { sqlString } from '../functions/ports/warehouse.ts';
import { fixturePath, ROOT } from './helpers/fixtures.ts';
import { cleanup, tempDir } from './helpers/lakeProbe.ts';

/**
 * Issue 24 end to end, through the CLI as a user runs it: remittances that share a key but not
 * their content are both kept whatever the order of the files, a re-wrapped copy is a duplicate,
 * and the public samples with every hand-written awkward case ingest, build and report with
 * bounded marts.
 */
const run = promisify(execFile);
const SAMPLES = join(ROOT, '..', 'shared', 'samples835');
const KEYS = fixturePath('keys');
const dirs: string[] = [];
let db: DuckDBConnection;

async function recoup(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [join(ROOT, 'bin', 'recoup.js'), ...args], { cwd: ROOT, maxBuffer: 64 << 20 });
}

function dir(name: string): string {
  const d = tempDir(`real-${name}-`);
  dirs.push(d);
  return d;
}

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await db.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

function mart(lake: string, name: string): string {
  return `read_parquet(${sqlString(join(lake, 'marts', name, '*.parquet'))})`;
}

beforeAll(async () => {
  db = await openDuckDb();
});

afterAll(() => {
  db.closeSync();
  cleanup(...dirs);
});

describe('remittances that share a key (payer, payee, TRN02, BPR02, BPR16) but not their content', () => {
  it('are both kept and flagged, and the lake and marts do not depend on the order of the files', async () => {
    const claims = join(KEYS, 'same-key-claims.835');
    const offsets = join(KEYS, 'same-key-offsets.835');
    const lakes = { claimsFirst: dir('claims-first'), offsetsFirst: dir('offsets-first') };
    const orders = { claimsFirst: [claims, offsets], offsetsFirst: [offsets, claims] };
    for (const [name, files] of Object.entries(orders)) {
      const lake = lakes[name as keyof typeof lakes];
      const first = JSON.parse((await recoup('ingest', files[0] as string, '--lake', lake, '--json')).stdout);
      expect(first).toMatchObject({ remittances_written: 1, key_conflicts: [] });
      const second = JSON.parse(
        (await recoup('ingest', files[1] as string, '--lake', lake, '--json')).stdout,
      );
      // The second is kept, not dropped as a duplicate, and named as a key conflict.
      expect(second).toMatchObject({ remittances_written: 1, duplicates: 0 });
      expect(second.key_conflicts).toHaveLength(1);
      expect(second.key_conflicts[0].trace_number).toBe('DELTA-SPLIT-0612');
      await recoup('build', '--lake', lake, '--test');
    }
    const remits = (lake: string) =>
      rows(
        `SELECT remit_id, remit_key, claim_count, plb_total::VARCHAR AS plb_total
         FROM read_parquet(${sqlString(join(lake, 'remittances', '*', '*', '*.parquet'))}) ORDER BY remit_id`,
      );
    const a = await remits(lakes.claimsFirst);
    expect(a).toHaveLength(2);
    expect(new Set(a.map((r) => r.remit_key)).size).toBe(1);
    // The remittance with the PLB WO/72 rows keeps them whichever file came first.
    expect(a.map((r) => r.plb_total).sort()).toEqual(['0.00', '120.00']);
    expect(await remits(lakes.offsetsFirst)).toEqual(a);
    for (const name of ['payer_scorecard', 'recoupment_rates', 'takeback_links', 'plb_summary']) {
      const sql = (lake: string) => `SELECT * EXCLUDE (built_at) FROM ${mart(lake, name)} ORDER BY ALL`;
      const columns = await rows(`DESCRIBE SELECT * FROM ${mart(lakes.claimsFirst, name)}`);
      const query = columns.some((c) => c.column_name === 'built_at')
        ? sql
        : (lake: string) => `SELECT * FROM ${mart(lake, name)} ORDER BY ALL`;
      expect(await rows(query(lakes.offsetsFirst)), name).toEqual(await rows(query(lakes.claimsFirst)));
    }
    // The WO of the second remittance (`ICNK0001 123456789A`, stored as its ICN alone) is linked to
    // the claim of the first by that ICN.
    const links = await rows(
      `SELECT DISTINCT link_rule FROM ${mart(lakes.claimsFirst, 'takeback_links')} WHERE link_rule IS NOT NULL`,
    );
    expect(links.map((l) => l.link_rule)).toEqual(['icn']);
  });

  it('a copy re-wrapped with new control numbers and CRLF line ends is a duplicate, not a conflict', async () => {
    const lake = dir('rewrapped');
    await recoup('ingest', join(KEYS, 'same-key-claims.835'), '--lake', lake, '--json');
    const again = JSON.parse(
      (await recoup('ingest', join(KEYS, 'same-key-claims-rewrapped.835'), '--lake', lake, '--json')).stdout,
    );
    expect(again).toMatchObject({ remittances_written: 0, duplicates: 1, key_conflicts: [] });
  });
});

describe('the public samples and every hand-written case: ingest, build and report', () => {
  it('pass, with plausible periods only and marts bounded by plausible dates', async () => {
    const inputs = dir('inputs');
    for (const folder of ['cases', 'keys', 'format', 'recoup']) {
      mkdirSync(join(inputs, folder), { recursive: true });
      cpSync(fixturePath(folder), join(inputs, folder), { recursive: true });
    }
    const haveSamples = existsSync(join(SAMPLES, 'PROVENANCE.txt'));
    if (haveSamples) cpSync(SAMPLES, join(inputs, 'samples'), { recursive: true });
    const lake = dir('all');
    const ingested = JSON.parse((await recoup('ingest', inputs, '--lake', lake, '--json')).stdout);
    expect(ingested.remittances_written).toBeGreaterThan(20);
    // The implausible-dates case is kept, in the unknown month.
    expect(readdirSync(join(lake, 'remittances')).length).toBeGreaterThan(3);
    const unknown = await rows(
      `SELECT count(*)::INTEGER AS n FROM read_parquet(${sqlString(join(lake, 'remittances', '*', 'payment_month=unknown', '*.parquet'))})`,
    );
    expect(unknown[0]?.n).toBeGreaterThanOrEqual(1);
    // The lake decides no takeback's cause (docs/models.md "Cause of a takeback"): no reversal or PLB
    // row of the samples or the cases carries one; the other rows all carry their CARC's class.
    const causes = await rows(
      `SELECT (level = 'provider' OR claim_status = '22') AS takeback_row, cause IS NULL AS no_cause,
              count(*)::INTEGER AS n
       FROM read_parquet(${sqlString(join(lake, 'adjustments', '*', '*', '*.parquet'))})
       GROUP BY ALL ORDER BY ALL`,
    );
    expect(causes.map((r) => [r.takeback_row, r.no_cause])).toEqual([
      [false, false],
      [true, true],
    ]);

    await recoup('build', '--lake', lake, '--test');
    // The default as-of date is a plausible payment date, not 7663.
    const asOf = await rows(`SELECT DISTINCT as_of::VARCHAR AS d FROM ${mart(lake, 'liquidity_forecast')}`);
    expect(asOf.map((r) => r.d)).toHaveLength(1);
    expect(String(asOf[0]?.d)).toMatch(/^(199\d|20[0-2]\d)-/);
    const trend = await rows(
      `SELECT count(*)::INTEGER AS n, max(period_start)::VARCHAR AS last FROM ${mart(lake, 'takeback_trend')}`,
    );
    expect(Number(trend[0]?.n)).toBeLessThan(20_000);
    expect(String(trend[0]?.last) <= '2027-12-31').toBe(true);

    const out = join(lake, 'report.html');
    await recoup('report', '--lake', lake, '--out', out);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<html');
    expect(html).not.toContain('7663');
    for (const secret of ['TESTMBR01', '123456789A', '1EG4TE5MK73']) expect(html).not.toContain(secret);
  });
});
