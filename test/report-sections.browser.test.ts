import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { writeReport } from '../functions/wiring/writeReport.ts';
import { launchChromium } from './helpers/chromium.ts';
import { ALL_MARTS, closeFebruary, HOSTILE, handMadeLake } from './helpers/reportLake.ts';

/**
 * The report's finance sections (Appeals due, the cohort heat map, closed and restated months) and
 * the explanations of its buckets, drawn by Chromium from the hand-made lake of
 * test/helpers/reportLake.ts: what the page shows must be that lake's numbers.
 */

let browser: Browser;
let db: DuckDBConnection;
let dir: string;
let page: Page;
const errors: string[] = [];
const external: string[] = [];

beforeAll(async () => {
  // Fails (does not skip) without Chromium; the message says how to install it.
  browser = await launchChromium();
  dir = mkdtempSync(join(tmpdir(), 'recoup-report-sections-'));
  const lake = join(dir, 'lake');
  db = await openDuckDb();
  await handMadeLake(db, lake, ALL_MARTS);
  await closeFebruary(db, lake);
  const out = join(dir, 'report.html');
  await writeReport({ db, lakeDir: lake, out, appealsAsOf: '2025-03-12' });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) external.push(r.url());
  });
  await page.goto(pathToFileURL(out).href);
  await page.waitForSelector('html[data-report-ready="true"]', { timeout: 20_000 });
}, 120_000);

afterAll(async () => {
  await page?.close();
  await browser?.close();
  db?.closeSync();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The text of each cell of a section's table rows. */
async function cells(selector: string): Promise<string[][]> {
  return page.$$eval(selector, (rows) =>
    rows.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())),
  );
}

