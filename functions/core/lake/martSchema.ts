/**
 * The mart contract, beside the lake's (schema.ts): each mart's columns, in the order the SQL
 * models write them, with their Athena/Glue types (money is `decimal(18,2)`, never a float). The
 * stack's Glue tables are made from it, and `recoup build` checks every mart it writes against it
 * (functions/models/buildModels.ts): a mart that lost, gained or retyped a column fails the build
 * with the column named, never as an empty report cell. Readers type the rows they read with
 * MartRow (below) and name the columns with MartColumnName.
 */
export interface MartColumn {
  name: string;
  type: string;
}

const CONTRACT = {
  liquidity_forecast: [
    { name: 'payer_id', type: 'string' },
    { name: 'payer_name', type: 'string' },
    { name: 'week_start', type: 'date' },
    { name: 'horizon_week', type: 'int' },
    { name: 'as_of', type: 'date' },
    { name: 'expected_payments', type: 'decimal(18,2)' },
    { name: 'takeback_p10', type: 'decimal(18,2)' },
    { name: 'takeback_p50', type: 'decimal(18,2)' },
    { name: 'takeback_p90', type: 'decimal(18,2)' },
    { name: 'takeback_mean', type: 'decimal(18,2)' },
    { name: 'scheduled_fb', type: 'decimal(18,2)' },
    { name: 'scheduled_wo', type: 'decimal(18,2)' },
    { name: 'scheduled_offsets', type: 'decimal(18,2)' },
    { name: 'history_weeks', type: 'int' },
    { name: 'net_cash_p50', type: 'decimal(18,2)' },
    { name: 'takeback_share', type: 'double' },
    { name: 'flag', type: 'boolean' },
  ],
  payer_scorecard: [
    { name: 'payer_id', type: 'string' },
    { name: 'payer_name', type: 'string' },
    { name: 'window_start', type: 'date' },
    { name: 'window_end', type: 'date' },
    { name: 'window_weeks', type: 'int' },
    { name: 'as_of', type: 'date' },
    { name: 'last_payment_date', type: 'date' },
    { name: 'active', type: 'boolean' },
    { name: 'paid', type: 'decimal(18,2)' },
    { name: 'takeback', type: 'decimal(18,2)' },
    { name: 'reversal_takeback', type: 'decimal(18,2)' },
    { name: 'plb_recovery', type: 'decimal(18,2)' },
    { name: 'correction_repaid', type: 'decimal(18,2)' },
    { name: 'net_takeback', type: 'decimal(18,2)' },
    { name: 'recoupment_rate', type: 'double' },
    { name: 'net_recoupment_rate', type: 'double' },
    { name: 'rank', type: 'int' },
    { name: 'claim_count', type: 'bigint' },
    { name: 'takeback_count', type: 'bigint' },
    { name: 'median_lag_days', type: 'double' },
    { name: 'linked_share', type: 'double' },
    { name: 'refunds', type: 'decimal(18,2)' },
    { name: 'interest', type: 'decimal(18,2)' },
    { name: 'outstanding_fb', type: 'decimal(18,2)' },
    { name: 'previous_paid', type: 'decimal(18,2)' },
    { name: 'previous_takeback', type: 'decimal(18,2)' },
    { name: 'previous_recoupment_rate', type: 'double' },
    { name: 'takeback_change', type: 'decimal(18,2)' },
    { name: 'recoupment_rate_change', type: 'double' },
    { name: 'trend', type: 'string' },
    { name: 'reversal_count', type: 'bigint' },
    { name: 'corrected_share', type: 'double' },
    { name: 'correction_share_original_reference', type: 'double' },
    { name: 'correction_share_payer_claim_control', type: 'double' },
    { name: 'correction_share_claim_id_service_dates', type: 'double' },
    { name: 'correction_share_claim_id_charge', type: 'double' },
    { name: 'correction_share_claim_id', type: 'double' },
    { name: 'plb_recovery_count', type: 'bigint' },
    { name: 'plb_linked_share', type: 'double' },
    { name: 'plb_share_icn', type: 'double' },
    { name: 'plb_share_claim_id', type: 'double' },
    { name: 'plb_share_composite_icn', type: 'double' },
    { name: 'plb_share_composite_claim_id', type: 'double' },
    { name: 'over_recoupment_count', type: 'bigint' },
    { name: 'over_recoupment_amount', type: 'decimal(18,2)' },
  ],
  period_restatements: [
    { name: 'period', type: 'date' },
    { name: 'payer_id', type: 'string' },
    { name: 'payer_name', type: 'string' },
    { name: 'metric', type: 'string' },
    { name: 'cause', type: 'string' },
    { name: 'reason', type: 'string' },
    { name: 'source_key', type: 'string' },
    { name: 'delta', type: 'decimal(18,2)' },
    { name: 'items', type: 'bigint' },
    { name: 'reported_value', type: 'decimal(18,2)' },
    { name: 'current_value', type: 'decimal(18,2)' },
    { name: 'restated', type: 'boolean' },
    { name: 'closed_at', type: 'timestamp' },
  ],
  plb_summary: [
    { name: 'payer_id', type: 'string' },
    { name: 'payer_name', type: 'string' },
    { name: 'reason_code', type: 'string' },
    { name: 'fiscal_period_date', type: 'date' },
    { name: 'category', type: 'string' },
    { name: 'is_recovery', type: 'boolean' },
    { name: 'amount', type: 'decimal(18,2)' },
    { name: 'taken', type: 'decimal(18,2)' },
    { name: 'returned', type: 'decimal(18,2)' },
    { name: 'pair_count', type: 'bigint' },
    { name: 'referenced_count', type: 'bigint' },
    { name: 'first_payment_date', type: 'date' },
    { name: 'last_payment_date', type: 'date' },
  ],
  recoupment_cohorts: [
    { name: 'payer_id', type: 'string' },
    { name: 'payer_name', type: 'string' },
    { name: 'cohort_month', type: 'date' },
    { name: 'dev_week', type: 'int' },
    { name: 'cohort_paid', type: 'decimal(18,2)' },
    { name: 'takeback', type: 'decimal(18,2)' },
    { name: 'takeback_count', type: 'bigint' },
    { name: 'cumulative_takeback', type: 'decimal(18,2)' },
    { name: 'cumulative_net_takeback', type: 'decimal(18,2)' },
    { name: 'cumulative_share', type: 'double' },
    { name: 'cumulative_net_share', type: 'double' },
    { name: 'complete', type: 'boolean' },
    { name: 'mature', type: 'boolean' },
    { name: 'cohort_rate', type: 'double' },
    { name: 'net_cohort_rate', type: 'double' },
    { name: 'maturity_weeks', type: 'int' },
    { name: 'as_of', type: 'date' },
  ],
  recoupment_rates: [
    { name: 'grain', type: 'string' },
    { name: 'period', type: 'date' },
    { name: 'payer_id', type: 'string' },
    { name: 'payer_name', type: 'string' },
    { name: 'cause', type: 'string' },
    { name: 'provider_npi', type: 'string' },
    { name: 'provider_role', type: 'string' },
    { name: 'paid', type: 'decimal(18,2)' },
    { name: 'takeback', type: 'decimal(18,2)' },
    { name: 'net_takeback', type: 'decimal(18,2)' },
    { name: 'recoupment_rate', type: 'double' },
    { name: 'net_recoupment_rate', type: 'double' },
    { name: 'claim_count', type: 'bigint' },
    { name: 'takeback_count', type: 'bigint' },
    { name: 'partial_period', type: 'boolean' },
  ],
  takeback_alerts: [
    { name: 'alert_id', type: 'string' },
    { name: 'grain', type: 'string' },
    { name: 'payer_id', type: 'string' },
    { name: 'payer_name', type: 'string' },
    { name: 'cause', type: 'string' },
    { name: 'week_start', type: 'date' },
    { name: 'takeback', type: 'decimal(18,2)' },
    { name: 'baseline', type: 'decimal(18,2)' },
    { name: 'score', type: 'double' },
    { name: 'excess', type: 'decimal(18,2)' },
    { name: 'spread', type: 'decimal(18,2)' },
    { name: 'history_weeks', type: 'int' },
    { name: 'dollar_score', type: 'double' },
    { name: 'count_score', type: 'double' },
    { name: 'takeback_count', type: 'bigint' },
    { name: 'baseline_count', type: 'double' },
    { name: 'payments_at_risk', type: 'decimal(18,2)' },
    { name: 'excess_share', type: 'double' },
    { name: 'top_claims', type: 'array<string>' },
    { name: 'top_providers', type: 'array<string>' },
    { name: 'top_causes', type: 'array<string>' },
    { name: 'as_of_week', type: 'date' },
  ],
  takeback_appeals: [
    { name: 'rank', type: 'int' },
    { name: 'takeback_id', type: 'string' },
    { name: 'kind', type: 'string' },
    { name: 'event_class', type: 'string' },
    { name: 'payer_id', type: 'string' },
    { name: 'payer_name', type: 'string' },
    { name: 'remit_id', type: 'string' },
    { name: 'payment_date', type: 'date' },
    { name: 'amount', type: 'decimal(18,2)' },
    { name: 'correction_repaid', type: 'decimal(18,2)' },
    { name: 'net_amount', type: 'decimal(18,2)' },
    { name: 'disputable_amount', type: 'decimal(18,2)' },
    { name: 'recoverable_amount', type: 'decimal(18,2)' },
    { name: 'cause', type: 'string' },
    { name: 'cause_reason_code', type: 'string' },
    { name: 'provider_npi', type: 'string' },
    { name: 'claim_id', type: 'string' },
    { name: 'payer_claim_control', type: 'string' },
    { name: 'original_claim_key', type: 'string' },
    { name: 'original_payment_date', type: 'date' },
    { name: 'correction_remit_id', type: 'string' },
    { name: 'correction_payment_date', type: 'date' },
    { name: 'reason_code', type: 'string' },
    { name: 'reference_id', type: 'string' },
    { name: 'appeal_window_days', type: 'int' },
    { name: 'appeal_deadline', type: 'date' },
    { name: 'as_of', type: 'date' },
    { name: 'days_left', type: 'int' },
    { name: 'status', type: 'string' },
  ],
  takeback_links: [
    { name: 'takeback_id', type: 'string' },
    { name: 'kind', type: 'string' },
    { name: 'payer_id', type: 'string' },
    { name: 'payer_name', type: 'string' },
    { name: 'remit_id', type: 'string' },
    { name: 'payment_date', type: 'date' },
    { name: 'period', type: 'date' },
    { name: 'amount', type: 'decimal(18,2)' },
    { name: 'correction_repaid', type: 'decimal(18,2)' },
    { name: 'net_amount', type: 'decimal(18,2)' },
    { name: 'cause', type: 'string' },
    { name: 'cause_reason_code', type: 'string' },
    { name: 'provider_npi', type: 'string' },
    { name: 'claim_id', type: 'string' },
    { name: 'payer_claim_control', type: 'string' },
    { name: 'reason_code', type: 'string' },
    { name: 'reference_id', type: 'string' },
    { name: 'linked', type: 'boolean' },
    { name: 'original_remit_id', type: 'string' },
    { name: 'original_claim_seq', type: 'int' },
    { name: 'original_payment_date', type: 'date' },
    { name: 'original_paid', type: 'decimal(18,2)' },
    { name: 'lag_days', type: 'int' },
    { name: 'correction_remit_id', type: 'string' },
    { name: 'correction_claim_seq', type: 'int' },
    { name: 'correction_payer_claim_control', type: 'string' },
    { name: 'correction_payment_date', type: 'date' },
    { name: 'correction_lag_days', type: 'int' },
    { name: 'linked_reversal_remit_id', type: 'string' },
    { name: 'linked_reversal_claim_seq', type: 'int' },
    { name: 'link_rule', type: 'string' },
    { name: 'original_link_rule', type: 'string' },
    { name: 'original_taken_back', type: 'decimal(18,2)' },
    { name: 'over_recoupment', type: 'boolean' },
    { name: 'over_recoupment_reason', type: 'string' },
  ],
  takeback_trend: [
    { name: 'grain', type: 'string' },
    { name: 'payer_id', type: 'string' },
    { name: 'payer_name', type: 'string' },
    { name: 'period_start', type: 'date' },
    { name: 'paid', type: 'decimal(18,2)' },
    { name: 'takeback', type: 'decimal(18,2)' },
    { name: 'reversal_takeback', type: 'decimal(18,2)' },
    { name: 'plb_recovery', type: 'decimal(18,2)' },
    { name: 'net_takeback', type: 'decimal(18,2)' },
    { name: 'recoupment_rate', type: 'double' },
    { name: 'net_recoupment_rate', type: 'double' },
    { name: 'claim_count', type: 'bigint' },
    { name: 'takeback_count', type: 'bigint' },
    { name: 'partial_period', type: 'boolean' },
  ],
} as const satisfies Readonly<Record<string, readonly MartColumn[]>>;

