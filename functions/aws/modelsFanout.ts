import { createHash } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildPartition } from '../adapters/duckdb/buildPartition.ts';
import { duckDbWarehouse } from '../adapters/duckdb/duckDbWarehouse.ts';
import { createLakeViews, lakeTableSql } from '../adapters/duckdb/lakeViews.ts';
import { mergePartitions } from '../adapters/duckdb/mergePartitions.ts';
import { openDuckDb } from '../adapters/duckdb/openDuckDb.ts';
import { deliverNewAlerts } from '../alerts/deliverNewAlerts.ts';
import { MARTS_DIR } from '../core/lake/schema.ts';
import { mapLimit } from '../core/mapLimit.ts';
import { groupPayers } from '../models/planPartitions.ts';
import { appealsAsOf, defaultAsOf } from '../models/registerBuildInputs.ts';
import type { AlertSink } from '../ports/alertSink.ts';
import type { ObjectStore } from '../ports/objectStore.ts';
import { uploadMarts } from './modelsJob.ts';
import type { LogFn } from './observability.ts';
import { publishReports } from './publishReports.ts';
import { type SyncLakeOptions, type SyncLakeResult, syncLake } from './syncLake.ts';

/**
 * The models job fanned out by payer (the Step Functions state machine of the stack): a plan step
 * splits the payers into groups, one function per group builds that group's marts and merge inputs
 * from its own lake partitions (buildPartition) and puts them under `models-fanout/<run>/`, and a
 * merge step puts the groups together (mergePartitions), writes the marts and publishes alerts.
 * Each step reads only what it needs: the plan the remittances, a group its payers' files.
 */

/** Where the groups' outputs go in the lake bucket (expired by a lifecycle rule). */
export const FANOUT_PREFIX = 'models-fanout/';

export interface FanoutDeps {
  lake: ObjectStore;
  /** Local scratch folder (/tmp/recoup in Lambda). */
  scratch: string;
  log?: LogFn;
  sync?: SyncLakeOptions;
}

/** One group of the plan: the input of a partition step (a Map item). */
export interface FanoutGroup {
  run: string;
  index: number;
  payers: string[];
  asOf: string;
  appealsAsOf: string;
}

export interface FanoutPlan {
  run: string;
  asOf: string;
  appealsAsOf: string;
  groups: FanoutGroup[];
}

export interface FanoutPartitionResult {
  run: string;
  index: number;
  payers: string[];
  /** Key prefix of the group's outputs (`marts/…` and `merge/…` below it). */
  prefix: string;
  /** False when the group's copy stopped early (time budget): the step fails and is retried, resuming the copy. */
  complete: boolean;
  synced: SyncLakeResult;
}

export interface FanoutMergeResult {
  run: string;
  marts: { name: string; rows: number | null }[];
  martsUploaded: number;
  alerts: { sent: number; skipped: number };
}

/** The lake copies the steps keep under the scratch folder (the single job's is `lake`). */
const LOCAL_COPIES = ['lake', 'plan-lake', 'group-lake'] as const;

/**
 * Removes the lake copies of the other steps from a container's scratch, so that /tmp holds one
 * copy (the budget is per copy) when one container runs several kinds of step.
 */
export async function dropOtherCopies(scratch: string, keep: (typeof LOCAL_COPIES)[number]): Promise<void> {
  for (const copy of LOCAL_COPIES)
    if (copy !== keep) await rm(join(scratch, copy), { recursive: true, force: true });
}

/** Raised when a step's copy stopped before the end: the state machine retries the step, which resumes. */
export class SyncIncompleteError extends Error {
  override name = 'SyncIncompleteError';
}

/** The plan step: copy the remittances (small), settle the as-of date, split the payers into at most `jobs` groups. */
export async function planFanout(
  deps: FanoutDeps,
  input: { jobs: number; asOf?: string; run?: string },
): Promise<FanoutPlan> {
  const lakeDir = join(deps.scratch, 'plan-lake');
  await dropOtherCopies(deps.scratch, 'plan-lake');
  const synced = await syncLake(deps.lake, lakeDir, {
    ...deps.sync,
    stateKey: 'state/models-sync/plan.json',
    tables: ['remittances'],
  });
  if (!synced.complete)
    throw new SyncIncompleteError(`plan: copied ${synced.downloaded} of ${synced.objects}`);
  const plan = await planFromRemittances(lakeDir, input.jobs, input.asOf);
  const run = input.run ?? new Date().toISOString().replace(/[:.]/g, '-');
  deps.log?.({ level: 'info', message: 'fan-out planned', run, groups: plan.groups.length });
  return {
    run,
    asOf: plan.asOf,
    appealsAsOf: plan.appealsAsOf,
    groups: plan.groups.map((payers, index) => ({
      run,
      index,
      payers,
      asOf: plan.asOf,
      appealsAsOf: plan.appealsAsOf,
    })),
  };
}

