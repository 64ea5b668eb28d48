import { type AppealStatus, readAppeals } from '../appeals/readAppeals.ts';
import type { CloseManifest } from '../close/periods.ts';
import { type MartColumnName, type MartName, type MartRow, martColumns } from '../core/lake/martSchema.ts';
import { formatCents, parseCents } from '../core/money.ts';
import { sqlIdent, sqlString, type Warehouse } from '../ports/warehouse.ts';

/**
 * The report reads the marts by the names of their contract (functions/core/lake/martSchema.ts):
 * each section lists the columns it selects as `MartColumnName`s and types its rows with `MartRow`,
 * so a column renamed, removed or retyped in the contract fails the typecheck here and in the page
 * modules (page/types.ts), and a mart that lacks a column of its contract fails `recoup build`.
 * Money is an exact decimal string, dates ISO strings, counts and rates numbers; any may be null.
 */

/** One section of the report: its rows, or why it is missing. */
export interface Section<T> {
  available: boolean;
  /** Set when not available: what to run to get it. */
  reason?: string;
  data: T;
}

type Scorecard = MartRow<'payer_scorecard'>;
type Trend = MartRow<'takeback_trend'>;
type Rates = MartRow<'recoupment_rates'>;
type Forecast = MartRow<'liquidity_forecast'>;
type Alerts = MartRow<'takeback_alerts'>;
type Links = MartRow<'takeback_links'>;
type Appeals = MartRow<'takeback_appeals'>;
type Cohorts = MartRow<'recoupment_cohorts'>;
type Restatements = MartRow<'period_restatements'>;

/** The columns of mart M a section selects, checked against the contract. */
type Columns<M extends MartName> = readonly MartColumnName<M>[];

/** payer_scorecard columns the report shows as they are. */
const SCORECARD_COLUMNS = [
  'payer_id',
  'paid',
  'takeback',
  'net_takeback',
  'recoupment_rate',
  'net_recoupment_rate',
  'rank',
  'median_lag_days',
  'linked_share',
  'refunds',
  'interest',
  'outstanding_fb',
  'previous_recoupment_rate',
  'window_start',
  'window_end',
  // A payer with no 835 in the trailing window is scored on its own last weeks (active = false).
  'active',
  'last_payment_date',
  // How the window's takebacks were linked, by rule (docs/models.md "Linking rules").
  'reversal_count',
  'corrected_share',
  'correction_share_original_reference',
  'correction_share_payer_claim_control',
  'correction_share_claim_id_service_dates',
  'correction_share_claim_id_charge',
  'correction_share_claim_id',
  'plb_recovery_count',
  'plb_linked_share',
  'plb_share_icn',
  'plb_share_claim_id',
  'plb_share_composite_icn',
  'plb_share_composite_claim_id',
  'over_recoupment_count',
  'over_recoupment_amount',
] as const satisfies Columns<'payer_scorecard'>;

/** The scorecard's trend words (sql/marts/payer_scorecard.sql). */
export const TRENDS = ['up', 'down', 'flat'] as const;

/** A payer's row of payer_scorecard; its name is the mart's, else the lake's latest. */
export type ScorecardRow = Pick<Scorecard, (typeof SCORECARD_COLUMNS)[number] | 'payer_name'> & {
  trend: (typeof TRENDS)[number] | null;
};

/** A payer's week or month of takeback_trend. */
export type TrendRow = Pick<Trend, 'payer_id' | 'paid' | 'takeback' | 'net_takeback'> & {
  period: Trend['period_start'];
  /** The as-of date falls inside the period (partial_period): its totals are of part of it. */
  partial: Trend['partial_period'];
};

/** Takebacks summed by cause over the periods (recoupment_rates, grain cause / payer_cause). */
export type CauseRow = Pick<Rates, 'cause' | 'takeback' | 'net_takeback' | 'takeback_count'>;
/** Takebacks summed by provider (grain provider / payer_provider), rendering and billing apart. */
export type ProviderRow = Pick<
  Rates,
  'provider_npi' | 'provider_role' | 'takeback' | 'net_takeback' | 'takeback_count'
> & {
  /** The payee's name (N1*PE) when the NPI is a payee's. */
  provider_name: string | null;
};
/** A breakdown's rows of one payer. */
export type PayerRow<R> = R & Pick<Rates, 'payer_id'>;

const FORECAST_COLUMNS = [
  'payer_id',
  'week_start',
  'expected_payments',
  'takeback_p10',
  'takeback_p50',
  'takeback_p90',
  'scheduled_offsets',
  'net_cash_p50',
  'takeback_share',
  'flag',
] as const satisfies Columns<'liquidity_forecast'>;
export type ForecastRow = Pick<Forecast, (typeof FORECAST_COLUMNS)[number]>;

