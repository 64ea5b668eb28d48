import { readAppeals } from '../appeals/readAppeals.ts';
import type { CloseManifest } from '../close/periods.ts';
import { formatCents, parseCents } from '../core/money.ts';
import { sqlIdent, sqlString, type Warehouse } from '../ports/warehouse.ts';

/** A row as runQuery returns it: DECIMAL money is an exact string, dates are ISO strings. */
export type Row = Record<string, unknown>;

/** One section of the report: its rows, or why it is missing. */
export interface Section<T> {
  available: boolean;
  /** Set when not available: what to run to get it. */
  reason?: string;
  data: T;
}

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
  scorecard: Section<Row[]>;
  trend: Section<{ weekly: Row[]; monthly: Row[] }>;
  causes: Section<{ all: Row[]; by_payer: Row[] }>;
  providers: Section<{ all: Row[]; by_payer: Row[] }>;
  forecast: Section<{ as_of: string | null; rows: Row[] }>;
  alerts: Section<{ current_since: string | null; current: Row[]; earlier_count: number }>;
  drill: Section<{ cap: number; totals: Row[]; rows: Row[] }>;
  /** The appeals worklist: counts and money by status, and the open appeals most recoverable first. */
  appeals: Section<{ as_of: string | null; cap: number; by_status: Row[]; rows: Row[] }>;
  /** Development triangles: per payer × payment month, the cumulative share taken back by week. */
  cohorts: Section<{ maturity_weeks: number | null; rows: Row[] }>;
  /** Closed months and how each was restated since (period_restatements). */
  closes: Section<{ periods: Row[]; restatements: Row[] }>;
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
] as const;

const BUILD_HINT = 'run `recoup build --lake DIR` to create it';

/**
 * Reads everything the HTML report shows from the lake views and marts (created beforehand with
 * createLakeViews). A missing mart or column leaves its section unavailable, with the reason.
 */
export async function loadReportData(db: Warehouse, options: LoadReportOptions = {}): Promise<ReportData> {
  const views = await listViews(db);
  const columns = async (name: string) => (views.has(name) ? await columnsOf(db, name) : null);
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
  const meta = await one(
    db,
    `SELECT strftime(a.as_of, '%Y-%m-%d') AS as_of, strftime(min(r.payment_date), '%Y-%m-%d') AS period_from,
       strftime(max(r.payment_date), '%Y-%m-%d') AS period_to
     FROM report_as_of AS a LEFT JOIN remittances AS r ON r.payment_date <= a.as_of GROUP BY a.as_of`,
  );
  const asOf = str(meta?.as_of);

  const payerRows = await db.query(`SELECT payer_id, arg_max(payer_name, payment_date) AS payer_name
     FROM remittances, report_as_of WHERE payment_date <= as_of GROUP BY payer_id ORDER BY payer_id`);

  const present = [...views].filter((v) => (REQUIRED_MARTS as readonly string[]).includes(v)).sort();
  const missing = REQUIRED_MARTS.filter((m) => !views.has(m));

  const data: ReportData = {
    title: options.title ?? 'Payer takeback report',
    generated_at: new Date().toISOString(),
    as_of: asOf,
    period: { from: str(meta?.period_from), to: str(meta?.period_to) },
    marts: { present, missing: [...missing] },
    payers: payerRows.rows.map((r) => ({ payer_id: String(r.payer_id), payer_name: str(r.payer_name) })),
    totals: {
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
    },
    scorecard: await loadScorecard(db, await columns('payer_scorecard')),
    trend: await loadTrend(db, await columns('takeback_trend')),
    causes: unavailable('recoupment_rates', { all: [], by_payer: [] }),
    providers: unavailable('recoupment_rates', { all: [], by_payer: [] }),
    forecast: await loadForecast(db, await columns('liquidity_forecast')),
    alerts: await loadAlerts(
      db,
      await columns('takeback_alerts'),
      currentWeeks,
      await columns('takeback_links'),
      options.claimIds !== false,
    ),
    drill: await loadDrill(db, await columns('takeback_links'), drillCap),
    appeals: await loadAppeals(
      db,
      await columns('takeback_appeals'),
      options.appealsAsOf ?? options.asOf ?? new Date().toISOString().slice(0, 10),
      options.appealsCap ?? 100,
    ),
    cohorts: await loadCohorts(db, await columns('recoupment_cohorts')),
    closes: await loadCloses(db, await columns('period_restatements'), options.closes ?? []),
  };
  const rates = await columns('recoupment_rates');
  if (rates !== null) {
    data.causes = await loadBreakdown(db, rates, 'cause');
    data.providers = await loadBreakdown(db, rates, 'provider');
  }
  data.totals = await loadTotals(db, data.scorecard, rates);
  // One name per payer, the marts' (dim_payers: the name on its latest 835); the lake's own
  // remittances only for a payer the scorecard does not name (an older build).
  const named = new Map(
    data.scorecard.data
      .filter((r) => typeof r.payer_name === 'string')
      .map((r) => [String(r.payer_id), String(r.payer_name)]),
  );
  for (const p of data.payers) p.payer_name = named.get(p.payer_id) ?? p.payer_name;
  if (options.claimIds === false) {
    for (const r of data.drill.data.rows) {
      r.claim_id = null;
      r.reference_id = r.reference_export ?? null;
    }
    for (const r of data.appeals.data.rows) r.claim_id = null;
  }
  return data;
}

