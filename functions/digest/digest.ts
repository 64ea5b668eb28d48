import type { DuckDBConnection } from '@duckdb/node-api';
import { runQuery } from '../adapters/duckdb/runQuery.ts';
import { dollars } from '../alerts/alertMessage.ts';
import { readAlerts } from '../alerts/readAlerts.ts';
import { readAppeals } from '../appeals/readAppeals.ts';
import { parseCents } from '../core/money.ts';
import { escapeHtml } from '../report/escape.ts';

/**
 * The weekly digest for leadership: the scorecard's top lines per payer, appeals due soon,
 * current alerts and forecast-flagged weeks. PHI-free by construction: it reads payers, amounts,
 * counts and dates only (no claim, no CLP01, no patient, no member id), so it may be e-mailed.
 */
export interface Digest {
  /** The marts' as-of date (the scorecard window's end), null on an empty lake. */
  asOf: string | null;
  windowStart: string | null;
  /** The date appeal days count to (given, else today). */
  appealsAsOf: string;
  payers: DigestPayer[];
  appealsDue: { withinDays: number; count: number; recoverable: number };
  alerts: { payer: string; cause: string | null; weekStart: string; takeback: number; baseline: number }[];
  /** Forecast weeks whose expected takebacks pass 20% of expected payments (liquidity_forecast.flag). */
  flaggedWeeks: { payer: string; weekStart: string; takebackShare: number | null; netCashP50: number }[];
  /** Where the full report is (a presigned URL, an S3 console path or a file), when known. */
  reportLink: string | null;
}

export interface DigestPayer {
  payerId: string;
  /** The payer's name, else its id. */
  payer: string;
  /** Money in cents (integer). */
  paid: number;
  takeback: number;
  netTakeback: number;
  /** Takeback / paid in the window; null without payments. */
  rate: number | null;
  trend: 'up' | 'down' | 'flat' | null;
}

export interface LoadDigestOptions {
  /** Appeal days count to this date (default today, UTC). */
  asOf?: string;
  /** Appeals due within this many days (default 7). */
  dueWithinDays?: number;
  reportLink?: string | null;
}

/** Reads the digest from the marts (views in `db`: payer_scorecard, takeback_appeals, takeback_alerts, liquidity_forecast). */
export async function loadDigest(db: DuckDBConnection, options: LoadDigestOptions = {}): Promise<Digest> {
  const marts = new Set(
    (await runQuery(db, 'SELECT table_name FROM information_schema.tables')).rows.map((r) =>
      String(r.table_name),
    ),
  );
  // Payer names as the models name them (int_payers: the name on the payer's latest 835), from
  // the scorecard; a lake built before names were in the marts shows payer ids.
  const names = new Map<string, string>();
  if (marts.has('payer_scorecard')) {
    const columns = (await runQuery(db, 'DESCRIBE payer_scorecard')).rows.map((r) => String(r.column_name));
    if (columns.includes('payer_name')) {
      const { rows } = await runQuery(
        db,
        'SELECT payer_id, payer_name FROM payer_scorecard WHERE payer_name IS NOT NULL',
      );
      for (const r of rows) names.set(String(r.payer_id), String(r.payer_name));
    }
  }
  const nameOf = (id: unknown) => names.get(String(id)) ?? String(id);
  const cents = (v: unknown) => parseCents(String(v ?? '0')) ?? 0;

  let payers: DigestPayer[] = [];
  let asOf: string | null = null;
  let windowStart: string | null = null;
  if (marts.has('payer_scorecard')) {
    const { rows } = await runQuery(
      db,
      `SELECT payer_id, CAST(window_start AS VARCHAR) AS window_start, CAST(window_end AS VARCHAR) AS window_end,
              CAST(paid AS VARCHAR) AS paid, CAST(takeback AS VARCHAR) AS takeback,
              CAST(net_takeback AS VARCHAR) AS net_takeback, recoupment_rate, trend
       FROM payer_scorecard ORDER BY rank, payer_id`,
    );
    payers = rows.map((r) => ({
      payerId: String(r.payer_id),
      payer: nameOf(r.payer_id),
      paid: cents(r.paid),
      takeback: cents(r.takeback),
      netTakeback: cents(r.net_takeback),
      rate: r.recoupment_rate === null || r.recoupment_rate === undefined ? null : Number(r.recoupment_rate),
      trend: ['up', 'down', 'flat'].includes(String(r.trend))
        ? (String(r.trend) as DigestPayer['trend'])
        : null,
    }));
    const ends = rows.map((r) => String(r.window_end)).sort();
    asOf = ends[ends.length - 1] ?? null;
    windowStart = rows.map((r) => String(r.window_start)).sort()[0] ?? null;
  }

  const withinDays = options.dueWithinDays ?? 7;
  const appealsAsOf = options.asOf ?? new Date().toISOString().slice(0, 10);
  let appealsDue = { withinDays, count: 0, recoverable: 0 };
  if (marts.has('takeback_appeals')) {
    const due = await readAppeals(db, { asOf: appealsAsOf, dueWithin: withinDays });
    appealsDue = {
      withinDays,
      count: due.rows.length,
      recoverable: due.rows.reduce((sum, r) => sum + cents(r.recoverable_amount), 0),
    };
  }

  const alerts = marts.has('takeback_alerts')
    ? (await readAlerts(db)).map((a) => ({
        payer: nameOf(a.payer_id),
        cause: a.cause,
        weekStart: a.week_start,
        takeback: a.takeback,
        baseline: a.baseline,
      }))
    : [];

  let flaggedWeeks: Digest['flaggedWeeks'] = [];
  if (marts.has('liquidity_forecast')) {
    const { rows } = await runQuery(
      db,
      `SELECT payer_id, CAST(week_start AS VARCHAR) AS week_start, takeback_share,
              CAST(net_cash_p50 AS VARCHAR) AS net_cash_p50
       FROM liquidity_forecast WHERE flag ORDER BY week_start, payer_id`,
    );
    flaggedWeeks = rows.map((r) => ({
      payer: nameOf(r.payer_id),
      weekStart: String(r.week_start),
      takebackShare:
        r.takeback_share === null || r.takeback_share === undefined ? null : Number(r.takeback_share),
      netCashP50: cents(r.net_cash_p50),
    }));
  }
  return {
    asOf,
    windowStart,
    appealsAsOf,
    payers,
    appealsDue,
    alerts,
    flaggedWeeks,
    reportLink: options.reportLink ?? null,
  };
}

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