const ALERT_COLUMNS = [
  'grain',
  'payer_id',
  'cause',
  'week_start',
  'takeback',
  'baseline',
  'score',
  'excess',
  'top_claims',
  'top_providers',
  'top_causes',
] as const satisfies Columns<'takeback_alerts'>;
export type AlertRow = Pick<Alerts, (typeof ALERT_COLUMNS)[number]> & {
  /** For each top claim, a PLB offset's reference (null for a reversal or an unknown key). */
  top_claim_references?: (string | null)[];
};

const DRILL_COLUMNS = [
  'payer_id',
  'kind',
  'payment_date',
  'amount',
  'claim_id',
  'payer_claim_control',
  'original_payment_date',
  'correction_payment_date',
  'correction_repaid',
  'lag_days',
  'cause',
  'cause_reason_code',
  'reason_code',
  // A PLB offset's reference (member identifiers already removed at ingest): what names it when
  // it names no claim, and what the alert cards list as its top claim.
  'reference_id',
  'provider_npi',
  'original_paid',
  'correction_payer_claim_control',
] as const satisfies Columns<'takeback_links'>;
/** A takeback of takeback_links, as the drill-down lists it. */
export type DrillRow = Pick<Links, (typeof DRILL_COLUMNS)[number]> & {
  /** The PLB reference without the tokens that are a CLP01 in the lake: what the CSV carries. */
  reference_export: string | null;
};
/** A payer's takebacks in all (the drill-down embeds only the largest). */
export type DrillTotalRow = Pick<Links, 'payer_id'> & { takeback_count: number; takeback: Links['amount'] };

const APPEAL_COLUMNS = [
  'rank',
  'days_left',
  'appeal_deadline',
  'recoverable_amount',
  'amount',
  'payer_id',
  'kind',
  'reason_code',
  'payer_claim_control',
  'claim_id',
  'cause',
  'provider_npi',
  'payment_date',
] as const satisfies Columns<'takeback_appeals'>;
/** An open appeal of takeback_appeals, its days left and status counted to the report's date. */
export type AppealRow = Pick<Appeals, (typeof APPEAL_COLUMNS)[number]> & { status: AppealStatus };
export type AppealStatusRow = { status: AppealStatus; appeals: number; recoverable: string };

/** A payer × payment month of recoupment_cohorts, its development weeks as one list. */
export type CohortRow = Pick<Cohorts, 'payer_id' | 'cohort_paid' | 'cohort_rate' | 'net_cohort_rate'> & {
  cohort_month: string;
  /** Cumulative share of the month's paid taken back (cumulative_share), by development week. */
  shares: Cohorts['cumulative_share'][];
  /** Development weeks complete, -1 when none. */
  complete_weeks: number;
};

const RESTATEMENT_COLUMNS = [
  'payer_id',
  'metric',
  'cause',
  'reason',
  'source_key',
  'delta',
  'items',
  'reported_value',
  'current_value',
] as const satisfies Columns<'period_restatements'>;
export type RestatementRow = Pick<Restatements, (typeof RESTATEMENT_COLUMNS)[number]> & {
  /** The closed month, "2025-02". */
  period: string;
};
export type ClosedPeriodRow = { period: string; closed_at: string; restated: boolean; late_files: number };

export interface ReportData {
  title: string;
  generated_at: string;
  /** Last payment date the report covers (ISO date), or null for an empty lake. */
  as_of: string | null;
  period: { from: string | null; to: string | null };
  marts: { present: string[]; missing: string[] };
  payers: { payer_id: string; payer_name: string | null }[];
  /** Headline totals (exact decimal strings) and where they come from. */
  totals: {
    source: 'payer_scorecard' | 'recoupment_rates' | null;
    window_start: string | null;
    window_end: string | null;
    paid: string | null;
    takeback: string | null;
    net_takeback: string | null;
    recoupment_rate: number | null;
    refunds: string | null;
    interest: string | null;
    outstanding_fb: string | null;
  };
  scorecard: Section<ScorecardRow[]>;
  trend: Section<{ weekly: TrendRow[]; monthly: TrendRow[] }>;
  causes: Section<{ all: CauseRow[]; by_payer: PayerRow<CauseRow>[] }>;
  providers: Section<{ all: ProviderRow[]; by_payer: PayerRow<ProviderRow>[] }>;
  forecast: Section<{ as_of: string | null; rows: ForecastRow[] }>;
  alerts: Section<{ current_since: string | null; current: AlertRow[]; earlier_count: number }>;
  drill: Section<{ cap: number; totals: DrillTotalRow[]; rows: DrillRow[] }>;
  /** The appeals worklist: counts and money by status, and the open appeals most recoverable first. */
  appeals: Section<{ as_of: string | null; cap: number; by_status: AppealStatusRow[]; rows: AppealRow[] }>;
  /** Development triangles: per payer × payment month, the cumulative share taken back by week. */
  cohorts: Section<{ maturity_weeks: number | null; rows: CohortRow[] }>;
  /** Closed months and how each was restated since (period_restatements). */
  closes: Section<{ periods: ClosedPeriodRow[]; restatements: RestatementRow[] }>;
}

