import { escapeHtml, inlineScript, jsonForScript } from './escape.ts';
import type { ReportData } from './loadReportData.ts';

/**
 * What the page inlines besides its data: its styles (assets/report.css), its script
 * (assets/report.js, bundled from page/*.ts by `npm run build:report`) and ECharts' one-file
 * build. functions/adapters/reportAssets.ts reads them from the files.
 */
export interface ReportAssets {
  css: string;
  script: string;
  echarts: string;
}

/**
 * Renders the report as one self-contained HTML document: styles, ECharts and the page script
 * (assets/report.js, bundled from page/*.ts by `npm run build:report`) inlined, the data embedded
 * as JSON; the page builds its tables and charts from that JSON with DOM text nodes only, so
 * nothing in the data is ever parsed as HTML.
 */
export function renderReportHtml(data: ReportData, assets: ReportAssets, notices: string[] = []): string {
  const title = escapeHtml(data.title);
  const subtitle = escapeHtml(
    data.period.from && data.period.to
      ? `Payments ${data.period.from} to ${data.period.to}`
      : 'No remittances in this lake yet',
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'none'">
<meta name="generator" content="recoup report">
<title>${title}</title>
<style>
${assets.css}
</style>
</head>
<body>
<header class="masthead">
  <div class="masthead-inner">
    <div class="brand">recoup · takeback report</div>
    <h1>${title}</h1>
    <p class="subtitle" id="subtitle">${subtitle}</p>
    <div class="kpis" id="kpis" aria-label="Headline figures"></div>
  </div>
</header>
<nav class="toc" aria-label="Sections">
  <a href="#scorecard">Scorecard</a><a href="#links">Links</a><a href="#trends">Trends</a><a href="#breakdowns">Causes &amp; providers</a><a href="#forecast">13-week forecast</a><a href="#alerts">Alerts</a><a href="#appeals">Appeals due</a><a href="#cohorts">Cohorts</a><a href="#closes">Closed months</a><a href="#drilldown">Drill-down</a>
</nav>
<main id="report">
${notices.map((n) => `<p class="notice stale" role="alert">${escapeHtml(n)}</p>`).join('\n')}
<noscript><p class="notice">This report draws its tables and charts with JavaScript; enable it to read the report.</p></noscript>
</main>
<footer class="footer" id="footer"></footer>
<script type="application/json" id="report-data">${jsonForScript(data)}</script>
<script>${inlineScript(assets.echarts)}</script>
<script>${inlineScript(assets.script)}</script>
</body>
</html>
`;
}
