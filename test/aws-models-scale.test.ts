import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../functions/adapters/awsClients.ts';
import { buildDuckDbModels } from '../functions/adapters/duckdb/buildDuckDbModels.ts';
import { compactLake } from '../functions/adapters/duckdb/compactLake.ts';
import { listMarts } from '../functions/adapters/duckdb/lakeViews.ts';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { LocalFolderStore } from '../functions/adapters/localFolderStore.ts';
import { S3ObjectStore } from '../functions/adapters/s3ObjectStore.ts';
import { runModelsJob } from '../functions/aws/modelsJob.ts';
import { loadState } from '../functions/aws/syncLake.ts';
import type { ObjectStore } from '../functions/ports/objectStore.ts';
import { ingestGeneratedLake } from './helpers/generatedLake.ts';
import { martRows, sortedRows } from './helpers/martRows.ts';
import { type S3LatencyProxy, startS3LatencyProxy } from './helpers/s3LatencyProxy.ts';
import { type RunningS3rver, seedS3rverObjects, startS3rver } from './helpers/s3rver.ts';

// Issue 20's done-when line: the AWS models job against the local S3 server with 20 ms added to
// every request, on a lake of more than 10,000 staged objects. It copies several objects at a
// time, stops (aborted, then killed) and resumes with only the remainder, and its marts equal a
// local build.

const LATENCY_MS = 20;
const STATE_KEY = 'state/models-sync.json';

let s3: RunningS3rver;
let proxy: S3LatencyProxy;
let dir: string;
let localLake: string;
let staged: number;
let lake: S3ObjectStore;
/** The local build in one process (started in beforeAll, awaited before the comparison). */
let localBuild: Promise<void>;

/**
 * The store as a process that dies: after `downloads` more downloads every call fails, as if the
 * function had been killed (nothing it does afterwards reaches S3, not even a last state save).
 */
function dyingStore(store: ObjectStore, downloads: number): ObjectStore & { dead: boolean } {
  let left = downloads;
  const wrapper = {
    dead: false,
    location: store.location,
    get: (k: string) => (wrapper.dead ? dead() : store.get(k)),
    download: async (k: string, p: string) => {
      if (wrapper.dead || left-- <= 0) {
        wrapper.dead = true;
        return dead();
      }
      await store.download(k, p);
    },
    put: (k: string, b: Uint8Array | string) => (wrapper.dead ? dead() : store.put(k, b)),
    putFile: (k: string, p: string) => (wrapper.dead ? dead() : store.putFile(k, p)),
    exists: (k: string) => (wrapper.dead ? dead() : store.exists(k)),
    list: (prefix: string) => store.list(prefix),
    delete: (k: string) => (wrapper.dead ? dead() : store.delete(k)),
  };
  return wrapper;
}
function dead(): Promise<never> {
  return Promise.reject(new Error('killed'));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'recoup-scale-'));
  localLake = join(dir, 'local-lake');
  // 17 payers × 52 weeks of small remittances: 3 staged objects each, over 10,000 in all.
  await ingestGeneratedLake(localLake, { seed: 5, payers: 17, weeks: 52, scale: 0.2, duplicates: false });
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }))
      e.isDirectory()
        ? walk(join(d, e.name))
        : files.push(relative(localLake, join(d, e.name)).split('\\').join('/'));
  };
  walk(localLake);
  s3 = await startS3rver(['lake']);
  staged = await seedS3rverObjects(
    s3,
    'lake',
    files.map((f) => ({ key: `big/${f}`, localPath: join(localLake, ...f.split('/')) })),
  );
  proxy = await startS3LatencyProxy(s3.endpoint, LATENCY_MS);
  const client = createS3Client(
    { ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint },
    { credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } },
  );
  lake = new S3ObjectStore('lake', { client, prefix: 'big' });
  // The expected marts: a local build over the same rows, compacted first (the S3 copy above is
  // what stays staged). Compaction keeps exactly the rows readers see (compaction.test.ts,
  // aws-models-fanout.test.ts), and DuckDB reads 663 compacted files far faster than 10,608 staged
  // ones: compaction and build take about a quarter of a build over the staged files. The job
  // still builds over the 10,608 staged objects it copied, so the comparison also checks that the
  // lake's layout does not change the marts. It runs while the job copies (which mostly waits on
  // the 20 ms per request).
  localBuild = (async () => {
    await compactLake({ lake: new LocalFolderStore(localLake), scratch: join(dir, 'compact-scratch') });
    const db = await openDuckDb();
    try {
      await buildDuckDbModels({ db, lakeDir: localLake });
    } finally {
      db.closeSync();
    }
  })();
  localBuild.catch(() => {});
});

