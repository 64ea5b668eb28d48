import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MARTS_DIR } from '../adapters/duckdb/lakeViews.ts';
import { openDuckDb } from '../adapters/duckdb/openDuckDb.ts';
import { deliverNewAlerts } from '../alerts/deliverNewAlerts.ts';
import { COMPACTED_DIR, parseManifestKey } from '../core/lake/compactedLayout.ts';
import { LAKE_TABLES } from '../core/lake/schema.ts';
import { buildModels } from '../models/buildModels.ts';
import type { AlertSink } from '../ports/alertSink.ts';
import type { ObjectStore } from '../ports/objectStore.ts';
import type { LogFn, MetricFn } from './observability.ts';
import { publishReports } from './publishReports.ts';

export interface ModelsJobDeps {
  lake: ObjectStore;
  /** Local copy of the lake (/tmp/lake in Lambda; kept between warm invocations). */
  localDir: string;
  sinks: AlertSink[];
  asOf?: string;
  log?: LogFn;
  /** Custom metrics (EMF in Lambda); none when absent. */
  metric?: MetricFn;
}

export interface ModelsJobResult {
  synced: { downloaded: number; deleted: number; unchanged: number };
  models: { name: string; rows: number | null; ms: number }[];
  martsUploaded: number;
  alerts: { sent: number; skipped: number };
}

const MANIFEST = '.sync-manifest.json';

/**
 * Mirrors the lake tables from the object store into a local folder, incrementally: objects whose
 * ETag is unchanged since the last sync are not downloaded again; local files whose object is
 * gone are deleted. DuckDB then reads local files (no httpfs in this runtime).
 */
export async function syncLake(lake: ObjectStore, localDir: string): Promise<ModelsJobResult['synced']> {
  await mkdir(localDir, { recursive: true });
  const manifestPath = join(localDir, MANIFEST);
  const previous: Record<string, string> = JSON.parse(await readFile(manifestPath, 'utf8').catch(() => '{}'));
  const next: Record<string, string> = {};
  let downloaded = 0;
  let unchanged = 0;
  // The staged tables and the compacted layer (its files and manifests; lakeViews decides what is read).
  for (const prefix of [...LAKE_TABLES.map((t) => `${t}/`), `${COMPACTED_DIR}/`]) {
    for await (const object of lake.list(prefix)) {
      if (!object.key.endsWith('.parquet') && parseManifestKey(object.key) === null) continue;
      next[object.key] = object.etag;
      if (previous[object.key] === object.etag) {
        unchanged++;
        continue;
      }
      await lake.download(object.key, join(localDir, ...object.key.split('/')));
      downloaded++;
    }
  }
  let deleted = 0;
  for (const key of Object.keys(previous)) {
    if (next[key] === undefined) {
      await rm(join(localDir, ...key.split('/')), { force: true });
      deleted++;
    }
  }
  await writeFile(manifestPath, JSON.stringify(next));
  return { downloaded, deleted, unchanged };
}

/** The scheduled job: sync the lake, run the models, upload the marts, deliver new alerts. */
export async function runModelsJob(deps: ModelsJobDeps): Promise<ModelsJobResult> {
  const log = deps.log ?? ((entry) => console.log(JSON.stringify(entry)));
  const synced = await syncLake(deps.lake, deps.localDir);
  log({ level: 'info', message: 'lake synced', ...synced });
  const db = await openDuckDb({ memoryLimit: process.env.RECOUP_DUCKDB_MEMORY ?? undefined });
  try {
    const models = await buildModels({
      db,
      lakeDir: deps.localDir,
      ...(deps.asOf ? { asOf: deps.asOf } : {}),
    });
    let martsUploaded = 0;
    const martsRoot = join(deps.localDir, MARTS_DIR);
    for (const mart of await readdir(martsRoot).catch(() => [] as string[])) {
      for (const file of await readdir(join(martsRoot, mart))) {
        if (!file.endsWith('.parquet')) continue;
        await deps.lake.putFile(`${MARTS_DIR}/${mart}/${file}`, join(martsRoot, mart, file));
        martsUploaded++;
      }
    }
    const alerts = await deliverNewAlerts({ db, store: deps.lake, sinks: deps.sinks });
    await publishReports({ db, lake: deps.lake, lakeDir: deps.localDir, asOf: deps.asOf, log }); // reports/, exports/ (issue 25)
    const result: ModelsJobResult = {
      synced,
      models: models.map((m) => ({ name: m.name, rows: m.rows, ms: m.ms })),
      martsUploaded,
      alerts,
    };
    log({ level: 'info', message: 'models built', marts: martsUploaded, alerts });
    const metric = deps.metric;
    if (metric !== undefined) {
      metric('LakeObjectsDownloaded', synced.downloaded);
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

/** Makes sure a folder for a local path exists (used by callers staging files). */
export async function ensureParent(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
}