/** A partition step: copy the group's payers' lake files, build their marts and merge inputs, put them in the bucket. */
export async function runFanoutPartition(
  deps: FanoutDeps,
  group: FanoutGroup,
): Promise<FanoutPartitionResult> {
  const groupId = createHash('sha256').update(group.payers.join('\n')).digest('hex').slice(0, 16);
  const lakeDir = join(deps.scratch, 'group-lake');
  await dropOtherCopies(deps.scratch, 'group-lake');
  const synced = await syncLake(deps.lake, lakeDir, {
    ...deps.sync,
    stateKey: `state/models-sync/group-${groupId}.json`,
    payers: new Set(group.payers),
  });
  const prefix = `${FANOUT_PREFIX}${group.run}/partition-${String(group.index).padStart(4, '0')}/`;
  const result = { run: group.run, index: group.index, payers: group.payers, prefix, synced };
  if (!synced.complete)
    throw new SyncIncompleteError(
      `group ${group.index}: copied ${synced.downloaded + synced.unchanged} of ${synced.objects}; retry resumes`,
    );
  const outDir = join(deps.scratch, 'group-out');
  await rm(outDir, { recursive: true, force: true });
  try {
    await buildPartition({
      lakeDir,
      payers: group.payers,
      outDir,
      asOf: group.asOf,
      appealsAsOf: group.appealsAsOf,
    });
    const files = await filesUnder(outDir);
    await mapLimit(files, 8, (f) => deps.lake.putFile(`${prefix}${f}`, join(outDir, ...f.split('/'))));
    deps.log?.({ level: 'info', message: 'fan-out group built', index: group.index, files: files.length });
    return { ...result, complete: true };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/**
 * The merge step: copy every group's outputs (marts and merge inputs, small), merge them into the
 * marts, upload them to `marts/`, publish new alerts.
 */
export async function runFanoutMerge(
  deps: FanoutDeps & { sinks: AlertSink[] },
  input: { run: string; asOf: string; appealsAsOf: string; partitions: { prefix: string }[] },
): Promise<FanoutMergeResult> {
  const work = join(deps.scratch, 'merge');
  await rm(work, { recursive: true, force: true });
  try {
    const partitionDirs: string[] = [];
    for (const [i, p] of input.partitions.entries()) {
      const dir = join(work, `partition-${i}`);
      const keys: string[] = [];
      for await (const o of deps.lake.list(p.prefix)) keys.push(o.key);
      await mapLimit(keys, 16, (k) =>
        deps.lake.download(k, join(dir, ...k.slice(p.prefix.length).split('/'))),
      );
      partitionDirs.push(dir);
    }
    const lakeDir = join(work, 'lake');
    const marts = await mergePartitions({
      partitionDirs,
      martsDir: join(lakeDir, MARTS_DIR),
      asOf: input.asOf,
      appealsAsOf: input.appealsAsOf,
    });
    const martsUploaded = await uploadMarts(deps.lake, join(lakeDir, MARTS_DIR));
    // After marts written (fan-out): the merged marts are in the bucket; `db` reads them as views.
    const db = await openDuckDb();
    try {
      await createLakeViews(db, lakeDir);
      const alerts = await deliverNewAlerts({
        warehouse: duckDbWarehouse(db),
        store: deps.lake,
        sinks: deps.sinks,
      });
      await publishReports({
        db,
        lake: deps.lake,
        lakeDir,
        asOf: input.asOf,
        appealsAsOf: input.appealsAsOf,
        log: deps.log,
      }); // issue 25
      deps.log?.({ level: 'info', message: 'fan-out merged', run: input.run, marts: martsUploaded, alerts });
      return {
        run: input.run,
        marts: marts.map((m) => ({ name: m.name, rows: m.rows })),
        martsUploaded,
        alerts,
      };
    } finally {
      db.closeSync();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * planPartitions over a copy of the remittances alone (the other tables are not copied for the
 * plan): the same as-of rule (given, else the latest payment date), the same groups (groupPayers).
 */
async function planFromRemittances(
  lakeDir: string,
  jobs: number,
  asOf: string | undefined,
): Promise<{ asOf: string; appealsAsOf: string; groups: string[][] }> {
  const db = await openDuckDb({ threads: 1 });
  try {
    await db.run(`CREATE VIEW remittances AS ${lakeTableSql(lakeDir, 'remittances')}`);
    const settled = asOf ?? (await defaultAsOf(duckDbWarehouse(db))).asOf;
    const payers = (
      await db.runAndReadAll(
        `SELECT payer_id, CAST(coalesce(sum(claim_count), 0) AS BIGINT) AS claims
         FROM remittances GROUP BY payer_id ORDER BY payer_id`,
      )
    )
      .getRowObjectsJson()
      .map((r) => ({ payer_id: String(r.payer_id), claims: Number(r.claims) }));
    if (payers.length === 0) throw new Error('the lake has no remittances to build');
    return { asOf: settled, appealsAsOf: appealsAsOf(asOf), groups: groupPayers(payers, jobs) };
  } finally {
    db.closeSync();
  }
}

/** Files under a folder as `/`-separated relative paths. */
async function filesUnder(root: string, relative = ''): Promise<string[]> {
  const out: string[] = [];
  await mkdir(root, { recursive: true });
  for (const entry of await readdir(join(root, ...relative.split('/').filter(Boolean)), {
    withFileTypes: true,
  })) {
    const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await filesUnder(root, path)));
    else if (entry.name.endsWith('.parquet')) out.push(path);
  }
  return out;
}
