/**
 * What an incremental build keeps between builds, and why it is exact (docs/models.md,
 * "Incremental builds").
 *
 * The warehouse holds a copy of the lake's rows (lake files are immutable and keyed by remit_id,
 * so a remittance is copied once) and the results of the STATEFUL_MODELS, each row keyed by the
 * claim or PLB pair it belongs to. These models link claims to each other, and a link only ever
 * joins rows of one payer that share an identifier: CLP01 (claim_id), the payer's claim number
 * (payer_claim_control), the original reference of a corrected claim (original_reference) or a
 * token of a PLB reference (reference_id). So new remittances can change only the rows of claims
 * and PLB pairs connected to them through shared identifiers (the closure, with whole CLP01
 * histories, since claim_pos numbers a history). The incremental build recomputes those rows with
 * the models' own SQL over just those inputs, replaces them in the warehouse, and runs every other
 * model in full over the warehouse: they are sums and windows over a few small tables, and the marts
 * depend on the as-of date, which moves with every new week.
 */

/** A stateful model and the key of its rows: a row is replaced when its key is recomputed. */
export interface StatefulModel {
  name: string;
  key: readonly string[];
}

export const STATEFUL_MODELS: readonly StatefulModel[] = [
  { name: 'int_reversal_links', key: ['remit_id', 'claim_seq'] },
  { name: 'int_reversal_causes', key: ['remit_id', 'claim_seq'] },
  { name: 'int_plb_links', key: ['remit_id', 'adjustment_seq'] },
  { name: 'int_takebacks', key: ['takeback_id'] },
];

/** Claim columns a link may join on (those the lake has), compared within one payer. */
export const CLAIM_IDENTIFIERS = ['claim_id', 'payer_claim_control', 'original_reference'] as const;

/**
 * The models a stateful model reads are computed again over the closure's inputs only. None of them
 * may sum or rank across unrelated claims (none does: they rename, filter, date and number rows
 * within a CLP01 history); every other model runs in full over the warehouse and is always exact.
 */

/** Bump when the warehouse's layout or these rules change: an older warehouse is rebuilt. */
export const WAREHOUSE_VERSION = 2;