function unavailable<T>(mart: string, empty: T, reason?: string): Section<T> {
  return {
    available: false,
    reason: reason ?? `the ${mart} mart is not in this lake; ${BUILD_HINT}`,
    data: empty,
  };
}

/**
 * Alerts name their claims by takeback_id only (they leave the lake); the report stays with the
 * finance team, so it shows the claims themselves: CLP01 with the ICN, or the PLB reference,
 * looked up in takeback_links. A key it cannot find is shown as it is. `top_claim_references`
 * gives, for each top claim, the reference of a PLB offset (null for a reversal or an unknown key):
 * the alert card links it to the drill-down filtered to that reference.
 */
async function resolveClaimKeys(
  db: Warehouse,
  alerts: Row[],
  linkCols: Set<string> | null,
  claimIds: boolean,
) {
  const keys = [
    ...new Set(alerts.flatMap((r) => (Array.isArray(r.top_claims) ? r.top_claims.map(String) : []))),
  ];
  if (keys.length === 0 || linkCols === null || !linkCols.has('takeback_id')) return;
  const column = (name: string) => (linkCols.has(name) ? sqlIdent(name) : 'NULL');
  const { rows } =
    await db.query(`SELECT takeback_id, ${column('payer_id')} AS payer_id, ${column('claim_id')} AS claim_id,
            coalesce(${column('claim_id')} || coalesce(' (ICN ' || ${column('payer_claim_control')} || ')', ''),
                     ${column('payer_claim_control')}, ${column('reference_id')}) AS label,
            'ICN ' || ${column('payer_claim_control')} AS icn_label,
            CASE WHEN ${column('kind')} = 'plb' THEN ${column('reference_id')} END AS plb_reference,
            ${column('reference_id')} AS reference_id
     FROM takeback_links WHERE takeback_id IN (${keys.map(sqlString).join(', ')})`);
  if (!claimIds) {
    // Without CLP01: the ICN names a claim; a reference keeps only its tokens that hold none.
    await addExportReferences(db, rows);
    for (const r of rows) {
      r.label = r.icn_label ?? r.reference_export;
      r.plb_reference = r.plb_reference === null ? null : r.reference_export;
    }
  }
  const labels = new Map(
    rows.filter((r) => r.label !== null).map((r) => [String(r.takeback_id), String(r.label)]),
  );
  const references = new Map(
    rows.filter((r) => r.plb_reference !== null).map((r) => [String(r.takeback_id), String(r.plb_reference)]),
  );
  for (const alert of alerts) {
    if (!Array.isArray(alert.top_claims)) continue;
    alert.top_claim_references = alert.top_claims.map((key) => references.get(String(key)) ?? null);
    alert.top_claims = alert.top_claims.map((key) => labels.get(String(key)) ?? key);
  }
}

/**
 * Adds `reference_export` to the drill-down's rows: a PLB offset's reference as the page's CSV
 * export carries it, without the tokens that hold a CLP01 (patient control number) of a claim of
 * the same payer in the lake, or of the row's own claim; null when nothing else remains. The page
 * shows the whole reference; a file exported from it may travel further.
 */
