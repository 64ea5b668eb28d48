import type { ModelWarehouse } from '../ports/modelWarehouse.ts';
import { appealsAsOf, type BuildParams, defaultAsOf } from './registerBuildInputs.ts';

/** A payer of the lake and how many claims it has (the partitions are balanced by claims). */
export interface LakePayer {
  payer_id: string;
  claims: number;
}

/** How a partitioned build splits the lake. */
export interface PartitionPlan {
  /** The as-of date every partition builds with (given, else the lake's latest payment date). */
  asOf: string;
  asOfSource: BuildParams['asOfSource'];
  /** The date appeal days count to (the given as-of, else the day of the plan), the same in every partition. */
  appealsAsOf: string;
  payers: LakePayer[];
  /** Payer groups, one per partition (at most `jobs`, never an empty one). */
  groups: string[][];
}

/**
 * Plans a build partitioned by payer: reads the lake's remittances (small), settles the as-of date
 * once for all partitions, and splits the payers into at most `jobs` groups of about equal claims.
 */
export async function planPartitionsIn(
  warehouse: ModelWarehouse,
  options: { lakeDir: string; jobs: number; asOf?: string },
): Promise<PartitionPlan> {
  await warehouse.attachLake(options.lakeDir);
  const params: BuildParams =
    options.asOf !== undefined ? { asOf: options.asOf, asOfSource: 'given' } : await defaultAsOf(warehouse);
  const { rows } = await warehouse.query(
    `SELECT payer_id, CAST(coalesce(sum(claim_count), 0) AS BIGINT) AS claims
     FROM remittances GROUP BY payer_id ORDER BY payer_id`,
  );
  const payers = rows.map((r) => ({ payer_id: String(r.payer_id), claims: Number(r.claims) }));
  return {
    asOf: params.asOf,
    asOfSource: params.asOfSource,
    appealsAsOf: appealsAsOf(options.asOf),
    payers,
    groups: groupPayers(payers, options.jobs),
  };
}

/**
 * Splits payers into at most `n` groups of about equal claims: largest payer first, each to the
 * group with the fewest claims so far (the first such group on a tie). Deterministic; no group is
 * empty; each group's payers are sorted.
 */
export function groupPayers(payers: readonly LakePayer[], n: number): string[][] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`jobs must be a positive integer, got ${n}`);
  const sorted = [...payers].sort((a, b) => b.claims - a.claims || (a.payer_id < b.payer_id ? -1 : 1));
  const groups = Array.from({ length: Math.min(n, sorted.length) }, () => ({
    claims: 0,
    payers: [] as string[],
  }));
  for (const payer of sorted) {
    let lightest = groups[0] as (typeof groups)[number];
    for (const g of groups) if (g.claims < lightest.claims) lightest = g;
    lightest.payers.push(payer.payer_id);
    lightest.claims += payer.claims;
  }
  return groups.map((g) => g.payers.sort());
}
