import type { MartColumnName } from '../core/lake/martSchema.ts';
import { parseCents } from '../core/money.ts';
import type { Alert, AlertGrain } from '../ports/alertSink.ts';
import type { Warehouse } from '../ports/warehouse.ts';

/**
 * Every field of an Alert is a column of the takeback_alerts mart (functions/core/lake/martSchema.ts):
 * a column the contract loses fails the typecheck here.
 */
type AlertFieldsOutsideTheMart = Exclude<keyof Alert, MartColumnName<'takeback_alerts'>>;
const alertFieldsAreMartColumns: [AlertFieldsOutsideTheMart] extends [never]
  ? true
  : AlertFieldsOutsideTheMart = true;
/** The mart's other columns this reader needs. */
const AS_OF_WEEK: MartColumnName<'takeback_alerts'> = 'as_of_week';

/** Weeks, counted back from the latest week of the lake, whose alerts are current. */
export const CURRENT_ALERT_WEEKS = 4;

export interface ReadAlertsOptions {
  /** Every alert in the mart, not only the current ones. */
  all?: boolean;
  currentWeeks?: number;
}

/**
 * Reads the `takeback_alerts` mart (a view or table in the warehouse), newest first. By default only the
 * current alerts: weeks within `currentWeeks` of the latest week the mart was built on.
 */
export async function readAlerts(warehouse: Warehouse, options: ReadAlertsOptions = {}): Promise<Alert[]> {
  void alertFieldsAreMartColumns;
  const currentWeeks = options.currentWeeks ?? CURRENT_ALERT_WEEKS;
  // A mart built before payer names were added has no payer_name column.
  const named =
    (
      await warehouse.query(
        `SELECT 1 FROM information_schema.columns WHERE table_name = 'takeback_alerts' AND column_name = 'payer_name'`,
      )
    ).rows.length > 0;
  const { rows } =
    await warehouse.query(`SELECT alert_id, grain, payer_id, ${named ? 'payer_name' : 'NULL AS payer_name'}, cause,
            CAST(week_start AS VARCHAR) AS week_start,
            CAST(takeback AS VARCHAR) AS takeback, CAST(baseline AS VARCHAR) AS baseline,
            CAST(score AS DOUBLE) AS score, CAST(excess AS VARCHAR) AS excess,
            top_claims, top_providers, top_causes,
            date_diff('day', week_start, ${AS_OF_WEEK}) // 7 AS weeks_ago
     FROM takeback_alerts
     ORDER BY week_start DESC, excess DESC, alert_id`);
  return rows
    .filter((r) => options.all === true || Number(r.weeks_ago) < currentWeeks)
    .map((r) => ({
      alert_id: String(r.alert_id),
      grain: String(r.grain) as AlertGrain,
      payer_id: String(r.payer_id),
      payer_name: r.payer_name === null || r.payer_name === undefined ? null : String(r.payer_name),
      cause: r.cause === null ? null : String(r.cause),
      week_start: String(r.week_start),
      takeback: cents(r.takeback),
      baseline: cents(r.baseline),
      score: Number(r.score),
      excess: cents(r.excess),
      top_claims: strings(r.top_claims),
      top_providers: strings(r.top_providers),
      top_causes: strings(r.top_causes),
    }));
}

function cents(value: unknown): number {
  const parsed = parseCents(String(value));
  if (parsed === null) throw new Error(`takeback_alerts: not an amount: ${String(value)}`);
  return parsed;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}