async function addExportReferences(db: Warehouse, rows: Row[]): Promise<void> {
  const tokensOf = (token: string) => [token, ...token.split(/[^A-Za-z0-9]+/)].filter((t) => t !== '');
  const candidates = new Set<string>();
  for (const r of rows)
    if (typeof r.reference_id === 'string')
      for (const token of r.reference_id.split(/\s+/)) for (const t of tokensOf(token)) candidates.add(t);
  const claimIds = new Map<string, Set<string>>();
  const hasClaims = await one(
    db,
    "SELECT count(*) AS n FROM information_schema.columns WHERE table_name = 'claims' AND column_name IN ('payer_id', 'claim_id')",
  );
  if (candidates.size > 0 && Number(hasClaims?.n) === 2) {
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
  for (const r of rows) {
    if (typeof r.reference_id !== 'string') {
      r.reference_export = null;
      continue;
    }
    const clp01 = new Set(claimIds.get(String(r.payer_id)));
    if (typeof r.claim_id === 'string') clp01.add(r.claim_id);
    const kept = r.reference_id
      .split(/\s+/)
      .filter((token) => token !== '' && !tokensOf(token).some((t) => clp01.has(t)));
    r.reference_export = kept.length > 0 ? kept.join(' ') : null;
  }
}

async function listViews(db: Warehouse): Promise<Set<string>> {
  const { rows } = await db.query(
    // Temp views too: buildModels leaves each mart as a temp view in the connection it used.
    'SELECT DISTINCT table_name FROM information_schema.tables',
  );
  return new Set(rows.map((r) => String(r.table_name)));
}

async function columnsOf(db: Warehouse, view: string): Promise<Set<string>> {
  const { rows } = await db.query(`DESCRIBE ${sqlIdent(view)}`);
  return new Set(rows.map((r) => String(r.column_name)));
}

async function one(db: Warehouse, sql: string): Promise<Row | undefined> {
  return (await db.query(sql)).rows[0];
}

function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

/**
 * `<first present candidate> AS alias`, or `NULL AS alias` when none is there, so that a column the
 * mart's authors named slightly differently does not break the report.
 */
function pick(cols: Set<string>, alias: string, candidates: string[], cast?: string): string {
  const found = candidates.find((c) => cols.has(c));
  if (found === undefined) return `NULL${cast ? `::${cast}` : ''} AS ${sqlIdent(alias)}`;
  const expr = sqlIdent(found);
  return `${cast ? `CAST(${expr} AS ${cast})` : expr} AS ${sqlIdent(alias)}`;
}

function has(cols: Set<string>, candidates: string[]): string | undefined {
  return candidates.find((c) => cols.has(c));
}

const DATE = (cols: Set<string>, alias: string, candidates: string[]) => {
  const found = has(cols, candidates);
  return found === undefined
    ? `NULL AS ${sqlIdent(alias)}`
    : `strftime(CAST(${sqlIdent(found)} AS DATE), '%Y-%m-%d') AS ${sqlIdent(alias)}`;
};

/** payer_scorecard columns of the links by rule (NULL in the report when a mart lacks them). */
const LINK_SHARE_COLUMNS = [
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
] as const;

async function loadScorecard(db: Warehouse, cols: Set<string> | null): Promise<Section<Row[]>> {
  if (cols === null) return unavailable('payer_scorecard', []);
  if (!cols.has('payer_id'))
    return unavailable('payer_scorecard', [], 'payer_scorecard has no payer_id column');
  const select = [
    's.payer_id',
    cols.has('payer_name') ? 'coalesce(s.payer_name, n.payer_name) AS payer_name' : 'n.payer_name',
    pick(cols, 'paid', ['paid', 'paid_amount', 'total_paid']),
    pick(cols, 'takeback', ['takeback', 'gross_takeback', 'takeback_amount']),
    pick(cols, 'net_takeback', ['net_takeback', 'net']),
    pick(cols, 'recoupment_rate', ['recoupment_rate', 'takeback_rate'], 'DOUBLE'),
    pick(cols, 'net_recoupment_rate', ['net_recoupment_rate', 'net_rate'], 'DOUBLE'),
    pick(cols, 'rank', ['rank', 'recoupment_rank', 'rate_rank', 'takeback_rank'], 'INTEGER'),
    pick(
      cols,
      'median_lag_days',
      ['median_lag_days', 'median_days_to_takeback', 'median_lag', 'median_takeback_lag_days'],
      'DOUBLE',
    ),
    pick(
      cols,
      'linked_share',
      ['linked_share', 'share_linked', 'linked_takeback_share', 'link_rate'],
      'DOUBLE',
    ),
    pick(cols, 'refunds', ['refunds', 'refund']),
    pick(cols, 'interest', ['interest']),
    pick(cols, 'outstanding_fb', ['outstanding_fb', 'outstanding_forwarding_balance', 'forwarding_balance']),
    pick(
      cols,
      'previous_recoupment_rate',
      ['previous_recoupment_rate', 'prev_recoupment_rate', 'prior_recoupment_rate', 'previous_rate'],
      'DOUBLE',
    ),
    pick(cols, 'trend', ['trend', 'trend_direction']),
    pick(
      cols,
      'trend_change',
      ['recoupment_rate_change', 'rate_change', 'trend_change', 'trend_vs_previous'],
      'DOUBLE',
    ),
    DATE(cols, 'window_start', ['window_start', 'period_start', 'start_date']),
    DATE(cols, 'window_end', ['window_end', 'period_end', 'end_date']),
    // A payer with no 835 in the trailing window is scored on its own last weeks (active = false).
    pick(cols, 'active', ['active'], 'BOOLEAN'),
    DATE(cols, 'last_payment_date', ['last_payment_date']),
    // How the window's takebacks were linked, by rule (docs/models.md "Linking rules").
    ...LINK_SHARE_COLUMNS.map((c) => pick(cols, c, [c], c.endsWith('_count') ? 'INTEGER' : 'DOUBLE')),
    pick(cols, 'over_recoupment_amount', ['over_recoupment_amount']),
  ];
  const order = has(cols, ['rank', 'recoupment_rank', 'rate_rank', 'takeback_rank']);
  const { rows } = await db.query(`SELECT ${select.join(', ')}
     FROM payer_scorecard AS s
     LEFT JOIN (SELECT payer_id, arg_max(payer_name, payment_date) AS payer_name FROM remittances GROUP BY payer_id) AS n
       ON n.payer_id = s.payer_id
     ORDER BY ${order ? `s.${sqlIdent(order)} NULLS LAST, ` : ''}s.payer_id`);
  for (const row of rows) row.trend = trendOf(row);
  return { available: true, data: rows };
}

/** 'up', 'down' or 'flat': the mart's own word when it has one, else from the rate against the previous window. */
function trendOf(row: Row): 'up' | 'down' | 'flat' | null {
  const word = typeof row.trend === 'string' ? row.trend.toLowerCase() : '';
  if (/up|rise|increas|worse/.test(word)) return 'up';
  if (/down|fall|decreas|better/.test(word)) return 'down';
  if (/flat|stable|same|steady/.test(word)) return 'flat';
  let change = typeof row.trend_change === 'number' ? row.trend_change : null;
  if (
    change === null &&
    typeof row.recoupment_rate === 'number' &&
    typeof row.previous_recoupment_rate === 'number'
  )
    change = row.recoupment_rate - row.previous_recoupment_rate;
  if (change === null) return null;
  // Under a tenth of a percentage point of paid is noise to a reader.
  if (Math.abs(change) < 0.001) return 'flat';
  return change > 0 ? 'up' : 'down';
}

async function loadTrend(
  db: Warehouse,
  cols: Set<string> | null,
): Promise<Section<{ weekly: Row[]; monthly: Row[] }>> {
  const empty = { weekly: [], monthly: [] };
  if (cols === null) return unavailable('takeback_trend', empty);
  const date = has(cols, ['period_start', 'week_start', 'period', 'bucket_start', 'month_start', 'month']);
  if (!cols.has('payer_id') || date === undefined)
    return unavailable('takeback_trend', empty, 'takeback_trend has no payer_id or period column');
  const grain = has(cols, ['grain', 'period_grain', 'granularity', 'period_type']);
  const values = [
    pick(cols, 'takeback', ['takeback', 'gross_takeback', 'takeback_amount']),
    pick(cols, 'net_takeback', ['net_takeback', 'net']),
    pick(cols, 'paid', ['paid', 'paid_amount']),
    // The period is only partly covered (it ends after the as-of date or starts before the data).
    cols.has('partial_period') ? 'partial_period AS partial' : 'NULL AS partial',
  ];
  const base = `SELECT payer_id, strftime(CAST(${sqlIdent(date)} AS DATE), '%Y-%m-%d') AS period,
      ${grain ? `lower(CAST(${sqlIdent(grain)} AS VARCHAR))` : "'week'"} AS grain, ${values.join(', ')}
    FROM takeback_trend, report_as_of WHERE CAST(${sqlIdent(date)} AS DATE) <= as_of`;
  const { rows } = await db.query(`${base} ORDER BY payer_id, period`);
  const weekly = rows.filter((r) => String(r.grain).includes('week'));
  let monthly = rows.filter((r) => String(r.grain).includes('month'));
  for (const r of [...weekly, ...monthly]) delete r.grain;
  if (monthly.length === 0 && weekly.length > 0) {
    // No monthly series in the mart: roll the weeks up by the month of their Monday.
    monthly = (
      await db.query(`SELECT payer_id, strftime(date_trunc('month', CAST(period AS DATE)), '%Y-%m-%d') AS period,
           CAST(sum(takeback) AS DECIMAL(18,2)) AS takeback, CAST(sum(net_takeback) AS DECIMAL(18,2)) AS net_takeback,
           CAST(sum(paid) AS DECIMAL(18,2)) AS paid
         FROM (${base}) WHERE grain LIKE '%week%' GROUP BY 1, 2 ORDER BY 1, 2`)
    ).rows;
  }
  return { available: true, data: { weekly, monthly } };
}

async function loadBreakdown(
  db: Warehouse,
  cols: Set<string>,
  dimension: 'cause' | 'provider',
): Promise<Section<{ all: Row[]; by_payer: Row[] }>> {
  const empty = { all: [], by_payer: [] };
  const key = dimension === 'cause' ? 'cause' : 'provider_npi';
  const period = has(cols, ['period', 'period_start', 'month']);
  if (!cols.has('grain') || !cols.has(key))
    return unavailable('recoupment_rates', empty, `recoupment_rates has no grain or ${key} column`);
  const takeback = has(cols, ['takeback', 'gross_takeback']) ?? 'takeback';
  const net = has(cols, ['net_takeback']);
  const count = has(cols, ['takeback_count']);
  const measures = `CAST(sum(${sqlIdent(takeback)}) AS DECIMAL(18,2)) AS takeback,
    ${net ? `CAST(sum(${sqlIdent(net)}) AS DECIMAL(18,2))` : 'NULL'} AS net_takeback,
    ${count ? `CAST(sum(${sqlIdent(count)}) AS BIGINT)` : 'NULL'} AS takeback_count`;
  const where = period ? `AND CAST(${sqlIdent(period)} AS DATE) <= (SELECT as_of FROM report_as_of)` : '';
  // Provider grains keep rendering and billing (payee) NPIs apart when the mart says which is
  // which (provider_role); an older mart has one list of NPIs.
  const role = dimension === 'provider' && cols.has('provider_role');
  const keys = [`coalesce(CAST(t.${sqlIdent(key)} AS VARCHAR), 'unknown') AS ${key}`];
  if (role) keys.push('t.provider_role');
  const names =
    dimension === 'provider'
      ? `LEFT JOIN (SELECT payee_npi, arg_max(payee_name, payment_date) AS provider_name FROM remittances GROUP BY 1) AS p
           ON p.payee_npi = t.${key}`
      : '';
  const nameCol = dimension === 'provider' ? ', any_value(p.provider_name) AS provider_name' : '';
  const cap = role ? 30 : 15;
  const all = await db.query(`SELECT ${keys.join(', ')}${nameCol}, ${measures}
     FROM recoupment_rates AS t ${names}
     WHERE grain = '${dimension}' ${where} GROUP BY ALL HAVING sum(${sqlIdent(takeback)}) <> 0 ORDER BY takeback DESC
     ${dimension === 'provider' ? `LIMIT ${cap}` : ''}`);
  const byPayer = await db.query(`SELECT * FROM (
       SELECT t.payer_id, ${keys.join(', ')}${nameCol}, ${measures}
       FROM recoupment_rates AS t ${names}
       WHERE grain = 'payer_${dimension}' ${where} GROUP BY ALL HAVING sum(${sqlIdent(takeback)}) <> 0
     ) QUALIFY row_number() OVER (PARTITION BY payer_id ORDER BY takeback DESC) <= ${cap}
     ORDER BY payer_id, takeback DESC`);
  return { available: true, data: { all: all.rows, by_payer: byPayer.rows } };
}

async function loadForecast(
  db: Warehouse,
  cols: Set<string> | null,
): Promise<Section<{ as_of: string | null; rows: Row[] }>> {
  const empty = { as_of: null, rows: [] };
  if (cols === null) return unavailable('liquidity_forecast', empty);
  if (!cols.has('payer_id') || !cols.has('week_start'))
    return unavailable(
      'liquidity_forecast',
      empty,
      'liquidity_forecast has no payer_id or week_start column',
    );
  const select = [
    'payer_id',
    DATE(cols, 'week_start', ['week_start']),
    pick(cols, 'expected_payments', ['expected_payments']),
    pick(cols, 'takeback_p10', ['takeback_p10']),
    pick(cols, 'takeback_p50', ['takeback_p50']),
    pick(cols, 'takeback_p90', ['takeback_p90']),
    pick(cols, 'scheduled_offsets', ['scheduled_offsets']),
    pick(cols, 'net_cash_p50', ['net_cash_p50']),
    pick(cols, 'takeback_share', ['takeback_share'], 'DOUBLE'),
    pick(cols, 'flag', ['flag'], 'BOOLEAN'),
    DATE(cols, 'as_of', ['as_of']),
  ];
  const { rows } = await db.query(
    `SELECT ${select.join(', ')} FROM liquidity_forecast ORDER BY payer_id, week_start`,
  );
  const asOf = rows.map((r) => str(r.as_of)).find((v) => v !== null) ?? null;
  for (const r of rows) delete r.as_of;
  return { available: true, data: { as_of: asOf, rows } };
}

async function loadAlerts(
  db: Warehouse,
  cols: Set<string> | null,
  currentWeeks: number,
  linkCols: Set<string> | null,
  claimIds: boolean,
): Promise<Section<{ current_since: string | null; current: Row[]; earlier_count: number }>> {
  const empty = { current_since: null, current: [], earlier_count: 0 };
  if (cols === null) return unavailable('takeback_alerts', empty);
  if (!cols.has('payer_id') || !cols.has('week_start'))
    return unavailable('takeback_alerts', empty, 'takeback_alerts has no payer_id or week_start column');
  const select = [
    pick(cols, 'grain', ['grain']),
    'payer_id',
    pick(cols, 'cause', ['cause']),
    DATE(cols, 'week_start', ['week_start']),
    pick(cols, 'takeback', ['takeback']),
    pick(cols, 'baseline', ['baseline']),
    pick(cols, 'score', ['score'], 'DOUBLE'),
    pick(cols, 'excess', ['excess']),
    pick(cols, 'top_claims', ['top_claims']),
    pick(cols, 'top_providers', ['top_providers']),
    pick(cols, 'top_causes', ['top_causes']),
  ];
  const since = `(SELECT as_of_week - ${7 * (currentWeeks - 1)} FROM report_as_of)`;
  const { rows } =
    await db.query(`SELECT ${select.join(', ')}, CAST(week_start AS DATE) >= ${since} AS current
     FROM takeback_alerts, report_as_of WHERE CAST(week_start AS DATE) <= as_of
     ORDER BY week_start DESC, ${cols.has('excess') ? 'excess DESC, ' : ''}payer_id`);
  const sinceRow = await one(db, `SELECT strftime(${since}, '%Y-%m-%d') AS since`);
  const current = rows.filter((r) => r.current === true);
  for (const r of current) delete r.current;
  await resolveClaimKeys(db, current, linkCols, claimIds);
  return {
    available: true,
    data: { current_since: str(sinceRow?.since), current, earlier_count: rows.length - current.length },
  };
}

async function loadDrill(
  db: Warehouse,
  cols: Set<string> | null,
  cap: number,
): Promise<Section<{ cap: number; totals: Row[]; rows: Row[] }>> {
  const empty = { cap, totals: [], rows: [] };
  if (cols === null) return unavailable('takeback_links', empty);
  const amount = has(cols, ['amount', 'takeback', 'takeback_amount']);
  const date = has(cols, ['payment_date', 'takeback_date']);
  if (!cols.has('payer_id') || amount === undefined)
    return unavailable('takeback_links', empty, 'takeback_links has no payer_id or amount column');
  const select = [
    'payer_id',
    pick(cols, 'kind', ['kind', 'takeback_kind', 'category']),
    date ? `strftime(CAST(${sqlIdent(date)} AS DATE), '%Y-%m-%d') AS payment_date` : 'NULL AS payment_date',
    `${sqlIdent(amount)} AS amount`,
    pick(cols, 'claim_id', ['claim_id', 'original_claim_id']),
    pick(cols, 'payer_claim_control', ['payer_claim_control', 'original_payer_claim_control']),
    DATE(cols, 'original_payment_date', ['original_payment_date']),
    DATE(cols, 'correction_payment_date', ['correction_payment_date']),
    pick(cols, 'correction_repaid', ['correction_repaid', 'correction_paid']),
    pick(cols, 'lag_days', ['lag_days', 'days_to_takeback'], 'INTEGER'),
    pick(cols, 'cause', ['cause']),
    pick(cols, 'cause_reason_code', ['cause_reason_code']),
    pick(cols, 'reason_code', ['reason_code']),
    // A PLB offset's reference (member identifiers already removed at ingest): what names it when
    // it names no claim, and what the alert cards list as its top claim.
    pick(cols, 'reference_id', ['reference_id']),
    pick(cols, 'provider_npi', ['provider_npi']),
    pick(cols, 'original_paid', ['original_paid']),
    pick(cols, 'correction_payer_claim_control', ['correction_payer_claim_control']),
  ];
  const where = date ? `WHERE CAST(${sqlIdent(date)} AS DATE) <= (SELECT as_of FROM report_as_of)` : '';
  const rows = await db.query(`SELECT ${select.join(', ')} FROM takeback_links ${where}
     QUALIFY row_number() OVER (PARTITION BY payer_id ORDER BY ${sqlIdent(amount)} DESC${date ? `, ${sqlIdent(date)} DESC` : ''}) <= ${Math.floor(cap)}
     ORDER BY payer_id, amount DESC`);
  await addExportReferences(db, rows.rows);
  const totals =
    await db.query(`SELECT payer_id, count(*) AS takeback_count, CAST(sum(${sqlIdent(amount)}) AS DECIMAL(18,2)) AS takeback
     FROM takeback_links ${where} GROUP BY payer_id ORDER BY payer_id`);
  return { available: true, data: { cap, totals: totals.rows, rows: rows.rows } };
}

async function loadAppeals(
  db: Warehouse,
  cols: Set<string> | null,
  asOf: string,
  cap: number,
): Promise<Section<{ as_of: string | null; cap: number; by_status: Row[]; rows: Row[] }>> {
  const empty = { as_of: asOf, cap, by_status: [], rows: [] };
  if (cols === null) return unavailable('takeback_appeals', empty);
  if (!cols.has('recoverable_amount') || !cols.has('appeal_deadline'))
    return unavailable(
      'takeback_appeals',
      empty,
      'takeback_appeals is from an older build (no recoverable_amount); run `recoup build --lake DIR` again',
    );
  const all = await readAppeals(db, { asOf, all: true });
  const open = all.rows.filter((r) => r.status === 'open' || r.status === 'due_7_days');
  // Counted and summed in integer cents, so the totals stay exact.
  const totals = new Map<string, { appeals: number; cents: number }>();
  for (const r of all.rows) {
    const t = totals.get(String(r.status)) ?? { appeals: 0, cents: 0 };
    t.appeals++;
    t.cents += parseCents(String(r.recoverable_amount)) ?? 0;
    totals.set(String(r.status), t);
  }
  const byStatus = ['due_7_days', 'open', 'expired', 'repaid_by_correction']
    .filter((status) => totals.has(status))
    .map((status) => {
      const t = totals.get(status) as { appeals: number; cents: number };
      return { status, appeals: t.appeals, recoverable: formatCents(t.cents) };
    });
  const rows = open.slice(0, Math.max(0, Math.floor(cap))).map((r) => ({
    rank: r.rank,
    status: r.status,
    days_left: r.days_left,
    appeal_deadline: r.appeal_deadline,
    recoverable_amount: r.recoverable_amount,
    amount: r.amount,
    payer_id: r.payer_id,
    kind: r.kind,
    reason_code: r.reason_code,
    payer_claim_control: r.payer_claim_control,
    claim_id: r.claim_id,
    cause: r.cause,
    provider_npi: r.provider_npi,
    payment_date: r.payment_date,
  }));
  rows.forEach((r, i) => {
    r.rank = i + 1;
  });
  return { available: true, data: { as_of: asOf, cap, by_status: byStatus, rows } };
}

async function loadCohorts(
  db: Warehouse,
  cols: Set<string> | null,
): Promise<Section<{ maturity_weeks: number | null; rows: Row[] }>> {
  const empty = { maturity_weeks: null, rows: [] };
  if (cols === null) return unavailable('recoupment_cohorts', empty);
  // One row per payer × cohort month: the cumulative shares by development week, as a list.
  const { rows } =
    await db.query(`SELECT payer_id, strftime(cohort_month, '%Y-%m-%d') AS cohort_month, any_value(cohort_paid) AS cohort_paid,
       list(cumulative_share ORDER BY dev_week) AS shares,
       coalesce(max(dev_week) FILTER (WHERE complete), -1)::INTEGER AS complete_weeks,
       any_value(cohort_rate) AS cohort_rate, any_value(net_cohort_rate) AS net_cohort_rate,
       any_value(maturity_weeks)::INTEGER AS maturity_weeks
     FROM recoupment_cohorts GROUP BY payer_id, cohort_month ORDER BY payer_id, cohort_month`);
  const maturity = rows.find((r) => typeof r.maturity_weeks === 'number')?.maturity_weeks;
  for (const r of rows) delete r.maturity_weeks;
  return { available: true, data: { maturity_weeks: typeof maturity === 'number' ? maturity : null, rows } };
}

async function loadCloses(
  db: Warehouse,
  cols: Set<string> | null,
  closes: CloseManifest[],
): Promise<Section<{ periods: Row[]; restatements: Row[] }>> {
  const empty = { periods: [], restatements: [] };
  if (closes.length === 0)
    return {
      available: false,
      reason: 'no month is closed in this lake; `recoup close --lake DIR --period YYYY-MM` closes one',
      data: empty,
    };
  const restatements =
    cols === null
      ? []
      : (
          await db.query(`SELECT strftime(period, '%Y-%m') AS period, payer_id, metric, cause, reason, source_key, delta, items,
               reported_value, current_value
             FROM period_restatements ORDER BY period, payer_id, metric, reason, cause, source_key`)
        ).rows;
  const periods = closes.map((c) => {
    const mine = restatements.filter((r) => r.period === c.period);
    return {
      period: c.period,
      closed_at: c.closed_at,
      restated: mine.length > 0,
      late_files: [...new Set(mine.map((r) => r.source_key).filter((k) => k !== null))].length,
    };
  });
  if (cols === null)
    return {
      available: false,
      reason: 'the period_restatements mart is not in this lake; run `recoup build --lake DIR` to create it',
      data: { periods, restatements: [] },
    };
  return { available: true, data: { periods, restatements } };
}

async function loadTotals(
  db: Warehouse,
  scorecard: Section<Row[]>,
  rates: Set<string> | null,
): Promise<ReportData['totals']> {
  if (scorecard.available && scorecard.data.length > 0) {
    // Sum in DuckDB so the totals stay exact decimals. The headline covers one window: the active
    // payers' (an inactive payer's row is of its own last weeks).
    const cols = await columnsOf(db, 'payer_scorecard');
    const activeOnly = cols.has('active') && scorecard.data.some((r) => r.active === true);
    const t = await one(
      db,
      `SELECT CAST(sum(paid) AS DECIMAL(18,2)) AS paid, CAST(sum(takeback) AS DECIMAL(18,2)) AS takeback,
         CAST(sum(net_takeback) AS DECIMAL(18,2)) AS net_takeback, CAST(sum(refunds) AS DECIMAL(18,2)) AS refunds,
         CAST(sum(interest) AS DECIMAL(18,2)) AS interest, CAST(sum(outstanding_fb) AS DECIMAL(18,2)) AS outstanding_fb
       FROM (SELECT ${scorecardMoneySelect(cols)} FROM payer_scorecard ${activeOnly ? 'WHERE active' : ''})`,
    );
    const first = activeOnly ? scorecard.data.find((r) => r.active === true) : scorecard.data[0];
    return {
      source: 'payer_scorecard',
      window_start: str(first?.window_start),
      window_end: str(first?.window_end),
      paid: str(t?.paid),
      takeback: str(t?.takeback),
      net_takeback: str(t?.net_takeback),
      recoupment_rate: rate(t?.takeback, t?.paid),
      refunds: str(t?.refunds),
      interest: str(t?.interest),
      outstanding_fb: str(t?.outstanding_fb),
    };
  }
  if (rates?.has('grain') && rates.has('paid') && rates.has('takeback')) {
    const period = has(rates, ['period', 'period_start', 'month']);
    const t = await one(
      db,
      `SELECT CAST(sum(paid) AS DECIMAL(18,2)) AS paid, CAST(sum(takeback) AS DECIMAL(18,2)) AS takeback,
         ${rates.has('net_takeback') ? 'CAST(sum(net_takeback) AS DECIMAL(18,2))' : 'NULL'} AS net_takeback
       FROM recoupment_rates WHERE grain = 'payer'
       ${period ? `AND CAST(${sqlIdent(period)} AS DATE) <= (SELECT as_of FROM report_as_of)` : ''}`,
    );
    return {
      source: 'recoupment_rates',
      window_start: null,
      window_end: null,
      paid: str(t?.paid),
      takeback: str(t?.takeback),
      net_takeback: str(t?.net_takeback),
      recoupment_rate: rate(t?.takeback, t?.paid),
      refunds: null,
      interest: null,
      outstanding_fb: null,
    };
  }
  return {
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
}

function scorecardMoneySelect(cols: Set<string>): string {
  return [
    pick(cols, 'paid', ['paid', 'paid_amount', 'total_paid']),
    pick(cols, 'takeback', ['takeback', 'gross_takeback', 'takeback_amount']),
    pick(cols, 'net_takeback', ['net_takeback', 'net']),
    pick(cols, 'refunds', ['refunds', 'refund']),
    pick(cols, 'interest', ['interest']),
    pick(cols, 'outstanding_fb', ['outstanding_fb', 'outstanding_forwarding_balance', 'forwarding_balance']),
  ].join(', ');
}

function rate(numerator: unknown, denominator: unknown): number | null {
  const n = Number(numerator);
  const d = Number(denominator);
  return Number.isFinite(n) && Number.isFinite(d) && d !== 0 ? n / d : null;
}
