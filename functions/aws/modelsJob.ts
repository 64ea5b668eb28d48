import { mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { buildDuckDbModels } from '../adapters/duckdb/buildDuckDbModels.ts';
import { duckDbWarehouse } from '../adapters/duckdb/duckDbWarehouse.ts';
import { openDuckDb } from '../adapters/duckdb/openDuckDb.ts';
import { deliverNewAlerts } from '../alerts/deliverNewAlerts.ts';
import { MARTS_DIR } from '../core/lake/schema.ts';
import type { AlertSink } from '../ports/alertSink.ts';
import type { ObjectStore } from '../ports/objectStore.ts';
import type { LogFn, MetricFn } from './observability.ts';
import { publishReports } from './publishReports.ts';
import { type SyncLakeOptions, type SyncLakeResult, syncLake } from './syncLake.ts';

export interface ModelsJobDeps {
  lake: ObjectStore;
  /** Local copy of the lake (/tmp/lake in Lambda; kept between warm invocations). */
  localDir: string;
  sinks: AlertSink[];
  asOf?: string;
  log?: LogFn;
  /** Custom metrics (EMF in Lambda); none when absent. */
  metric?: MetricFn;
  /**
   * How the lake is copied (syncLake.ts): concurrency, state key, /tmp budget, and the signal that
   * stops the copy early (the handler aborts it when the function's time runs short).
   */
  sync?: SyncLakeOptions;
}

export interface ModelsJobResult {
  /** False when the copy stopped early (time budget): nothing was built; the next run resumes the copy. */
  complete: boolean;
  synced: SyncLakeResult;
  models: { name: string; rows: number | null; ms: number }[];
  martsUploaded: number;
  alerts: { sent: number; skipped: number };
}

/** The scheduled job: sync the lake, run the models, upload the marts, deliver new alerts. */
export async function runModelsJob(deps: ModelsJobDeps): Promise<ModelsJobResult> {
  const log = deps.log ?? ((entry) => console.log(JSON.stringify(entry)));
  const synced = await syncLake(deps.lake, deps.localDir, {
    ...deps.sync,
    onDownloaded: (done, toDo) => {
      deps.sync?.onDownloaded?.(done, toDo);
      if (done % 1000 === 0) log({ level: 'info', message: 'lake sync progress', done, toDo });
    },
  });
  log({ level: 'info', message: 'lake synced', ...synced });
  deps.metric?.('LakeObjectsDownloaded', synced.downloaded);
  if (!synced.complete) {
    log({
      level: 'warn',
      message: 'lake sync stopped before the end; nothing built, the next run resumes the copy',
      ...synced,
    });
    return { complete: false, synced, models: [], martsUploaded: 0, alerts: { sent: 0, skipped: 0 } };
  }
  const db = await openDuckDb({ memoryLimit: process.env.RECOUP_DUCKDB_MEMORY ?? undefined });
  try {
    const models = await buildDuckDbModels({
      db,
      lakeDir: deps.localDir,
      ...(deps.asOf ? { asOf: deps.asOf } : {}),
    });
    const martsUploaded = await uploadMarts(deps.lake, join(deps.localDir, MARTS_DIR));
    // After marts written: the marts are in the lake bucket (marts/<name>/data.parquet) and `db`
    // holds them as tables; steps that publish from the marts (alerts, reports) run here.
    const alerts = await deliverNewAlerts({
      warehouse: duckDbWarehouse(db),
      store: deps.lake,
      sinks: deps.sinks,
    });
    await publishReports({ db, lake: deps.lake, lakeDir: deps.localDir, asOf: deps.asOf, log }); // reports/, exports/ (issue 25)
    const result: ModelsJobResult = {
      complete: true,
      synced,
      models: models.map((m) => ({ name: m.name, rows: m.rows, ms: m.ms })),
      martsUploaded,
      alerts,
    };
    log({ level: 'info', message: 'models built', marts: martsUploaded, alerts });
    const metric = deps.metric;
    if (metric !== undefined) {
      metric('ModelsBuilt', models.length);
      metric('BuildSeconds', models.reduce((s, m) => s + m.ms, 0) / 1000, 'Seconds');
      metric('MartsUploaded', martsUploaded);
      metric('AlertsSent', alerts.sent);
    }
    return result;
  } finally {
    db.closeSync();
  }
}

/** Uploads every mart file of a local marts folder (`<mart>/<file>.parquet`) to `marts/`; returns how many. */
export async function uploadMarts(lake: ObjectStore, martsRoot: string): Promise<number> {
  let uploaded = 0;
  for (const mart of await readdir(martsRoot).catch(() => [] as string[])) {
    for (const file of await readdir(join(martsRoot, mart))) {
      if (!file.endsWith('.parquet')) continue;
      await lake.putFile(`${MARTS_DIR}/${mart}/${file}`, join(martsRoot, mart, file));
      uploaded++;
    }
  }
  return uploaded;
}

/** Makes sure a folder for a local path exists (used by callers staging files). */
export async function ensureParent(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
}