/** Every mart's columns, in the order the model writes them. */
export const MART_COLUMNS: Readonly<Record<string, readonly MartColumn[]>> = CONTRACT;

/** A mart of the contract. */
export type MartName = keyof typeof CONTRACT;

/**
 * The column names of a mart, as a type: code that reads a mart declares what it reads with it, so
 * a column removed or renamed here fails the typecheck where it is read (readAlerts.ts).
 */
export type MartColumnName<M extends MartName> = (typeof CONTRACT)[M][number]['name'];

/**
 * The TypeScript value of a column of Glue type G, as the Warehouse port returns it
 * (functions/ports/warehouse.ts, ResultTable): money (`decimal(18,2)`) an exact decimal string
 * ("1234.50"), a date an ISO string ("2025-03-05"), a timestamp a string, 32- and 64-bit integers and
 * doubles numbers (a count is a safe integer), a boolean a boolean, an `array<string>` a string
 * list. Whether it may be null is MartRow's to say (NOT_NULL).
 */
export type GlueValue<G extends string> = G extends `decimal(${string})`
  ? string
  : G extends 'date' | 'timestamp' | 'string'
    ? string
    : G extends 'int' | 'bigint' | 'smallint' | 'double' | 'float'
      ? number
      : G extends 'boolean'
        ? boolean
        : G extends `array<${infer E}>`
          ? GlueValue<E>[]
          : never;