export interface LoadReportOptions {
  /** Report as of this date (YYYY-MM-DD): later payments, trend weeks and alerts are left out. */
  asOf?: string;
  /** Largest takebacks embedded per payer for the drill-down (default 500). */
  drillCap?: number;
  /** Weeks before the as-of week whose alerts count as current (default 4, the as-of week included). */
  currentAlertWeeks?: number;
  title?: string;
  /** Days left of appeals count to this date (default: `asOf`, else today). */
  appealsAsOf?: string;
  /** Open appeals embedded (default 100; the counts and totals cover all). */
  appealsCap?: number;
  /** The lake's closed months (listCloses), for the restated-period marks. */
  closes?: CloseManifest[];
  /**
   * False for a report that leaves the finance team (the one the AWS stack publishes for
   * leadership): no CLP01 (patient control number) anywhere in it. Claims are named by their ICN,
   * PLB references lose the tokens that hold a CLP01. Default true: the claims themselves.
   */
  claimIds?: boolean;
}

export const REQUIRED_MARTS = [
  'payer_scorecard',
  'takeback_trend',
  'recoupment_rates',
  'liquidity_forecast',
  'takeback_alerts',
  'takeback_links',
  'takeback_appeals',
  'recoupment_cohorts',
] as const satisfies readonly MartName[];

const BUILD_HINT = 'run `recoup build --lake DIR` to create it';

/** Whether a mart can be read: present with every column of its contract, or why not. */
type MartState = { ready: true } | { ready: false; reason: string };

/**
 * Reads everything the HTML report shows from the lake views and marts (created beforehand with
 * createLakeViews). A missing mart leaves its section unavailable, with the reason; so does a mart
 * an older build wrote without a column of today's contract (never a column of empty cells).
 */
export async function loadReportData(db: Warehouse, options: LoadReportOptions = {}): Promise<ReportData> {
  const views = await listViews(db);
  const state = async (mart: MartName): Promise<MartState> => {
    if (!views.has(mart))
      return { ready: false, reason: `the ${mart} mart is not in this lake; ${BUILD_HINT}` };
    const described = await columnsOf(db, mart);
    const missing = martColumns(mart)
      .map((c) => c.name)
      .filter((name) => !described.has(name));
    return missing.length === 0
      ? { ready: true }
      : {
          ready: false,
          reason: `${mart} is from an older build (no ${missing.join(', ')}); run \`recoup build --lake DIR\` again`,
        };
  };
  const drillCap = options.drillCap ?? 500;
  const currentWeeks = options.currentAlertWeeks ?? 4;

  // The as-of date is bound once into a temp table; every query reads it from there.
  await db.run('CREATE OR REPLACE TEMP TABLE report_params AS SELECT CAST($1 AS DATE) AS requested', [
    options.asOf ?? null,
  ]);
  await db.run(`CREATE OR REPLACE TEMP TABLE report_as_of AS
    SELECT coalesce(requested, (SELECT max(payment_date) FROM remittances)) AS as_of,
      CAST(date_trunc('week', coalesce(requested, (SELECT max(payment_date) FROM remittances))) AS DATE) AS as_of_week
    FROM report_params`);
  const meta = await one<{ as_of: string | null; period_from: string | null; period_to: string | null }>(
    db,
    `SELECT strftime(a.as_of, '%Y-%m-%d') AS as_of, strftime(min(r.payment_date), '%Y-%m-%d') AS period_from,
       strftime(max(r.payment_date), '%Y-%m-%d') AS period_to
     FROM report_as_of AS a LEFT JOIN remittances AS r ON r.payment_date <= a.as_of GROUP BY a.as_of`,
  );

  const payers = await rows<{ payer_id: string; payer_name: string | null }>(
    db,
    `SELECT payer_id, arg_max(payer_name, payment_date) AS payer_name
     FROM remittances, report_as_of WHERE payment_date <= as_of GROUP BY payer_id ORDER BY payer_id`,
  );

  const present = [...views].filter((v) => (REQUIRED_MARTS as readonly string[]).includes(v)).sort();
  const missing = REQUIRED_MARTS.filter((m) => !views.has(m));
  const links = await state('takeback_links');
  const rates = await state('recoupment_rates');
  const scorecard = await loadScorecard(db, await state('payer_scorecard'));

  const data: ReportData = {
    title: options.title ?? 'Payer takeback report',
    generated_at: new Date().toISOString(),
    as_of: meta?.as_of ?? null,
    period: { from: meta?.period_from ?? null, to: meta?.period_to ?? null },
    marts: { present, missing: [...missing] },
    payers,
    totals: await loadTotals(db, scorecard, rates),
    scorecard,
    trend: await loadTrend(db, await state('takeback_trend')),
    causes: await loadCauses(db, rates),
    providers: await loadProviders(db, rates),
    forecast: await loadForecast(db, await state('liquidity_forecast')),
    alerts: await loadAlerts(
      db,
      await state('takeback_alerts'),
      currentWeeks,
      links.ready,
      options.claimIds !== false,
    ),
    drill: await loadDrill(db, links, drillCap),
    appeals: await loadAppeals(
      db,
      await state('takeback_appeals'),
      options.appealsAsOf ?? options.asOf ?? new Date().toISOString().slice(0, 10),
      options.appealsCap ?? 100,
    ),
    cohorts: await loadCohorts(db, await state('recoupment_cohorts')),
    closes: await loadCloses(db, await state('period_restatements'), options.closes ?? []),
  };
  // One name per payer, the marts' (dim_payers: the name on its latest 835); the lake's own
  // remittances only for a payer the scorecard does not name.
  const named = new Map(
    data.scorecard.data.flatMap((r) =>
      r.payer_id !== null && r.payer_name !== null ? [[r.payer_id, r.payer_name] as const] : [],
    ),
  );
  for (const p of data.payers) p.payer_name = named.get(p.payer_id) ?? p.payer_name;
  if (options.claimIds === false) {
    for (const r of data.drill.data.rows) {
      r.claim_id = null;
      r.reference_id = r.reference_export;
    }
    for (const r of data.appeals.data.rows) r.claim_id = null;
  }
  return data;
}

