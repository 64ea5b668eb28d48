import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDuckDbModels } from '../functions/adapters/duckdb/buildDuckDbModels.ts';
import { duckDbWarehouse } from '../functions/adapters/duckdb/duckDbWarehouse.ts';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { LocalFolderStore } from '../functions/adapters/localFolderStore.ts';
import { readReportAssets } from '../functions/adapters/reportAssets.ts';
import { writeDataset } from '../functions/generate/writeDataset.ts';
import { loadReportData } from '../functions/report/loadReportData.ts';
import { renderReportHtml } from '../functions/report/renderReportHtml.ts';
import { ingestToLake } from '../functions/wiring/ingestToLake.ts';
import { writeReport } from '../functions/wiring/writeReport.ts';
import { launchChromium } from './helpers/chromium.ts';

const RESULTS = resolve('test-results');
const HOSTILE = `Evil <img src=x onerror="window.__pwned=1"></script><script>window.__pwned=2</script>`;

/** A page opened on a local report, recording console errors and every request that is not file://. */
async function openReport(browser: Browser, file: string, viewport = { width: 1400, height: 900 }) {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  const external: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) external.push(r.url());
  });
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('html[data-report-ready="true"]', { timeout: 20_000 });
  return { page, errors, external };
}

/** Width and height of each chart's rendered SVG, per section. */
async function chartSizes(page: Page, section: string) {
  return page.$$eval(`#${section} .chart`, (boxes) =>
    boxes.map((box) => {
      const svg = box.querySelector('svg');
      const r = svg?.getBoundingClientRect();
      return {
        svg: svg !== null,
        width: r?.width ?? 0,
        height: r?.height ?? 0,
        shapes: svg?.querySelectorAll('path').length ?? 0,
      };
    }),
  );
}

let browser: Browser;
let db: DuckDBConnection;
let dir: string;
let lake: string;
let reportFile: string;

beforeAll(async () => {
  // Fails (does not skip) without Chromium; the message says how to install it.
  browser = await launchChromium();
  // A small real lake: synthetic 835s (with a spike so an alert exists), ingested, models built.
  dir = mkdtempSync(join(tmpdir(), 'recoup-browser-'));
  lake = join(dir, 'lake');
  const input = join(dir, 'in');
  await writeDataset(input, {
    seed: 7,
    weeks: 40,
    payers: 5,
    spikes: [{ payer: '0', week: 37, factor: 15 }],
  });
  const files = readdirSync(input).filter((f) => f.endsWith('.835'));
  await ingestToLake(
    files.map((f) => ({ path: join(input, f), key: f, size: statSync(join(input, f)).size })),
    { lake: new LocalFolderStore(lake) },
  );
  db = await openDuckDb();
  await buildDuckDbModels({ db, lakeDir: lake });
  reportFile = join(dir, 'report.html');
  await writeReport({ db, lakeDir: lake, out: reportFile });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  db?.closeSync();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('HTML report in Chromium', () => {
  it('renders every chart and table offline, without console errors, and drills into a payer', async () => {
    // Prepare
    const { page, errors, external } = await openReport(browser, reportFile);
    const payerCount = Number(
      (await db.runAndReadAll('SELECT count(*) FROM payer_scorecard')).getRowsJson()[0]?.[0] ?? 0,
    );

    // Act: click the last payer of the scorecard.
    const rows = page.locator('#scorecard tbody tr');
    const last = rows.nth(payerCount - 1);
    const payerId = await last.getAttribute('data-payer');
    await last.locator('.payer-cell button').click();
    mkdirSync(RESULTS, { recursive: true });
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(RESULTS, 'report.png'), fullPage: true });

    // Assess: the scorecard has one row per payer.
    expect(payerCount).toBeGreaterThan(1);
    expect(await rows.count()).toBe(payerCount);
    // Charts: SVG with a real size and drawn shapes in trends, breakdowns and forecast.
    for (const [section, count] of [
      ['trends', 2],
      ['breakdowns', 2],
      ['forecast', 1],
    ] as const) {
      const sizes = await chartSizes(page, section);
      expect(sizes, section).toHaveLength(count);
      for (const s of sizes) {
        expect(s.svg, section).toBe(true);
        expect(s.width, section).toBeGreaterThan(200);
        expect(s.height, section).toBeGreaterThan(200);
        expect(s.shapes, section).toBeGreaterThan(5);
      }
    }
    // Forecast table: 13 weeks for the selected payer.
    expect(await page.locator('#forecast tbody tr').count()).toBe(13);
    // Alerts: the spike is current, with its drivers.
    expect(await page.locator('#alerts .alert-card').count()).toBeGreaterThan(0);
    expect(await page.locator('#alerts .alert-card li').count()).toBeGreaterThan(0);
    // The mart names claims by takeback_id (alerts leave the lake); the report resolves them to
    // the claims themselves (CLP01 with the ICN) through takeback_links.
    const cards = (await page.locator('#alerts .alert-card').allTextContents()).join('\n');
    expect(cards).not.toMatch(/reversal:|plb:/);
    expect(cards).toMatch(/\(ICN [^)]+\)/);
    // Drill-down: the clicked payer, its row highlighted, a table of its takebacks.
    expect(payerId).toBeTruthy();
    expect(await page.locator('#drill-payer').inputValue()).toBe(payerId);
    expect(await page.locator(`#scorecard tr.selected[data-payer="${payerId}"]`).count()).toBe(1);
    expect(await page.locator('#drill-summary').textContent()).toContain(payerId!);
    const drillRows = await page.locator('#drill-table tbody tr').count();
    expect(drillRows).toBeGreaterThan(0);
    // No section fell back to an error or a "missing mart" notice.
    expect(await page.locator('.notice').count()).toBe(0);
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
    await page.close();
  });

  it('shows a hostile payer name as text and runs none of it', async () => {
    // Prepare: the real data, with one payer renamed to markup.
    const data = await loadReportData(duckDbWarehouse(db));
    const victim = data.payers[0]!;
    victim.payer_name = HOSTILE;
    for (const row of data.scorecard.data) if (row.payer_id === victim.payer_id) row.payer_name = HOSTILE;
    const file = join(dir, 'hostile.html');
    writeFileSync(file, renderReportHtml({ ...data, title: HOSTILE }, readReportAssets()));

    // Act
    const { page, errors, external } = await openReport(browser, file);

    // Assess
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.title()).toBe(HOSTILE);
    expect(await page.locator('#scorecard .payer-cell button', { hasText: 'Evil <img' }).count()).toBe(1);
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
    await page.close();
  });
});
