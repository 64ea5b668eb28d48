import { readAlerts } from '../alerts/readAlerts.ts';
import { readAppeals } from '../appeals/readAppeals.ts';
import { parseCents } from '../core/money.ts';
import type { Warehouse } from '../ports/warehouse.ts';

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

/** Reads the digest from the marts (views in the warehouse: payer_scorecard, takeback_appeals, takeback_alerts, liquidity_forecast). */
export async function loadDigest(warehouse: Warehouse, options: LoadDigestOptions = {}): Promise<Digest> {
  const marts = new Set(
    (await warehouse.query('SELECT table_name FROM information_schema.tables')).rows.map((r) =>
      String(r.table_name),
    ),
  );
  // Payer names as the models name them (dim_payers: the name on the payer's latest 835), from
  // the scorecard; a lake built before names were in the marts shows payer ids.
  const names = new Map<string, string>();
  if (marts.has('payer_scorecard')) {
    const columns = (await warehouse.query('DESCRIBE payer_scorecard')).rows.map((r) =>
      String(r.column_name),
    );
    if (columns.includes('payer_name')) {
      const { rows } = await warehouse.query(
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
    const { rows } =
      await warehouse.query(`SELECT payer_id, CAST(window_start AS VARCHAR) AS window_start, CAST(window_end AS VARCHAR) AS window_end,
              CAST(paid AS VARCHAR) AS paid, CAST(takeback AS VARCHAR) AS takeback,
              CAST(net_takeback AS VARCHAR) AS net_takeback, recoupment_rate, trend
       FROM payer_scorecard ORDER BY rank, payer_id`);
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
    const due = await readAppeals(warehouse, { asOf: appealsAsOf, dueWithin: withinDays });
    appealsDue = {
      withinDays,
      count: due.rows.length,
      recoverable: due.rows.reduce((sum, r) => sum + cents(r.recoverable_amount), 0),
    };
  }

  const alerts = marts.has('takeback_alerts')
    ? (await readAlerts(warehouse)).map((a) => ({
        payer: nameOf(a.payer_id),
        cause: a.cause,
        weekStart: a.week_start,
        takeback: a.takeback,
        baseline: a.baseline,
      }))
    : [];

  let flaggedWeeks: Digest['flaggedWeeks'] = [];
  if (marts.has('liquidity_forecast')) {
    const { rows } =
      await warehouse.query(`SELECT payer_id, CAST(week_start AS VARCHAR) AS week_start, takeback_share,
              CAST(net_cash_p50 AS VARCHAR) AS net_cash_p50
       FROM liquidity_forecast WHERE flag ORDER BY week_start, payer_id`);
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

// The renderers live apart (no DuckDB in their imports: the digest Lambda bundles them alone).
export { renderDigestHtml, renderDigestJson, renderDigestText } from './render.ts';