function unavailable<T>(state: { reason: string }, empty: T): Section<T> {
  return { available: false, reason: state.reason, data: empty };
}

/** A column of mart M, quoted (optionally qualified): a name its contract lacks fails the typecheck. */
function col<M extends MartName>(_mart: M, name: MartColumnName<M>, table?: string): string {
  return `${table === undefined ? '' : `${table}.`}${sqlIdent(name)}`;
}

/** The select list of columns of mart M, as they are. */
function list<M extends MartName>(mart: M, names: Columns<M>, table?: string): string {
  return names.map((name) => col(mart, name, table)).join(', ');
}

/** A query's rows, typed as its select list gives them (the Warehouse port's JSON-safe values). */
async function rows<R>(db: Warehouse, sql: string): Promise<R[]> {
  return (await db.query(sql)).rows as R[];
}

async function one<R>(db: Warehouse, sql: string): Promise<R | undefined> {
  return (await rows<R>(db, sql))[0];
}

/**
 * Alerts name their claims by takeback_id only (they leave the lake); the report stays with the
 * finance team, so it shows the claims themselves: CLP01 with the ICN, or the PLB reference,
 * looked up in takeback_links. A key it cannot find is shown as it is. `top_claim_references`
 * gives, for each top claim, the reference of a PLB offset (null for a reversal or an unknown key):
 * the alert card links it to the drill-down filtered to that reference.
 */
async function resolveClaimKeys(db: Warehouse, alerts: AlertRow[], claimIds: boolean): Promise<void> {
  const keys = [...new Set(alerts.flatMap((r) => r.top_claims ?? []))];
  if (keys.length === 0) return;
  const c = (name: MartColumnName<'takeback_links'>) => col('takeback_links', name);
  const found = await rows<
    Pick<Links, 'takeback_id' | 'payer_id' | 'claim_id' | 'reference_id'> & {
      label: string | null;
      icn_label: string | null;
      plb_reference: string | null;
    }
  >(
    db,
    `SELECT ${list('takeback_links', ['takeback_id', 'payer_id', 'claim_id', 'reference_id'])},
       coalesce(${c('claim_id')} || coalesce(' (ICN ' || ${c('payer_claim_control')} || ')', ''),
                ${c('payer_claim_control')}, ${c('reference_id')}) AS label,
       'ICN ' || ${c('payer_claim_control')} AS icn_label,
       CASE WHEN ${c('kind')} = 'plb' THEN ${c('reference_id')} END AS plb_reference
     FROM takeback_links WHERE ${c('takeback_id')} IN (${keys.map(sqlString).join(', ')})`,
  );
  const named = claimIds
    ? found
    : // Without CLP01: the ICN names a claim; a reference keeps only its tokens that hold none.
      (await addExportReferences(db, found)).map((r) => ({
        ...r,
        label: r.icn_label ?? r.reference_export,
        plb_reference: r.plb_reference === null ? null : r.reference_export,
      }));
  const labels = new Map(
    named.flatMap((r) =>
      r.takeback_id !== null && r.label !== null ? [[r.takeback_id, r.label] as const] : [],
    ),
  );
  const references = new Map(
    named.flatMap((r) =>
      r.takeback_id !== null && r.plb_reference !== null ? [[r.takeback_id, r.plb_reference] as const] : [],
    ),
  );
  for (const alert of alerts) {
    if (alert.top_claims === null) continue;
    alert.top_claim_references = alert.top_claims.map((key) => references.get(key) ?? null);
    alert.top_claims = alert.top_claims.map((key) => labels.get(key) ?? key);
  }
}

