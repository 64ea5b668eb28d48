/**
 * How a build partitioned by payer fits back together. Every model joins within one payer (links,
 * causes, histories), so a partition of payers builds its payers' rows exactly as a whole build
 * would; only a few marts compare or add up payers, and the merge computes those.
 *
 * - A mart listed in MERGED_MARTS is not built in the partitions: each partition exports the
 *   named inputs (small, additive tables whose every row belongs to one payer), and the merge runs
 *   the mart's own SQL over their union.
 * - A mart listed in RERANKED_MARTS is built in the partitions; the merge recomputes the named
 *   columns, which rank payers against each other, over the union of the partitions' rows.
 * - Every other mart is per payer (or per takeback): the merge takes the union of the partitions'
 *   rows, in the mart's own order.
 */

/** What a partition exports for a merged mart: a model, or a query over models when a mart reads only a little of a large one. */
export interface MergeInput {
  name: string;
  /** The SELECT that exports it (default: every row of the model `name`). */
  sql?: string;
}

export const MERGED_MARTS: Readonly<Record<string, readonly MergeInput[]>> = {
  // Grains 'cause' and 'provider' add up payers; every grain rolls up these two sums.
  // dim_payers: the payer names and first payment dates (partial_period), one row per payer.
  recoupment_rates: [
    { name: 'int_daily_payments' },
    { name: 'int_period_takebacks' },
    { name: 'dim_payers' },
  ],
  // The deferral lag of a payer without repaid deferrals falls back to the median of all payers'
  // (computed in the mart); every int_forecast_* input is per payer (int_forecast_horizon, below, is not).
  liquidity_forecast: [
    { name: 'dim_payers' },
    { name: 'int_forecast_expected_payments' },
    { name: 'int_forecast_takeback_quantiles' },
    { name: 'int_forecast_wo_deferrals' },
    { name: 'int_forecast_forwarding_balances' },
  ],
};

/**
 * Models computed from the build's parameters alone (build_params), the same in every partition:
 * the merge builds them itself rather than taking a union of the partitions' copies.
 */
export const PARAMETER_MODELS: readonly string[] = ['int_as_of', 'int_forecast_horizon'];

/** Columns of a mart that rank payers against each other, with the expression that recomputes each. */
export const RERANKED_MARTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  // As payer_scorecard.sql ranks: 1 = highest recoupment rate, active payers first, payers without paid last.
  payer_scorecard: {
    rank: 'cast(rank() over (order by active desc, recoupment_rate desc nulls last) as integer)',
  },
  // As takeback_appeals.sql ranks the worklist: the most recoverable money first, over all payers.
  takeback_appeals: {
    rank: 'cast(row_number() over (order by recoverable_amount desc, appeal_deadline, takeback_id) as integer)',
  },
};
