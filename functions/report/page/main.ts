/**
 * recoup report page script (bundled by `npm run build:report` into ../assets/report.js). Builds
 * every table and chart from the embedded JSON, with DOM text nodes only (never innerHTML), so a
 * payer name can never become markup. Each section is drawn apart: one that fails says so in its
 * place and the others are drawn.
 */
import { renderAlerts } from './alerts.ts';
import { renderAppeals } from './appeals.ts';
import { renderBreakdowns } from './breakdowns.ts';
import { charts } from './charts.ts';
import { renderCloses } from './closes.ts';
import { renderCohorts } from './cohorts.ts';
import { card, notice } from './dom.ts';
import { renderDrill, selectPayer } from './drilldown.ts';
import { renderForecast } from './forecast.ts';
import { titleCase } from './format.ts';
import { renderFooter, renderHeader } from './header.ts';
import { state } from './payers.ts';
import { renderLinkRules, renderScorecard } from './scorecard.ts';
import { renderTrends } from './trends.ts';

function safely(name: string, render: () => void): void {
  try {
    render();
  } catch (error) {
    console.error(`report section ${name} failed`, error);
    notice(
      card(`${name}-error`, titleCase(name), null),
      `This section could not be drawn: ${(error as Error | null)?.message ? (error as Error).message : error}`,
    );
  }
}

renderHeader();
safely('scorecard', renderScorecard);
safely('links', renderLinkRules);
safely('trends', renderTrends);
safely('breakdowns', renderBreakdowns);
safely('forecast', renderForecast);
safely('alerts', renderAlerts);
safely('appeals', renderAppeals);
safely('cohorts', renderCohorts);
safely('closes', renderCloses);
safely('drilldown', renderDrill);
renderFooter();
selectPayer(state.selectedPayer, false);

// A section scrolled to (a nav link, an alert card's PLB link) starts below the sticky nav,
// which wraps to several lines on a phone.
const toc = document.querySelector<HTMLElement>('.toc');
const measureToc = () => {
  if (toc) document.documentElement.style.setProperty('--toc-height', `${toc.offsetHeight}px`);
};
measureToc();
const resize = () => {
  for (const c of charts) c.resize();
  measureToc();
};
window.addEventListener('resize', resize);
window.addEventListener('beforeprint', resize);
window.addEventListener('afterprint', resize);
if (window.matchMedia) window.matchMedia('print').addEventListener('change', resize);
document.documentElement.setAttribute('data-report-ready', 'true');
