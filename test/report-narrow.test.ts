import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDuckDbModels } from '../functions/adapters/duckdb/buildDuckDbModels.ts';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { LocalFolderStore } from '../functions/adapters/localFolderStore.ts';
import { writeDataset } from '../functions/generate/writeDataset.ts';
import { ingestToLake } from '../functions/wiring/ingestToLake.ts';
import { writeReport } from '../functions/wiring/writeReport.ts';
import { launchChromium } from './helpers/chromium.ts';

// The report reflows on a phone (issue 27, point 9: at 420 px it overflowed to 613 px): no
// horizontal scrolling of the page, cards inside the screen and wide enough to read, nothing
// clipped. Wide tables scroll inside their own box, which is what they are for.

let browser: Browser;
let dir: string;
let reportFile: string;

beforeAll(async () => {
  browser = await launchChromium();
  dir = mkdtempSync(join(tmpdir(), 'recoup-narrow-'));
  const lake = join(dir, 'lake');
  const input = join(dir, 'in');
  await writeDataset(input, {
    seed: 11,
    weeks: 36,
    payers: 4,
    spikes: [{ payer: '0', week: 33, factor: 15 }],
  });
  const files = readdirSync(input).filter((f) => f.endsWith('.835'));
  await ingestToLake(
    files.map((f) => ({ path: join(input, f), key: f, size: statSync(join(input, f)).size })),
    { lake: new LocalFolderStore(lake) },
  );
  const db = await openDuckDb();
  try {
    await buildDuckDbModels({ db, lakeDir: lake });
    reportFile = join(dir, 'report.html');
    await writeReport({ db, lakeDir: lake, out: reportFile });
  } finally {
    db.closeSync();
  }
}, 240_000);

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Layout {
  pageWidth: number;
  /** Elements (outside a horizontally scrolling box) that reach past the screen's edges. */
  outside: string[];
  /** Elements that hide part of their content (overflow hidden/clip, content wider than the box). */
  clipped: string[];
  /** Text in a font under 11 px. */
  tiny: string[];
  cards: { kind: string; left: number; right: number; width: number }[];
  charts: number[];
}

/**
 * Measures the page. A plain-JavaScript string on purpose: the TypeScript transform would add
 * helpers (__name) that do not exist inside the page.
 */
const MEASURE = `(() => {
  const W = document.documentElement.clientWidth;
  const inScroller = (el) => {
    for (let e = el.parentElement; e; e = e.parentElement)
      if (/(auto|scroll)/.test(getComputedStyle(e).overflowX)) return true;
    return false;
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const outside = [], clipped = [], tiny = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || el.closest('svg') || inScroller(el)) continue;
    const style = getComputedStyle(el);
    if (box.left < -1 || box.right > W + 1) outside.push(name(el) + ' ' + Math.round(box.left) + '..' + Math.round(box.right));
    if (/(hidden|clip)/.test(style.overflowX) && el.scrollWidth > el.clientWidth + 1 && !el.closest('.chart'))
      clipped.push(name(el) + ' ' + el.scrollWidth + '>' + el.clientWidth);
    const ownText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim() !== '');
    if (ownText && parseFloat(style.fontSize) < 11) tiny.push(name(el) + ' ' + style.fontSize);
  }
  const cards = [...document.querySelectorAll('.card, .kpi, .stat, .alert-card')].map((c) => {
    const b = c.getBoundingClientRect();
    return { kind: c.classList[0], left: b.left, right: b.right, width: b.width };
  });
  const charts = [...document.querySelectorAll('.chart svg')].map((s) => s.getBoundingClientRect().width);
  return { pageWidth: document.documentElement.scrollWidth, outside, clipped, tiny, cards, charts };
})()`;

async function open(width: number): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 860 }, isMobile: true, hasTouch: true });
  await page.goto(pathToFileURL(reportFile).href);
  await page.waitForSelector('html[data-report-ready="true"]', { timeout: 20_000 });
  return page;
}

function expectReadable(layout: Layout, width: number): void {
  expect(layout.pageWidth).toBeLessThanOrEqual(width);
  expect(layout.outside).toEqual([]);
  expect(layout.clipped).toEqual([]);
  expect(layout.tiny).toEqual([]);
  // Every kind of card is there, inside the screen, and wide enough for its figures.
  expect(new Set(layout.cards.map((c) => c.kind))).toEqual(new Set(['card', 'kpi', 'stat', 'alert-card']));
  for (const c of layout.cards) {
    expect(c.left, c.kind).toBeGreaterThanOrEqual(0);
    expect(c.right, c.kind).toBeLessThanOrEqual(width);
    // A KPI tile or a figure may share the row with one other; cards take most of the screen.
    expect(c.width, c.kind).toBeGreaterThanOrEqual(c.kind === 'kpi' || c.kind === 'stat' ? 140 : width * 0.7);
  }
  expect(layout.charts.length).toBeGreaterThan(3);
  for (const w of layout.charts) expect(w).toBeGreaterThanOrEqual(width * 0.7);
}

describe('the report on a phone', () => {
  for (const width of [420, 360]) {
    it(`reflows at ${width} px: no sideways scrolling, readable cards, nothing clipped`, async () => {
      const page = await open(width);
      try {
        expectReadable((await page.evaluate(MEASURE)) as Layout, width);

        // The drill-down of a payer, opened from the scorecard, fits too.
        await page.locator('#scorecard tbody tr .payer-cell button').first().click();
        await page.waitForTimeout(200);
        expectReadable((await page.evaluate(MEASURE)) as Layout, width);
      } finally {
        await page.close();
      }
    });
  }

  it('keeps wide tables scrolling inside their own box, not the page', async () => {
    const page = await open(420);
    try {
      const boxes = (await page.evaluate(`[...document.querySelectorAll('.table-wrap')].map((w) => ({
        scroll: w.scrollWidth, client: w.clientWidth, right: w.getBoundingClientRect().right }))`)) as {
        scroll: number;
        client: number;
        right: number;
      }[];
      expect(boxes.length).toBeGreaterThan(0);
      for (const b of boxes) expect(b.right).toBeLessThanOrEqual(420);
      // The scorecard has more columns than a phone shows: it scrolls in its box.
      expect(boxes.some((b) => b.scroll > b.client)).toBe(true);
    } finally {
      await page.close();
    }
  });
});