/**
 * Adds `reference_export` to takeback_links rows: a PLB offset's reference as the page's CSV
 * export carries it, without the tokens that hold a CLP01 (patient control number) of a claim of
 * the same payer in the lake, or of the row's own claim; null when nothing else remains. The page
 * shows the whole reference; a file exported from it may travel further.
 */
async function addExportReferences<R extends Pick<Links, 'payer_id' | 'claim_id' | 'reference_id'>>(
  db: Warehouse,
  linkRows: R[],
): Promise<(R & { reference_export: string | null })[]> {
  const tokensOf = (token: string) => [token, ...token.split(/[^A-Za-z0-9]+/)].filter((t) => t !== '');
  const candidates = new Set<string>();
  for (const r of linkRows)
    if (r.reference_id !== null)
      for (const token of r.reference_id.split(/\s+/)) for (const t of tokensOf(token)) candidates.add(t);
  const claimIds = new Map<string, Set<string>>();
  const hasClaims = await one<{ n: number }>(
    db,
    "SELECT count(*) AS n FROM information_schema.columns WHERE table_name = 'claims' AND column_name IN ('payer_id', 'claim_id')",
  );
  if (candidates.size > 0 && hasClaims?.n === 2) {
    const found = await db.query(
      `SELECT DISTINCT payer_id, claim_id FROM claims
         WHERE claim_id IN (SELECT unnest(string_split($1, chr(10))))`,
      [[...candidates].join('\n')],
    );
    for (const { payer_id, claim_id } of found.rows) {
      const ids = claimIds.get(String(payer_id)) ?? new Set<string>();
      ids.add(String(claim_id));
      claimIds.set(String(payer_id), ids);
    }
  }
  return linkRows.map((r) => {
    if (r.reference_id === null) return { ...r, reference_export: null };
    const clp01 = new Set(claimIds.get(String(r.payer_id)));
    if (r.claim_id !== null) clp01.add(r.claim_id);
    const kept = r.reference_id
      .split(/\s+/)
      .filter((token) => token !== '' && !tokensOf(token).some((t) => clp01.has(t)));
    return { ...r, reference_export: kept.length > 0 ? kept.join(' ') : null };
  });
}

async function listViews(db: Warehouse): Promise<Set<string>> {
  const found = await rows<{ table_name: string }>(
    db,
    // Temp views too: buildModels leaves each mart as a temp view in the connection it used.
    'SELECT DISTINCT table_name FROM information_schema.tables',
  );
  return new Set(found.map((r) => r.table_name));
}

async function columnsOf(db: Warehouse, view: string): Promise<Set<string>> {
  const found = await rows<{ column_name: string }>(db, `DESCRIBE ${sqlIdent(view)}`);
  return new Set(found.map((r) => r.column_name));
}

async function loadScorecard(db: Warehouse, state: MartState): Promise<Section<ScorecardRow[]>> {
  if (!state.ready) return unavailable(state, []);
  const found = await rows<Omit<ScorecardRow, 'trend'> & { trend: string | null }>(
    db,
    `SELECT ${list('payer_scorecard', SCORECARD_COLUMNS, 's')},
       coalesce(${col('payer_scorecard', 'payer_name', 's')}, n.payer_name) AS payer_name, ${col('payer_scorecard', 'trend', 's')}
     FROM payer_scorecard AS s
     LEFT JOIN (SELECT payer_id, arg_max(payer_name, payment_date) AS payer_name FROM remittances GROUP BY payer_id) AS n
       ON n.payer_id = s.payer_id
     ORDER BY ${col('payer_scorecard', 'rank', 's')} NULLS LAST, s.payer_id`,
  );
  // The mart's own word (up / down / flat, NULL when a rate is missing).
  const data = found.map((r) => ({ ...r, trend: TRENDS.find((t) => t === r.trend) ?? null }));
  return { available: true, data };
}

async function loadTrend(
  db: Warehouse,
  state: MartState,
): Promise<Section<{ weekly: TrendRow[]; monthly: TrendRow[] }>> {
  if (!state.ready) return unavailable(state, { weekly: [], monthly: [] });
  const period = col('takeback_trend', 'period_start');
  const found = await rows<TrendRow & { grain: Trend['grain'] }>(
    db,
    `SELECT ${col('takeback_trend', 'payer_id')}, strftime(${period}, '%Y-%m-%d') AS period, ${col('takeback_trend', 'grain')},
       ${list('takeback_trend', ['takeback', 'net_takeback', 'paid'])},
       ${col('takeback_trend', 'partial_period')} AS partial
     FROM takeback_trend, report_as_of WHERE ${period} <= as_of ORDER BY payer_id, period`,
  );
  // grain is 'week' or 'month' (sql/tests/marts_hold_accepted_values.sql).
  const series = (grain: string) => found.filter((r) => r.grain === grain).map(({ grain: _, ...r }) => r);
  return { available: true, data: { weekly: series('week'), monthly: series('month') } };
}

