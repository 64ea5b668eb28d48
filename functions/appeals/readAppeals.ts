import type { Warehouse } from '../ports/warehouse.ts';

/** Statuses of an appeal in the takeback_appeals mart. */
export const APPEAL_STATUSES = ['open', 'due_7_days', 'expired', 'repaid_by_correction'] as const;
export type AppealStatus = (typeof APPEAL_STATUSES)[number];

export interface ReadAppealsOptions {
  /** Days left and status count to this date (YYYY-MM-DD); default today (UTC). */
  asOf?: string;
  /** Only appeals still open whose deadline is at most this many days after the as-of date. */
  dueWithin?: number;
  /** Also list expired appeals and takebacks a correction repaid (default: only those still open). */
  all?: boolean;
  payerId?: string;
  /** Days left at or under which an appeal is `due_7_days` (the config's dueSoonDays; default 7). */
  dueSoonDays?: number;
  /** At most this many rows (default: all). */
  limit?: number;
}

/** The columns of the worklist, in the order an export shows them. */
export const APPEAL_COLUMNS = [
  'rank',
  'status',
  'days_left',
  'appeal_deadline',
  'recoverable_amount',
  'amount',
  'correction_repaid',
  'payer_id',
  'payer_name',
  'kind',
  'reason_code',
  'payer_claim_control',
  'claim_id',
  'original_claim_key',
  'original_payment_date',
  'payment_date',
  'cause',
  'cause_reason_code',
  'provider_npi',
  'reference_id',
  'correction_payment_date',
  'takeback_id',
] as const;

/**
 * Reads the appeals worklist from the takeback_appeals mart (a view in the warehouse), with days left and
 * status recomputed as of `asOf`: the mart counts days to the day it was built, a worklist counts
 * them to today. Ranked by money recoverable, then by deadline. Money stays an exact string.
 */
export async function readAppeals(
  warehouse: Warehouse,
  options: ReadAppealsOptions = {},
): Promise<{ as_of: string; columns: string[]; rows: Record<string, unknown>[] }> {
  const asOf = options.asOf ?? new Date().toISOString().slice(0, 10);
  await warehouse.run(
    `CREATE OR REPLACE TEMP TABLE appeals_params AS SELECT CAST($1 AS DATE) AS as_of, CAST($2 AS INTEGER) AS due_soon_days,
       CAST($3 AS INTEGER) AS due_within, CAST($4 AS BOOLEAN) AS show_all, CAST($5 AS VARCHAR) AS payer_id`,
    [
      asOf,
      options.dueSoonDays ?? 7,
      options.dueWithin ?? null,
      options.all === true,
      options.payerId ?? null,
    ],
  );
  // A mart built before payer names were added has no payer_name column.
  const named =
    (
      await warehouse.query(
        `SELECT 1 FROM information_schema.columns WHERE table_name = 'takeback_appeals' AND column_name = 'payer_name'`,
      )
    ).rows.length > 0;
  const limit = options.limit !== undefined ? `LIMIT ${Math.max(0, Math.floor(options.limit))}` : '';
  const { columns, rows } = await warehouse.query(`WITH dated AS (
       SELECT a.*, CAST(date_diff('day', p.as_of, CAST(a.appeal_deadline AS DATE)) AS INTEGER) AS days_now,
         CASE
           WHEN a.status = 'repaid_by_correction' THEN 'repaid_by_correction'
           WHEN date_diff('day', p.as_of, CAST(a.appeal_deadline AS DATE)) < 0 THEN 'expired'
           WHEN date_diff('day', p.as_of, CAST(a.appeal_deadline AS DATE)) <= p.due_soon_days THEN 'due_7_days'
           ELSE 'open'
         END AS status_now
       FROM takeback_appeals AS a, appeals_params AS p
       WHERE p.payer_id IS NULL OR a.payer_id = p.payer_id
     ),
     listed AS (
       SELECT d.* FROM dated AS d, appeals_params AS p
       WHERE (p.show_all OR d.status_now IN ('open', 'due_7_days'))
         AND (p.due_within IS NULL OR (d.status_now IN ('open', 'due_7_days') AND d.days_now <= p.due_within))
     )
     SELECT
       CAST(row_number() OVER (ORDER BY recoverable_amount DESC, appeal_deadline, takeback_id) AS INTEGER) AS rank,
       status_now AS status, days_now AS days_left, strftime(CAST(appeal_deadline AS DATE), '%Y-%m-%d') AS appeal_deadline,
       recoverable_amount, amount, correction_repaid, payer_id, ${named ? 'payer_name' : 'NULL AS payer_name'}, kind, reason_code, payer_claim_control, claim_id,
       original_claim_key, strftime(CAST(original_payment_date AS DATE), '%Y-%m-%d') AS original_payment_date,
       strftime(CAST(payment_date AS DATE), '%Y-%m-%d') AS payment_date, cause, cause_reason_code, provider_npi,
       reference_id, strftime(CAST(correction_payment_date AS DATE), '%Y-%m-%d') AS correction_payment_date, takeback_id
     FROM listed
     ORDER BY rank
     ${limit}`);
  return { as_of: asOf, columns, rows };
}