/**
 * The columns of each mart that are never NULL: the keys of its grain that a reader groups, joins
 * or labels by. `recoup build` fails on a mart with a NULL in one (buildModels.ts,
 * martNotNullSql), so MartRow types them without `| null`; every other column may be NULL.
 */
const NOT_NULL = {
  liquidity_forecast: ['payer_id', 'week_start'],
  payer_scorecard: ['payer_id'],
  period_restatements: ['period', 'payer_id', 'metric', 'reason'],
  plb_summary: ['payer_id'],
  recoupment_cohorts: ['payer_id', 'cohort_month', 'dev_week'],
  recoupment_rates: ['grain', 'period'],
  takeback_alerts: ['alert_id', 'grain', 'payer_id', 'week_start'],
  takeback_appeals: ['takeback_id', 'payer_id', 'status'],
  takeback_links: ['takeback_id', 'payer_id', 'kind'],
  takeback_trend: ['grain', 'payer_id', 'period_start'],
} as const satisfies { [M in MartName]: readonly MartColumnName<M>[] };

/** The columns of mart M that are never NULL (NOT_NULL). */
export type MartNotNullName<M extends MartName> = (typeof NOT_NULL)[M][number];

/** The never-NULL columns of a mart of the contract (none for another name). */
export function martNotNullColumns(mart: string): readonly string[] {
  return (NOT_NULL as Readonly<Record<string, readonly string[]>>)[mart] ?? [];
}