/** The measures of a breakdown, summed over periods up to the as-of date. */
const MEASURES = `CAST(sum(${col('recoupment_rates', 'takeback', 't')}) AS DECIMAL(18,2)) AS takeback,
    CAST(sum(${col('recoupment_rates', 'net_takeback', 't')}) AS DECIMAL(18,2)) AS net_takeback,
    CAST(sum(${col('recoupment_rates', 'takeback_count', 't')}) AS BIGINT) AS takeback_count`;
const RATES_TO_AS_OF = `${col('recoupment_rates', 'period', 't')} <= (SELECT as_of FROM report_as_of)`;
const HAS_TAKEBACK = `HAVING sum(${col('recoupment_rates', 'takeback', 't')}) <> 0`;

async function loadCauses(
  db: Warehouse,
  state: MartState,
): Promise<Section<{ all: CauseRow[]; by_payer: PayerRow<CauseRow>[] }>> {
  if (!state.ready) return unavailable(state, { all: [], by_payer: [] });
  const cause = `coalesce(${col('recoupment_rates', 'cause', 't')}, 'unknown') AS cause`;
  const all = await rows<CauseRow>(
    db,
    `SELECT ${cause}, ${MEASURES} FROM recoupment_rates AS t
     WHERE grain = 'cause' AND ${RATES_TO_AS_OF} GROUP BY ALL ${HAS_TAKEBACK} ORDER BY takeback DESC`,
  );
  const byPayer = await rows<PayerRow<CauseRow>>(
    db,
    `SELECT * FROM (
       SELECT ${col('recoupment_rates', 'payer_id', 't')}, ${cause}, ${MEASURES} FROM recoupment_rates AS t
       WHERE grain = 'payer_cause' AND ${RATES_TO_AS_OF} GROUP BY ALL ${HAS_TAKEBACK}
     ) QUALIFY row_number() OVER (PARTITION BY payer_id ORDER BY takeback DESC) <= 15
     ORDER BY payer_id, takeback DESC`,
  );
  return { available: true, data: { all, by_payer: byPayer } };
}

/** The largest providers shown, overall and per payer. */
const PROVIDER_CAP = 30;

async function loadProviders(
  db: Warehouse,
  state: MartState,
): Promise<Section<{ all: ProviderRow[]; by_payer: PayerRow<ProviderRow>[] }>> {
  if (!state.ready) return unavailable(state, { all: [], by_payer: [] });
  // Rendering and billing (payee) NPIs stay apart (provider_role); a payee NPI is named from the lake.
  const npi = col('recoupment_rates', 'provider_npi', 't');
  const keys = `coalesce(${npi}, 'unknown') AS provider_npi, ${col('recoupment_rates', 'provider_role', 't')},
    any_value(p.provider_name) AS provider_name`;
  const names = `LEFT JOIN (SELECT payee_npi, arg_max(payee_name, payment_date) AS provider_name FROM remittances GROUP BY 1) AS p
    ON p.payee_npi = ${npi}`;
  const all = await rows<ProviderRow>(
    db,
    `SELECT ${keys}, ${MEASURES} FROM recoupment_rates AS t ${names}
     WHERE grain = 'provider' AND ${RATES_TO_AS_OF} GROUP BY ALL ${HAS_TAKEBACK} ORDER BY takeback DESC
     LIMIT ${PROVIDER_CAP}`,
  );
  const byPayer = await rows<PayerRow<ProviderRow>>(
    db,
    `SELECT * FROM (
       SELECT ${col('recoupment_rates', 'payer_id', 't')}, ${keys}, ${MEASURES} FROM recoupment_rates AS t ${names}
       WHERE grain = 'payer_provider' AND ${RATES_TO_AS_OF} GROUP BY ALL ${HAS_TAKEBACK}
     ) QUALIFY row_number() OVER (PARTITION BY payer_id ORDER BY takeback DESC) <= ${PROVIDER_CAP}
     ORDER BY payer_id, takeback DESC`,
  );
  return { available: true, data: { all, by_payer: byPayer } };
}

async function loadForecast(
  db: Warehouse,
  state: MartState,
): Promise<Section<{ as_of: string | null; rows: ForecastRow[] }>> {
  if (!state.ready) return unavailable(state, { as_of: null, rows: [] });
  const found = await rows<ForecastRow & { as_of: Forecast['as_of'] }>(
    db,
    `SELECT ${list('liquidity_forecast', FORECAST_COLUMNS)}, ${col('liquidity_forecast', 'as_of')}
     FROM liquidity_forecast ORDER BY payer_id, week_start`,
  );
  const asOf = found.find((r) => r.as_of !== null)?.as_of ?? null;
  return { available: true, data: { as_of: asOf, rows: found.map(({ as_of: _, ...r }) => r) } };
}