afterAll(async () => {
  await proxy?.stop();
  await s3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('AWS models job at 10,000 staged objects, 20 ms per request', () => {
  // About two minutes on 2 shared cores: a DuckDB build over 10,000 staged files (20-40 s), the
  // compacted reference's compaction and build, and ~11,000 GETs through s3rver (~5 ms of its CPU each, beside the 20 ms added). A run
  // with nothing new copying nothing is tested on a small lake (aws-handlers.test.ts).
  it('stops, is killed, resumes with the remainder only, and builds the marts of a local build', {
    timeout: 300_000,
  }, async () => {
    expect(staged).toBeGreaterThanOrEqual(10_000);
    const localDir = join(dir, 'tmp-lake');
    const saves: number[] = [];
    const watched: ObjectStore = new Proxy(lake, {
      get(target, prop, receiver) {
        if (prop === 'put')
          return async (key: string, body: string) => {
            if (key === STATE_KEY) saves.push(Object.keys(JSON.parse(body).objects).length);
            return target.put(key, body);
          };
        return Reflect.get(target, prop, receiver);
      },
    });

    // 1. A run whose time budget ends after 3,000 downloads: it stops starting downloads, saves
    //    what it copied, builds nothing.
    const budget = new AbortController();
    const stopped = await runModelsJob({
      lake: watched,
      localDir,
      sinks: [],
      log: () => {},
      sync: { signal: budget.signal, onDownloaded: (done) => done >= 3000 && budget.abort() },
    });
    expect(stopped.complete).toBe(false);
    expect(stopped.models).toEqual([]);
    expect(stopped.synced.objects).toBe(staged);
    expect(stopped.synced.downloaded).toBeGreaterThanOrEqual(3000);
    expect(stopped.synced.downloaded).toBeLessThan(3000 + 16);
    // Saved along the way (every 500), not only at the end, and the last save holds every copy.
    expect(saves.length).toBeGreaterThanOrEqual(6);
    expect(saves.at(-1)).toBe(stopped.synced.downloaded);
    // Several requests at a time, never more than the bound (16 downloads + a state save).
    expect(proxy.maxInFlight).toBeGreaterThan(4);
    expect(proxy.maxInFlight).toBeLessThanOrEqual(17);

    // 2. A run killed after 2,200 more downloads: nothing after the kill reaches S3.
    const dying = dyingStore(lake, 2200);
    await expect(runModelsJob({ lake: dying, localDir, sinks: [], log: () => {} })).rejects.toThrow('killed');
    const afterKill = Object.keys((await loadState(lake, STATE_KEY)).objects).length;
    // The periodic saves kept all but at most the last 500 (+ those in flight) of the copies.
    expect(afterKill).toBeGreaterThanOrEqual(stopped.synced.downloaded + 2200 - 500 - 16);
    expect(afterKill).toBeLessThanOrEqual(stopped.synced.downloaded + 2200);

    // 3. The next run copies only what the saved state lacks, then builds.
    const resumed = await runModelsJob({ lake, localDir, sinks: [], log: () => {} });
    expect(resumed.complete).toBe(true);
    expect(resumed.synced.unchanged).toBe(afterKill);
    expect(resumed.synced.downloaded).toBe(staged - afterKill);
    expect(Object.keys((await loadState(lake, STATE_KEY)).objects)).toHaveLength(staged);

    // Its marts (in the bucket) equal the local build's, row for row.
    await localBuild;
    const got = join(dir, 'got');
    const expected = listMarts(localLake);
    expect(resumed.martsUploaded).toBe(expected.length);
    for (const mart of expected) {
      await lake.download(`marts/${mart}/data.parquet`, join(got, mart, 'data.parquet'));
      const want = await martRows(join(localLake, 'marts'), mart);
      const have = await martRows(got, mart);
      expect(have.columns, mart).toEqual(want.columns);
      expect(sortedRows(have.rows), mart).toEqual(sortedRows(want.rows));
    }
  });
});