/**
 * A query over the mart (a view or table named as the mart) giving one row, `column`, for each
 * never-NULL column that holds a NULL; null when the mart has no such columns.
 */
export function martNotNullSql(mart: string): string | null {
  const columns = martNotNullColumns(mart);
  if (columns.length === 0) return null;
  const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
  return columns
    .map((c) => `SELECT '${c}' AS "column" FROM ${quote(mart)} WHERE ${quote(c)} IS NULL HAVING count(*) > 0`)
    .join(' UNION ALL ');
}

/** One column of a mart's contract, by name. */
type ContractColumn<M extends MartName, C extends MartColumnName<M>> = Extract<
  (typeof CONTRACT)[M][number],
  { name: C }
>;

/**
 * A row of mart M as the Warehouse port returns it: each contract column with the value type of its
 * Glue type (GlueValue), or null unless the column is never NULL (NOT_NULL). Code that reads a mart
 * types its rows with it (or a Pick of it), so a column renamed, removed or retyped here fails the
 * typecheck where it is read (functions/report/loadReportData.ts and the page modules,
 * functions/cli/commands/demo.ts; test/mart-contract-types.test.ts shows it).
 */
export type MartRow<M extends MartName> = {
  [C in MartColumnName<M>]: C extends MartNotNullName<M>
    ? GlueValue<ContractColumn<M, C>['type']>
    : GlueValue<ContractColumn<M, C>['type']> | null;
};