async function loadAlerts(
  db: Warehouse,
  state: MartState,
  currentWeeks: number,
  links: boolean,
  claimIds: boolean,
): Promise<Section<{ current_since: string | null; current: AlertRow[]; earlier_count: number }>> {
  if (!state.ready) return unavailable(state, { current_since: null, current: [], earlier_count: 0 });
  const since = `(SELECT as_of_week - ${7 * (currentWeeks - 1)} FROM report_as_of)`;
  const week = col('takeback_alerts', 'week_start');
  const found = await rows<AlertRow & { current: boolean }>(
    db,
    `SELECT ${list('takeback_alerts', ALERT_COLUMNS)}, ${week} >= ${since} AS current
     FROM takeback_alerts, report_as_of WHERE ${week} <= as_of
     ORDER BY week_start DESC, excess DESC, payer_id`,
  );
  const sinceRow = await one<{ since: string | null }>(db, `SELECT strftime(${since}, '%Y-%m-%d') AS since`);
  const current = found.filter((r) => r.current).map(({ current: _, ...r }): AlertRow => r);
  if (links) await resolveClaimKeys(db, current, claimIds);
  return {
    available: true,
    data: {
      current_since: sinceRow?.since ?? null,
      current,
      earlier_count: found.length - current.length,
    },
  };
}

async function loadDrill(
  db: Warehouse,
  state: MartState,
  cap: number,
): Promise<Section<{ cap: number; totals: DrillTotalRow[]; rows: DrillRow[] }>> {
  if (!state.ready) return unavailable(state, { cap, totals: [], rows: [] });
  const date = col('takeback_links', 'payment_date');
  const amount = col('takeback_links', 'amount');
  const where = `WHERE ${date} <= (SELECT as_of FROM report_as_of)`;
  const found = await rows<Omit<DrillRow, 'reference_export'>>(
    db,
    `SELECT ${list('takeback_links', DRILL_COLUMNS)} FROM takeback_links ${where}
     QUALIFY row_number() OVER (PARTITION BY payer_id ORDER BY ${amount} DESC, ${date} DESC) <= ${Math.floor(cap)}
     ORDER BY payer_id, amount DESC`,
  );
  const totals = await rows<DrillTotalRow>(
    db,
    `SELECT payer_id, count(*) AS takeback_count, CAST(sum(${amount}) AS DECIMAL(18,2)) AS takeback
     FROM takeback_links ${where} GROUP BY payer_id ORDER BY payer_id`,
  );
  return { available: true, data: { cap, totals, rows: await addExportReferences(db, found) } };
}

async function loadAppeals(
  db: Warehouse,
  state: MartState,
  asOf: string,
  cap: number,
): Promise<Section<{ as_of: string | null; cap: number; by_status: AppealStatusRow[]; rows: AppealRow[] }>> {
  if (!state.ready) return unavailable(state, { as_of: asOf, cap, by_status: [], rows: [] });
  // readAppeals selects every column of the mart, status and days left recounted to asOf.
  const all = (await readAppeals(db, { asOf, all: true })).rows as unknown as (Appeals & {
    status: AppealStatus;
  })[];
  // Counted and summed in integer cents, so the totals stay exact.
  const totals = new Map<AppealStatus, { appeals: number; cents: number }>();
  for (const r of all) {
    const t = totals.get(r.status) ?? { appeals: 0, cents: 0 };
    t.appeals++;
    t.cents += parseCents(String(r.recoverable_amount)) ?? 0;
    totals.set(r.status, t);
  }
  const byStatus = (['due_7_days', 'open', 'expired', 'repaid_by_correction'] as const).flatMap((status) => {
    const t = totals.get(status);
    return t === undefined ? [] : [{ status, appeals: t.appeals, recoverable: formatCents(t.cents) }];
  });
  const open = all.filter((r) => r.status === 'open' || r.status === 'due_7_days');
  const shown = open.slice(0, Math.max(0, Math.floor(cap))).map((r, i): AppealRow => {
    const row = Object.fromEntries(APPEAL_COLUMNS.map((c) => [c, r[c]])) as Pick<
      Appeals,
      (typeof APPEAL_COLUMNS)[number]
    >;
    return { ...row, rank: i + 1, status: r.status };
  });
  return { available: true, data: { as_of: asOf, cap, by_status: byStatus, rows: shown } };
}

