import { dollars } from '../alerts/alertMessage.ts';
import { escapeHtml } from '../report/escape.ts';
import type { Digest } from './digest.ts';

/** The digest as text, JSON and HTML (pure: no DuckDB, so the digest Lambda stays small). */

const ARROWS: Record<string, string> = { up: '▲', down: '▼', flat: '▶' };
const WIDTH = 80;

function clip(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

/** Why a forecast week is flagged. */
function flagText(f: { takebackShare: number | null }): string {
  return f.takebackShare === null
    ? 'takebacks expected, no payments'
    : `takebacks ${percent(f.takebackShare)} of payments`;
}

function percent(rate: number | null): string {
  return rate === null ? '—' : `${(rate * 100).toFixed(1)}%`;
}

/** The digest as plain text, every line at most 80 columns (an e-mail body, a terminal). */
export function renderDigestText(d: Digest): string {
  const lines: string[] = [];
  lines.push(
    clip(
      `recoup digest${d.asOf ? `, as of ${d.asOf}` : ''}${d.windowStart && d.asOf ? ` (scorecard ${d.windowStart} to ${d.asOf})` : ''}`,
      WIDTH,
    ),
    '',
  );
  if (d.payers.length === 0) lines.push('No scorecard yet: run recoup build.');
  else {
    const header = `${'payer'.padEnd(24)} ${'paid'.padStart(14)} ${'takeback'.padStart(13)} ${'net'.padStart(13)} ${'rate'.padStart(7)}  `;
    lines.push(header.trimEnd(), '─'.repeat(header.length));
    for (const p of d.payers) {
      lines.push(
        `${clip(p.payer, 24).padEnd(24)} ${dollars(p.paid).padStart(14)} ${dollars(p.takeback).padStart(13)} ` +
          `${dollars(p.netTakeback).padStart(13)} ${percent(p.rate).padStart(7)} ${p.trend ? ARROWS[p.trend] : ' '}`,
      );
    }
  }
  lines.push('');
  const due = d.appealsDue;
  lines.push(
    clip(
      due.count === 0
        ? `Appeals due within ${due.withinDays} days of ${d.appealsAsOf}: none.`
        : `Appeals due within ${due.withinDays} days of ${d.appealsAsOf}: ${due.count}, ${dollars(due.recoverable)} recoverable.`,
      WIDTH,
    ),
  );
  lines.push('');
  if (d.alerts.length === 0) lines.push('Takeback alerts: none.');
  else {
    lines.push(`Takeback alerts: ${d.alerts.length}`);
    for (const a of d.alerts)
      lines.push(
        clip(
          `  ${a.payer}${a.cause ? ` / ${a.cause}` : ''}, week of ${a.weekStart}: ${dollars(a.takeback)} vs ${dollars(a.baseline)} usual`,
          WIDTH,
        ),
      );
  }
  lines.push('');
  if (d.flaggedWeeks.length === 0) lines.push('Forecast-flagged weeks: none.');
  else {
    lines.push(`Forecast-flagged weeks: ${d.flaggedWeeks.length}`);
    for (const f of d.flaggedWeeks)
      lines.push(clip(`  ${clip(f.payer, 26)}, week of ${f.weekStart}: ${flagText(f)}`, WIDTH));
  }
  if (d.reportLink) {
    lines.push('', 'Full report:');
    // A link is not cut: mail clients wrap it themselves.
    lines.push(d.reportLink);
  }
  return `${lines.join('\n')}\n`;
}

/** The digest as JSON: money as exact decimal strings. */
export function renderDigestJson(d: Digest): string {
  const money = (cents: number) => dollars(cents).replace(/[$,]/g, '');
  return `${JSON.stringify(
    {
      as_of: d.asOf,
      window_start: d.windowStart,
      appeals_as_of: d.appealsAsOf,
      payers: d.payers.map((p) => ({
        payer_id: p.payerId,
        payer: p.payer,
        paid: money(p.paid),
        takeback: money(p.takeback),
        net_takeback: money(p.netTakeback),
        recoupment_rate: p.rate,
        trend: p.trend,
      })),
      appeals_due: {
        within_days: d.appealsDue.withinDays,
        count: d.appealsDue.count,
        recoverable: money(d.appealsDue.recoverable),
      },
      alerts: d.alerts.map((a) => ({
        payer: a.payer,
        cause: a.cause,
        week_start: a.weekStart,
        takeback: money(a.takeback),
        baseline: money(a.baseline),
      })),
      forecast_flagged_weeks: d.flaggedWeeks.map((f) => ({
        payer: f.payer,
        week_start: f.weekStart,
        takeback_share: f.takebackShare,
        net_cash_p50: money(f.netCashP50),
      })),
      report_link: d.reportLink,
    },
    null,
    2,
  )}\n`;
}

/** The digest as a small HTML e-mail body (inline styles only, no script, no external resource). */
export function renderDigestHtml(d: Digest): string {
  const e = escapeHtml;
  const rows = d.payers
    .map(
      (p) =>
        `<tr><td>${e(p.payer)}</td><td style="text-align:right">${e(dollars(p.paid))}</td><td style="text-align:right">${e(dollars(p.takeback))}</td><td style="text-align:right">${e(dollars(p.netTakeback))}</td><td style="text-align:right">${e(percent(p.rate))}</td><td>${p.trend ? ARROWS[p.trend] : ''}</td></tr>`,
    )
    .join('');
  const list = (items: string[]) =>
    items.length === 0 ? '<p>None.</p>' : `<ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>recoup digest</title></head><body style="font-family:sans-serif">
<h1 style="font-size:1.2em">recoup digest${d.asOf ? `, as of ${e(d.asOf)}` : ''}</h1>
<table style="border-collapse:collapse"><thead><tr><th>Payer</th><th>Paid</th><th>Takeback</th><th>Net</th><th>Rate</th><th></th></tr></thead><tbody>${rows}</tbody></table>
<h2 style="font-size:1em">Appeals due within ${d.appealsDue.withinDays} days</h2><p>${d.appealsDue.count} takebacks, ${e(dollars(d.appealsDue.recoverable))} recoverable.</p>
<h2 style="font-size:1em">Takeback alerts</h2>${list(d.alerts.map((a) => `${e(a.payer)}${a.cause ? ` / ${e(a.cause)}` : ''}, week of ${e(a.weekStart)}: ${e(dollars(a.takeback))} vs ${e(dollars(a.baseline))} usual`))}
<h2 style="font-size:1em">Forecast-flagged weeks</h2>${list(d.flaggedWeeks.map((f) => `${e(f.payer)}, week of ${e(f.weekStart)}: ${e(flagText(f))}, net cash ${e(dollars(f.netCashP50))}`))}
${d.reportLink ? `<p><a href="${e(d.reportLink)}">The full report</a></p>` : ''}
</body></html>
`;
}