/** The columns of mart M, as the contract gives them: typed names in the model's order. */
export function martColumns<M extends MartName>(
  mart: M,
): readonly { name: MartColumnName<M>; type: string }[] {
  return CONTRACT[mart];
}

/** The DuckDB type of a Glue type of the contract (the inverse of glueTypeOfDuckDb for its types). */
export function duckDbTypeOfGlue(glueType: string): string {
  const array = /^array<(.+)>$/.exec(glueType);
  if (array) return `${duckDbTypeOfGlue(array[1] as string)}[]`;
  if (/^decimal\(\d+,\d+\)$/.test(glueType)) return glueType.toUpperCase();
  const map: Record<string, string> = {
    string: 'VARCHAR',
    date: 'DATE',
    double: 'DOUBLE',
    float: 'FLOAT',
    bigint: 'BIGINT',
    int: 'INTEGER',
    smallint: 'SMALLINT',
    boolean: 'BOOLEAN',
    timestamp: 'TIMESTAMP',
  };
  const duckdb = map[glueType];
  if (duckdb === undefined) throw new Error(`no DuckDB type for Glue type ${glueType}`);
  return duckdb;
}

/** A column name of any mart of the contract. */
export type AnyMartColumnName = { [M in MartName]: MartColumnName<M> }[MartName];

/** The Glue type of a DuckDB column type, for the mart column lists (and the test that checks them). */
export function glueTypeOfDuckDb(duckdbType: string): string {
  const t = duckdbType.toUpperCase();
  if (t.endsWith('[]')) return `array<${glueTypeOfDuckDb(t.slice(0, -2))}>`;
  const decimal = /^DECIMAL\((\d+),(\d+)\)$/.exec(t);
  if (decimal) return `decimal(${decimal[1]},${decimal[2]})`;
  const map: Record<string, string> = {
    VARCHAR: 'string',
    DATE: 'date',
    DOUBLE: 'double',
    FLOAT: 'float',
    BIGINT: 'bigint',
    HUGEINT: 'decimal(38,0)',
    INTEGER: 'int',
    SMALLINT: 'smallint',
    BOOLEAN: 'boolean',
    TIMESTAMP: 'timestamp',
    'TIMESTAMP WITH TIME ZONE': 'timestamp',
  };
  const glue = map[t];
  if (glue === undefined) throw new Error(`no Glue type for DuckDB type ${duckdbType}`);
  return glue;
}

/**
 * How a written mart differs from its contract, given its DuckDB columns (DESCRIBE): one line per
 * missing, extra or retyped column, in the contract's order; empty when it matches or when the mart
 * is not in the contract.
 */
export function martContractProblems(
  mart: string,
  described: readonly { name: string; duckdbType: string }[],
): string[] {
  const contract = MART_COLUMNS[mart];
  if (contract === undefined) return [];
  const actual = new Map(described.map((c) => [c.name, c.duckdbType]));
  const problems: string[] = [];
  for (const column of contract) {
    const type = actual.get(column.name);
    if (type === undefined) problems.push(`missing column ${column.name} (${column.type})`);
    else if (glueTypeOfDuckDb(type) !== column.type)
      problems.push(`column ${column.name} is ${glueTypeOfDuckDb(type)}, the contract says ${column.type}`);
  }
  const named = new Set(contract.map((c) => c.name));
  for (const c of described)
    if (!named.has(c.name)) problems.push(`extra column ${c.name} (${glueTypeOfDuckDb(c.duckdbType)})`);
  return problems;
}