async function loadCohorts(
  db: Warehouse,
  state: MartState,
): Promise<Section<{ maturity_weeks: number | null; rows: CohortRow[] }>> {
  if (!state.ready) return unavailable(state, { maturity_weeks: null, rows: [] });
  const c = (name: MartColumnName<'recoupment_cohorts'>) => col('recoupment_cohorts', name);
  // One row per payer × cohort month: the cumulative shares by development week, as a list.
  const found = await rows<CohortRow & { maturity_weeks: Cohorts['maturity_weeks'] }>(
    db,
    `SELECT ${c('payer_id')}, strftime(${c('cohort_month')}, '%Y-%m-%d') AS cohort_month,
       any_value(${c('cohort_paid')}) AS cohort_paid,
       list(${c('cumulative_share')} ORDER BY ${c('dev_week')}) AS shares,
       coalesce(max(${c('dev_week')}) FILTER (WHERE ${c('complete')}), -1)::INTEGER AS complete_weeks,
       any_value(${c('cohort_rate')}) AS cohort_rate, any_value(${c('net_cohort_rate')}) AS net_cohort_rate,
       any_value(${c('maturity_weeks')}) AS maturity_weeks
     FROM recoupment_cohorts GROUP BY ALL ORDER BY payer_id, cohort_month`,
  );
  const maturity = found.find((r) => r.maturity_weeks !== null)?.maturity_weeks ?? null;
  return {
    available: true,
    data: { maturity_weeks: maturity, rows: found.map(({ maturity_weeks: _, ...r }) => r) },
  };
}

async function loadCloses(
  db: Warehouse,
  state: MartState,
  closes: CloseManifest[],
): Promise<Section<{ periods: ClosedPeriodRow[]; restatements: RestatementRow[] }>> {
  if (closes.length === 0)
    return {
      available: false,
      reason: 'no month is closed in this lake; `recoup close --lake DIR --period YYYY-MM` closes one',
      data: { periods: [], restatements: [] },
    };
  const restatements = state.ready
    ? await rows<RestatementRow>(
        db,
        `SELECT strftime(${col('period_restatements', 'period')}, '%Y-%m') AS period, ${list('period_restatements', RESTATEMENT_COLUMNS)}
         FROM period_restatements ORDER BY period, payer_id, metric, reason, cause, source_key`,
      )
    : [];
  const periods = closes.map((c) => {
    const mine = restatements.filter((r) => r.period === c.period);
    return {
      period: c.period,
      closed_at: c.closed_at,
      restated: mine.length > 0,
      late_files: new Set(mine.flatMap((r) => (r.source_key === null ? [] : [r.source_key]))).size,
    };
  });
  if (!state.ready) return unavailable(state, { periods, restatements: [] });
  return { available: true, data: { periods, restatements } };
}

/** payer_scorecard's money columns the headline sums. */
const HEADLINE_MONEY = [
  'paid',
  'takeback',
  'net_takeback',
  'refunds',
  'interest',
  'outstanding_fb',
] as const satisfies Columns<'payer_scorecard'>;

async function loadTotals(
  db: Warehouse,
  scorecard: Section<ScorecardRow[]>,
  rates: MartState,
): Promise<ReportData['totals']> {
  const none: ReportData['totals'] = {
    source: null,
    window_start: null,
    window_end: null,
    paid: null,
    takeback: null,
    net_takeback: null,
    recoupment_rate: null,
    refunds: null,
    interest: null,
    outstanding_fb: null,
  };
  type Sums = Record<(typeof HEADLINE_MONEY)[number], string | null>;
  if (scorecard.available && scorecard.data.length > 0) {
    // Sum in DuckDB so the totals stay exact decimals. The headline covers one window: the active
    // payers' (an inactive payer's row is of its own last weeks).
    const activeOnly = scorecard.data.some((r) => r.active === true);
    const t = await one<Sums>(
      db,
      `SELECT ${HEADLINE_MONEY.map((m) => `CAST(sum(${col('payer_scorecard', m)}) AS DECIMAL(18,2)) AS ${m}`).join(', ')}
       FROM payer_scorecard ${activeOnly ? `WHERE ${col('payer_scorecard', 'active')}` : ''}`,
    );
    const first = activeOnly ? scorecard.data.find((r) => r.active === true) : scorecard.data[0];
    return {
      ...none,
      ...t,
      source: 'payer_scorecard',
      window_start: first?.window_start ?? null,
      window_end: first?.window_end ?? null,
      recoupment_rate: rate(t?.takeback, t?.paid),
    };
  }
  if (rates.ready) {
    const r = (name: MartColumnName<'recoupment_rates'>) => col('recoupment_rates', name);
    const t = await one<Pick<Sums, 'paid' | 'takeback' | 'net_takeback'>>(
      db,
      `SELECT CAST(sum(${r('paid')}) AS DECIMAL(18,2)) AS paid, CAST(sum(${r('takeback')}) AS DECIMAL(18,2)) AS takeback,
         CAST(sum(${r('net_takeback')}) AS DECIMAL(18,2)) AS net_takeback
       FROM recoupment_rates WHERE ${r('grain')} = 'payer' AND ${r('period')} <= (SELECT as_of FROM report_as_of)`,
    );
    return { ...none, ...t, source: 'recoupment_rates', recoupment_rate: rate(t?.takeback, t?.paid) };
  }
  return none;
}

function rate(numerator: unknown, denominator: unknown): number | null {
  const n = Number(numerator);
  const d = Number(denominator);
  return Number.isFinite(n) && Number.isFinite(d) && d !== 0 ? n / d : null;
}