describe('report sections in Chromium', () => {
  it('lists the appeals due with the lake’s money, days left and deadlines', async () => {
    // Tiles: recoverable money and count by status, as of 2025-03-12.
    const tiles = await page.$$eval('#appeals .appeal-tile', (t) =>
      t.map((x) => [x.getAttribute('data-status'), (x.textContent ?? '').trim()]),
    );
    expect(tiles).toEqual([
      ['due_7_days', '$100Due within 7 days · 1'],
      ['open', '$301Open · 1'],
      ['expired', '$75Expired · 1'],
    ]);
    // Rows: the open appeals, most recoverable first (rank, status, days left, deadline, money, payer).
    const rows = await cells('#appeals tr.appeal-row');
    expect(rows.map((r) => r.slice(0, 7))).toEqual([
      ['1', 'Open', '39', 'Apr 20, 2025', '$300.50', '$300.50', HOSTILE],
      ['2', 'Due within 7 days', '5', 'Mar 17, 2025', '$100.00', '$120.00', 'Acme Health'],
    ]);
    expect(await page.locator('#appeals').textContent()).toContain('Days left as of Mar 12, 2025');
  });

  it('draws the cohort triangle as a heat map, paler where a cell is still developing', async () => {
    // The chart: one SVG with a cell per development week of P1's January cohort (3).
    const svg = page.locator('#cohorts .chart svg');
    expect(await svg.count()).toBe(1);
    const box = await svg.boundingBox();
    expect(box?.width).toBeGreaterThan(200);
    // The rates table: the month, its paid, the share taken back so far, maturing (26 weeks not reached).
    expect(await cells('#cohorts tbody tr')).toEqual([['Jan 2025', '$10,000', '3.00%', 'maturing', '—']]);
    // The heat map's cells as ECharts holds them (a string: the page's globals are not typed here).
    const heat = await page.evaluate(`echarts
      .getInstanceByDom(document.querySelector('#cohorts .chart'))
      .getOption()
      .series[0].data.map((d) => [...d.value, d.itemStyle?.opacity ?? 1])`);
    // [week, month row, share, opacity]: weeks 0 and 1 complete, week 2 still developing.
    expect(heat).toEqual([
      [0, 0, 0.01, 1],
      [1, 0, 0.025, 1],
      [2, 0, 0.03, 0.45],
    ]);
  });

  it('marks a restated closed month and says what changed, why and which file', async () => {
    const status = page.locator('#closes [data-restated]');
    expect(await status.count()).toBe(1);
    expect(await status.getAttribute('data-restated')).toBe('true');
    expect(await cells('#closes tr.restated-period')).toEqual([
      ['Feb 2025', '2025-03-01 09:00', 'Restated', '1'],
    ]);
    const tables = await page.$$eval('#closes table', (ts) =>
      ts.map((t) =>
        [...t.querySelectorAll('tbody tr')].map((tr) =>
          [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim()),
        ),
      ),
    );
    expect(tables[1]).toEqual([['Feb 2025', 'Acme Health', 'Takeback', '$500.00', '$620.00']]);
    expect(tables[2]).toEqual([
      ['Feb 2025', 'Acme Health', 'Takeback', 'Coding', 'late takeback', '$120.00', 'late-835.txt'],
    ]);
  });

  it('explains Unspecified, Pending and Other where causes are shown', async () => {
    const legend = await page.$$eval('#cause-legend dt', (d) => d.map((x) => x.textContent));
    expect(legend).toEqual(['Unspecified', 'Pending', 'Other']);
    const meanings = await page.$$eval('#cause-legend dd', (d) => d.map((x) => x.textContent ?? ''));
    expect(meanings[0]).toMatch(/PLB offset .* names no claim/);
    expect(meanings[1]).toMatch(/corrected claim has not arrived/);
    expect(meanings[2]).toMatch(/no adjustment reason/);
  });

  it('marks an inactive payer in the scorecard with its own window', async () => {
    const row = page.locator('#scorecard tr.payer-row[data-payer="P3"]');
    expect(await row.getAttribute('class')).toContain('inactive');
    const chip = row.locator('.status-chip.inactive');
    expect(await chip.textContent()).toBe('inactive · last paid Nov 29, 2024');
    expect(await chip.getAttribute('title')).toBe(
      'No remittance in the trailing window; scored on Aug 31, 2024 – Nov 29, 2024',
    );
    expect(await page.locator('#scorecard tr.payer-row.inactive').count()).toBe(1);
  });

  it('flags a recoupment rate over 100%', async () => {
    expect(await page.locator('#scorecard .over-100').count()).toBe(1);
    expect(await page.locator('#scorecard tr[data-payer="P3"] .over-100').textContent()).toBe('over 100%');
  });

  it('ranks rendering providers and names the billing NPI’s share apart', async () => {
    expect(await page.locator('#provider-chart-title').textContent()).toBe('By rendering provider (top 10)');
    expect(await page.locator('#billing-note').textContent()).toBe(
      'Not ranked here: $12.00 charged to 1 billing (payee) NPI (1999999984): PLB offsets that name no claim and claims without a rendering NPI.',
    );
    const bars = await page.evaluate(`echarts
      .getInstanceByDom(document.querySelectorAll('#breakdowns .chart')[1])
      .getOption()
      .yAxis[0].data`);
    expect(bars).toEqual(['NPI 1234567893']);
  });

  it('shades the partly covered week and month of the trend charts', async () => {
    const areas = await page.evaluate(`[...document.querySelectorAll('#trends .chart')].map((box) =>
      echarts.getInstanceByDom(box).getOption().series
        .flatMap((s) => (s.markArea?.data ?? []).map((pair) => pair[0].xAxis)))`);
    expect(areas).toEqual([['2025-03-10'], ['2025-03-01']]);
    expect(await page.locator('#partial-note').textContent()).toMatch(/covers only in part/);
  });

  it('shows a PLB offset’s reference in the drill-down and in the alert card that names it', async () => {
    // Act: drill into P2, whose largest takeback is a PLB WO naming no claim.
    await page.selectOption('#drill-payer', 'P2');

    // Assess: its row shows the reference instead of a dash, and the alert lists the same reference.
    const first = (await cells('#drill-table tbody tr'))[0];
    expect(first?.slice(0, 4)).toEqual(['2025-03-05', 'PLB WO', '$70.01', 'ICN77 ACCT9PLB reference']);
    const topClaims = await page.$$eval('#alerts .alert-card .drivers div:first-child li', (l) =>
      l.map((x) => x.textContent),
    );
    expect(topClaims).toEqual(['ICN77 ACCT9', 'C2']);
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
  });

  it('searches the drill-down as you type, case aside, and counts the rows shown', async () => {
    // Prepare: P1's five takebacks (CLM0..CLM4; the odd ones PLB WO offsets), no search.
    await page.selectOption('#drill-payer', 'P1');
    const search = page.getByRole('searchbox', { name: 'Search takebacks' });
    await search.fill('');
    expect(await page.locator('#drill-count').textContent()).toBe('5 of 5 rows');

    // Act: type into the labelled box with the keyboard.
    await search.focus();
    await page.keyboard.type('clm3');

    // Assess: one row, the claim typed, and the count says so.
    expect(await page.locator('#drill-count').textContent()).toBe('1 of 5 rows');
    expect((await cells('#drill-table tbody tr')).map((r) => r[3])).toEqual(['CLM3ICN ICN3']);

    // Any column: the kind, in another case; the amount as shown.
    await search.fill('Plb wo');
    expect((await cells('#drill-table tbody tr')).map((r) => r.slice(1, 3))).toEqual([
      ['PLB WO', '$30.01'],
      ['PLB WO', '$10.01'],
    ]);
    expect(await page.locator('#drill-count').textContent()).toBe('2 of 5 rows');
    await search.fill('$20.01');
    expect((await cells('#drill-table tbody tr')).map((r) => r[3])).toEqual(['CLM2ICN ICN2']);

    // Nothing matches: no rows, a line that says so, nothing to export.
    await search.fill('no such claim');
    expect(await page.locator('#drill-table tbody tr').count()).toBe(0);
    expect(await page.locator('#drill-count').textContent()).toBe('0 of 5 rows');
    expect(await page.locator('#drill-no-match').isVisible()).toBe(true);
    expect(await page.locator('#drill-csv').isDisabled()).toBe(true);

    // All payers: the payer's name and id are searched too (P2's name is the hostile one).
    await page.selectOption('#drill-payer', '');
    await search.fill('acme health');
    expect(await page.locator('#drill-count').textContent()).toBe('5 of 8 rows');
    await search.fill('window.pwned');
    expect(await page.locator('#drill-count').textContent()).toBe('3 of 8 rows');
    await search.fill('');
    expect(await page.locator('#drill-count').textContent()).toBe('8 of 8 rows');
    expect(errors).toEqual([]);
  });

  it('exports exactly the rows shown as CSV, money plain, with no patient control number', async () => {
    // Prepare: P2's PLB offsets (tb7 naming no claim, tb5 linked to CLM5), searched for.
    await page.selectOption('#drill-payer', 'P2');
    await page.getByRole('searchbox', { name: 'Search takebacks' }).fill('plb');
    const shown = await cells('#drill-table tbody tr');
    expect(shown).toHaveLength(2);

    // Act: the button builds the file in the page; Chromium downloads it.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#drill-csv')]);
    const text = readFileSync(await download.path(), 'utf8');

    // Assess: a UTF-8 byte order mark, then RFC 4180 records, one per row shown, in the table's order.
    expect(download.suggestedFilename()).toBe('takebacks-P2-search-2025-03-12.csv');
    expect(text.startsWith('\ufeff')).toBe(true);
    const hostile = `"${HOSTILE.replaceAll('"', '""')}"`;
    expect(text.slice(1)).toBe(
      [
        'payer_id,payer_name,payment_date,kind,plb_code,amount,payer_claim_control,plb_reference,original_payment_date,original_paid,correction_payment_date,correction_payer_claim_control,correction_repaid,lag_days,cause,cause_reason_code,provider_npi',
        `P2,${hostile},2025-03-05,plb,WO,70.01,,ICN77,2025-02-03,,,,0.00,30,coding,,1234567893`,
        `P2,${hostile},2025-03-05,plb,WO,50.01,ICN5,ICN5,2025-02-03,,,,0.00,30,coding,,1234567893`,
        '',
      ].join('\r\n'),
    );
    const records = parseCsv(text.slice(1));
    expect(records.slice(1).map((r) => [r[2], `PLB ${r[4]}`, `$${r[5]}`])).toEqual(
      shown.map((r) => r.slice(0, 3)),
    );
    // The page shows CLP01s (CLM5, and ACCT9 inside tb7's reference); the file holds none.
    expect(shown.map((r) => r[3])).toEqual([
      'ICN77 ACCT9PLB reference',
      'CLM5ICN ICN5PLB reference ICN5 CLM5',
    ]);
    for (const clp01 of ['ACCT9', 'CLM5', 'CLM6', 'CLM7']) expect(text).not.toContain(clp01);
    expect(external).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('links an alert card’s PLB reference to the drill-down, searched for that reference', async () => {
    // Prepare: the drill-down shows another payer, unsearched.
    await page.selectOption('#drill-payer', 'P1');
    await page.getByRole('searchbox', { name: 'Search takebacks' }).fill('');
    const link = page.locator('#alerts a.plb-link');
    expect(await link.count()).toBe(1);
    expect(await link.getAttribute('href')).toBe('#drilldown');
    expect(await link.getAttribute('data-reference')).toBe('ICN77 ACCT9');
    expect(await page.locator('#drilldown').count()).toBe(1);

    // Act: from the keyboard.
    await link.focus();
    await page.keyboard.press('Enter');

    // Assess: the alert's payer, searched for the reference, that offset alone, the search box focused.
    expect(await page.locator('#drill-payer').inputValue()).toBe('P2');
    expect(await page.locator('#drill-search').inputValue()).toBe('ICN77 ACCT9');
    expect(await page.locator('#drill-count').textContent()).toBe('1 of 3 rows');
    const rows = page.locator('#drill-table tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-reference')).toBe('ICN77 ACCT9');
    expect((await cells('#drill-table tbody tr'))[0]?.slice(0, 4)).toEqual([
      '2025-03-05',
      'PLB WO',
      '$70.01',
      'ICN77 ACCT9PLB reference',
    ]);
    expect(await page.evaluate('document.activeElement.id')).toBe('drill-search');
    // The other top claim, a reversal, is plain text.
    expect(await page.locator('#alerts .drivers li').first().locator('a').count()).toBe(1);
    expect(await page.locator('#alerts .drivers div:first-child li').nth(1).locator('a').count()).toBe(0);
    expect(errors).toEqual([]);
  });
});

describe('the drill-down of a report capped to the largest takebacks', () => {
  it('says, when nothing listed matches, that the others are not in the report', async () => {
    // Prepare: the same lake, 2 takebacks embedded per payer (P1 has 5).
    const lakeDb = await openDuckDb();
    const out = join(dir, 'capped.html');
    try {
      await writeReport({ db: lakeDb, lakeDir: join(dir, 'lake'), out, drillCap: 2 });
    } finally {
      lakeDb.closeSync();
    }
    const capped = await browser.newPage();
    try {
      await capped.goto(pathToFileURL(out).href);
      await capped.waitForSelector('html[data-report-ready="true"]', { timeout: 20_000 });

      // Act: search P1 for a claim that is not among its 2 largest.
      await capped.selectOption('#drill-payer', 'P1');
      await capped.getByRole('searchbox', { name: 'Search takebacks' }).fill('CLM1');

      // Assess
      expect(await capped.locator('#drill-count').textContent()).toBe('0 of 2 rows');
      expect(await capped.locator('#drill-no-match').textContent()).toBe(
        'No listed takeback matches “CLM1”. This report holds the 2 largest of 5 takebacks; `recoup query` on takeback_links finds the others.',
      );
    } finally {
      await capped.close();
    }
  });
});

/** RFC 4180 text as records of fields (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  const field = /("(?:[^"]|"")*"|[^,\r\n]*)(,|\r\n|$)/y;
  let record: string[] = [];
  while (field.lastIndex < text.length) {
    const m = field.exec(text);
    if (!m) throw new Error(`bad CSV at ${field.lastIndex}`);
    const raw = m[1] ?? '';
    record.push(raw.startsWith('"') ? raw.slice(1, -1).replaceAll('""', '"') : raw);
    if (m[2] !== ',') {
      records.push(record);
      record = [];
    }
  }
  return records;
}
