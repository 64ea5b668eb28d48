import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompactionBusyError, compactLake } from '../functions/adapters/duckdb/compactLake.ts';
import { lakeTableSql, readLakeReads } from '../functions/adapters/duckdb/lakeViews.ts';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { LocalFolderStore } from '../functions/adapters/localFolderStore.ts';
import { S3ObjectStore } from '../functions/adapters/s3ObjectStore.ts';
import { COMPACTION_LOCK, remitKeyOf } from '../functions/core/lake/compactedLayout.ts';
import { LAKE_TABLES } from '../functions/core/lake/schema.ts';
import type { IngestInput } from '../functions/ingest/ingestFiles.ts';
import type { ObjectStore, StoredObject } from '../functions/ports/objectStore.ts';
import { sqlString } from '../functions/ports/warehouse.ts';
import { ingestToLake } from '../functions/wiring/ingestToLake.ts';
import { fixtureInputs, fixturePath, parseFixture, ROOT } from './helpers/fixtures.ts';
import { cleanup, tempDir } from './helpers/lakeProbe.ts';
import { type RunningS3rver, startS3rver } from './helpers/s3rver.ts';

/**
 * Compaction (functions/adapters/duckdb/compactLake.ts) keeps every promise of the staged lake: the
 * lake shows the same rows before and after, a second run changes nothing, a file delivered
 * again after compaction is a duplicate, a compaction stopped at any write leaves a readable
 * lake that the next run completes, and ingest running beside it loses nothing.
 */

const NOW = new Date('2025-01-02T03:04:05Z');
const ALL_INPUTS: IngestInput[] = ['recoup', 'cases', 'format'].flatMap((f) => fixtureInputs(fixturePath(f)));
const FIRST = ALL_INPUTS.filter((_, i) => i % 2 === 0);
const SECOND = ALL_INPUTS.filter((_, i) => i % 2 === 1);
const scratch: string[] = [];
let db: DuckDBConnection;
/** The lake of every input, never compacted: what every compacted lake must show. */
let reference: string;

function dir(name: string): string {
  const d = tempDir(name);
  scratch.push(d);
  return d;
}

async function ingest(lake: ObjectStore | string, inputs: IngestInput[]) {
  const store = typeof lake === 'string' ? new LocalFolderStore(lake) : lake;
  return ingestToLake(inputs, { lake: store, now: NOW, scratch: dir('ingest-scratch') });
}

async function compact(lake: ObjectStore | string, extra: Partial<Parameters<typeof compactLake>[0]> = {}) {
  const store = typeof lake === 'string' ? new LocalFolderStore(lake) : lake;
  return compactLake({ lake: store, scratch: dir('compact-scratch'), now: NOW, ...extra });
}

async function count(sql: string): Promise<number> {
  const reader = await db.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM (${sql})`);
  return Number(reader.getRowObjectsJson()[0]?.n);
}

/** Rows a lake shows that the reference does not, and the reverse (EXCEPT ALL: doubles count). */
async function viewDiff(lake: string): Promise<{ extra: number; missing: number; rows: number }> {
  const a = readLakeReads(lake);
  const b = readLakeReads(reference);
  let extra = 0;
  let missing = 0;
  let rows = 0;
  for (const t of LAKE_TABLES) {
    // The same transaction in two files (a byte copy, or a copy in a new envelope) keeps the
    // source and the envelope's control numbers of the copy that came first: lakes fed in other
    // orders differ there, and only there.
    const select =
      t === 'remittances'
        ? 'SELECT * EXCLUDE (ingested_at, source_key, source_sha256, interchange_control, transaction_control)'
        : 'SELECT *';
    const mine = `${select} FROM (${lakeTableSql(lake, t, a)})`;
    const theirs = `${select} FROM (${lakeTableSql(reference, t, b)})`;
    extra += await count(`${mine} EXCEPT ALL ${theirs}`);
    missing += await count(`${theirs} EXCEPT ALL ${mine}`);
    rows += await count(mine);
  }
  return { extra, missing, rows };
}

/** Every file under a folder with its size, as sorted relative paths (the hidden scratch folders left out). */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === '.tmp' || e.name === '.staging') continue;
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out.push(`${relative(root, full)} ${statSync(full).size}`);
    }
  };
  walk(root);
  return out.sort();
}

const stagedParquet = (lake: string) =>
  tree(lake).filter((f) => /^(remittances|claims|adjustments)\/.*\.parquet /.test(f));

beforeAll(async () => {
  db = await openDuckDb({ threads: 1 });
  reference = dir('reference');
  const summary = await ingest(reference, ALL_INPUTS);
  expect(summary.remittances_written).toBeGreaterThan(10);
});

afterAll(() => {
  db?.closeSync();
  cleanup(...scratch);
});

describe('compaction of a local lake', () => {
  let lake: string;
  let firstRun: Awaited<ReturnType<typeof compact>>;

  beforeAll(async () => {
    lake = dir('lake');
    await ingest(lake, ALL_INPUTS);
    firstRun = await compact(lake);
  });

  it('shows exactly the rows it showed before, from a few zstd files with statistics, and no staged file', async () => {
    expect(await viewDiff(lake)).toMatchObject({ extra: 0, missing: 0 });
    expect(stagedParquet(lake)).toEqual([]);
    expect(firstRun.remittances_compacted).toBe(new Set(readLakeReads(reference).remittances.staged).size);
    const reads = readLakeReads(lake);
    // One file per (table, payer, month) at this size, every one of them listed by a manifest.
    const partitions = new Set(reads.remittances.compacted.map((k) => k.split('/').slice(2, 4).join('/')));
    expect(reads.remittances.compacted).toHaveLength(partitions.size);
    expect(
      reads.claims.staged.length + reads.adjustments.staged.length + reads.remittances.staged.length,
    ).toBe(0);
    for (const key of [
      ...reads.remittances.compacted,
      ...reads.claims.compacted,
      ...reads.adjustments.compacted,
    ]) {
      const meta = await db.runAndReadAll(
        `SELECT compression, stats_min_value IS NOT NULL AS has_min, stats_max_value IS NOT NULL AS has_max
         FROM parquet_metadata(${sqlString(join(lake, key))}) WHERE path_in_schema = 'remit_id'`,
      );
      for (const m of meta.getRowObjectsJson())
        expect(m).toEqual({ compression: 'ZSTD', has_min: true, has_max: true });
    }
  });

  it('writes the CAS rows of an adjustments file before its PLB pairs, so row groups hold one kind', async () => {
    const reads = readLakeReads(lake);
    let files = 0;
    for (const key of reads.adjustments.compacted) {
      await db.run('SET preserve_insertion_order = true');
      const reader = await db.runAndReadAll(
        `SELECT list(level = 'provider') AS plb FROM read_parquet(${sqlString(join(lake, key))})`,
      );
      const plb = (reader.getRowObjectsJson()[0]?.plb ?? []) as boolean[];
      // Every PLB pair after every CAS row: false … false, true … true.
      expect(plb).toEqual([...plb].sort((a, b) => Number(a) - Number(b)));
      if (plb.includes(true) && plb.includes(false)) files++;
    }
    // The fixtures hold files with both kinds: the order is shown, not vacuous.
    expect(files).toBeGreaterThan(0);
  });

  it('is idempotent: a second run writes and removes nothing', async () => {
    const before = tree(lake);
    const again = await compact(lake);
    expect(again).toMatchObject({
      partitions_compacted: 0,
      remittances_compacted: 0,
      compacted_files_written: 0,
      staged_files_removed: 0,
      superseded_files_removed: 0,
    });
    expect(tree(lake)).toEqual(before);
  });

  it('a file delivered again after compaction (as is, or re-wrapped) is still a duplicate', async () => {
    const before = tree(lake);
    const again = await ingest(lake, ALL_INPUTS);
    expect(again.remittances_written).toBe(0);
    expect(again.duplicates).toBe(again.transactions);
    expect(again.key_conflicts).toEqual([]);
    const rewrapped = await ingest(lake, [
      { ...fixtureInputs(fixturePath('cases')).find((i) => i.key === 'full-claim-5010-rewrapped.835')! },
    ]);
    expect(rewrapped).toMatchObject({ remittances_written: 0, duplicates: 1 });
    expect(tree(lake)).toEqual(before);
    expect(await viewDiff(lake)).toMatchObject({ extra: 0, missing: 0 });
  });

  it('new staged files beside a compacted generation show once; the next generation takes them in', async () => {
    const half = dir('half');
    await ingest(half, FIRST);
    await compact(half);
    await ingest(half, SECOND);
    // Compacted ∪ staged: the whole reference, nothing twice.
    expect(await viewDiff(half)).toMatchObject({ extra: 0, missing: 0 });
    const next = await compact(half);
    expect(next.partitions_compacted).toBeGreaterThan(0);
    expect(await viewDiff(half)).toMatchObject({ extra: 0, missing: 0 });
    expect(stagedParquet(half)).toEqual([]);
    // Generation 1 of a partition that got generation 2 is gone: its files and its manifest.
    const files = tree(half).map((f) => f.split(' ')[0] as string);
    const manifests = files.filter((f) => f.startsWith('compacted/_manifests/'));
    expect(manifests.some((f) => f.endsWith('g00000002.json'))).toBe(true);
    const partitionsOf = (gen: string) =>
      new Set(
        manifests.filter((f) => f.endsWith(`${gen}.json`)).map((f) => f.split('/').slice(2, 4).join('/')),
      );
    const two = partitionsOf('g00000002');
    for (const p of partitionsOf('g00000001')) expect(two.has(p)).toBe(false);
    for (const f of files.filter((f) => f.startsWith('compacted/') && f.includes('/g00000001-')))
      expect(two.has(f.split('/').slice(2, 4).join('/'))).toBe(false);
  });

  it('one compaction at a time: a live lease keeps a second out, a dead one is taken over', async () => {
    const busy = dir('busy');
    await ingest(busy, FIRST);
    const store = new LocalFolderStore(busy);
    const live = {
      token: 'x',
      pid: process.pid,
      host: hostname(),
      started_at: '',
      expires_at: new Date(Date.now() + 60_000).toISOString(),
    };
    await store.put(COMPACTION_LOCK, JSON.stringify({ ...live, pid: process.ppid }));
    await expect(compact(busy)).rejects.toBeInstanceOf(CompactionBusyError);
    expect(stagedParquet(busy).length).toBeGreaterThan(0);
    // A lease past its end, or held by a process that is gone, is stale.
    await store.put(COMPACTION_LOCK, JSON.stringify({ ...live, pid: 2 ** 22 + 12345 }));
    const taken = await compact(busy);
    expect(taken.remittances_compacted).toBeGreaterThan(0);
    expect(await store.exists(COMPACTION_LOCK)).toBe(false);
  });
});

/** A folder store that fails at its n-th write or delete, as a kill would stop it there. */
class FailingStore extends LocalFolderStore {
  steps = 0;
  constructor(
    root: string,
    private readonly failAt: number,
  ) {
    super(root);
  }
  private step(): void {
    if (++this.steps === this.failAt) throw new Error(`stopped at step ${this.failAt}`);
  }
  override async put(key: string, body: Uint8Array | string): Promise<void> {
    if (key !== COMPACTION_LOCK) this.step();
    return super.put(key, body);
  }
  override async moveFile(key: string, localPath: string): Promise<void> {
    this.step();
    return super.moveFile(key, localPath);
  }
  override async delete(key: string): Promise<void> {
    if (key !== COMPACTION_LOCK) this.step();
    return super.delete(key);
  }
}

describe('compaction stopped at any step', () => {
  it('leaves a lake that shows the reference exactly; the next run completes it', async () => {
    // A lake with a compacted generation and new staged files: a run writes generation 2.
    const base = dir('stop-base');
    await ingest(base, FIRST);
    await compact(base);
    await ingest(base, SECOND);
    // Count the steps of a clean run on a copy.
    const probe = dir('stop-probe');
    cpSync(base, probe, { recursive: true });
    const counting = new FailingStore(probe, Number.POSITIVE_INFINITY);
    await compactLake({ lake: counting, scratch: dir('s'), now: NOW });
    const steps = counting.steps;
    expect(steps).toBeGreaterThan(20);
    const stats = { stops: 0, lost: 0, doubled: 0 };
    // 8 stops spread over the run, the first and the last step among them.
    const stops = [...new Set(Array.from({ length: 8 }, (_, k) => 1 + Math.round((k * (steps - 1)) / 7)))];
    for (const at of stops) {
      const lake = dir(`stop-${at}`);
      cpSync(base, lake, { recursive: true });
      await expect(
        compactLake({ lake: new FailingStore(lake, at), scratch: dir('s'), now: NOW }),
      ).rejects.toThrow(`stopped at step ${at}`);
      stats.stops++;
      const after = await viewDiff(lake);
      stats.lost += after.missing;
      stats.doubled += after.extra;
      expect(after, `stopped at step ${at} of ${steps}`).toMatchObject({ extra: 0, missing: 0 });
      // The lease was given back on the way out; the next run finishes the job.
      await compact(lake);
      expect(await viewDiff(lake), `after the rerun of step ${at}`).toMatchObject({ extra: 0, missing: 0 });
      expect(stagedParquet(lake)).toEqual([]);
      if (stats.stops % 2 === 1) {
        const again = await ingest(lake, ALL_INPUTS);
        expect(again.remittances_written, `re-delivery after step ${at}`).toBe(0);
      }
      cleanup(lake);
    }
    console.log(
      `[compaction] stopped at ${stats.stops} of ${steps} steps: rows lost ${stats.lost}, doubled ${stats.doubled}`,
    );
  }, 120_000);
});

describe('ingest while compaction runs', () => {
  it('a remittance committed between listing and switch stays staged and visible; a re-delivery is a duplicate', async () => {
    const lake = dir('concurrent');
    await ingest(lake, FIRST);
    let during: Awaited<ReturnType<typeof ingest>> | undefined;
    let redelivered: Awaited<ReturnType<typeof ingest>> | undefined;
    await compact(lake, {
      beforeSwitch: async () => {
        if (during !== undefined) return;
        // New files land, and files being compacted arrive again, while this generation is unswitched.
        during = await ingest(lake, SECOND);
        redelivered = await ingest(lake, FIRST);
      },
    });
    expect(during?.remittances_written).toBeGreaterThan(0);
    expect(redelivered?.remittances_written).toBe(0);
    expect(await viewDiff(lake)).toMatchObject({ extra: 0, missing: 0 });
    expect(stagedParquet(lake).length).toBeGreaterThan(0);
    await compact(lake);
    expect(await viewDiff(lake)).toMatchObject({ extra: 0, missing: 0 });
    expect(stagedParquet(lake)).toEqual([]);
  });

  it('an ingest that listed the staged files before compaction removed them reads the new manifest', async () => {
    const lake = dir('concurrent-delete');
    await ingest(lake, FIRST);
    // Re-delivery runs at the first staged delete: the manifest is written, staged copies go.
    class AtDelete extends LocalFolderStore {
      fired = false;
      override async delete(key: string): Promise<void> {
        if (!this.fired && key.startsWith('adjustments/')) {
          this.fired = true;
          const r = await ingest(lake, FIRST);
          expect(r.remittances_written).toBe(0);
        }
        return super.delete(key);
      }
    }
    const store = new AtDelete(lake);
    await compactLake({ lake: store, scratch: dir('s'), now: NOW });
    expect(store.fired).toBe(true);
    await ingest(lake, SECOND);
    expect(await viewDiff(lake)).toMatchObject({ extra: 0, missing: 0 });
  });
});

describe('key conflicts (same remit_key, other content)', () => {
  it('are kept, named in the summary and --json with file, key and trace, never as duplicates', async () => {
    const input = fixtureInputs(fixturePath('recoup'))[0] as IngestInput;
    const [remit] = parseFixture('recoup', input.key);
    const r = remit!.remittance;
    const key = remitKeyOf(r.remit_id);
    // A lake that already holds another remittance with this key (content fingerprint 0…0).
    const donor = dir('donor');
    await ingest(donor, [input]);
    const donorFile = readLakeReads(donor).remittances.staged[0] as string;
    const other = `${key}-0000000000000000`;
    const planted = dir('conflict');
    const partition = join(
      planted,
      'remittances',
      `payer_id=${r.payer_id}`,
      `payment_month=${r.payment_month}`,
    );
    mkdirSync(partition, { recursive: true });
    copyFileSync(join(donor, donorFile), join(partition, `${other}.parquet`));
    const viaCli = dir('conflict-cli');
    cpSync(planted, viaCli, { recursive: true });
    const viaManifest = dir('conflict-compacted');
    cpSync(planted, viaManifest, { recursive: true });

    const expected = {
      remit_key: key,
      remit_id: r.remit_id,
      trace_number: r.trace_number,
      existing_remit_ids: [other],
    };
    const summary = await ingest(planted, [input]);
    expect(summary).toMatchObject({ remittances_written: 1, duplicates: 0 });
    expect(summary.key_conflicts).toEqual([{ file: input.key, ...expected }]);
    // The same when the other remittance is compacted: the manifest's remit_ids are consulted.
    await compact(viaManifest);
    expect(stagedParquet(viaManifest)).toEqual([]);
    const afterCompaction = await ingest(viaManifest, [input]);
    expect(afterCompaction.key_conflicts).toEqual([{ file: input.key, ...expected }]);
    // And a second delivery is a duplicate, not another conflict.
    expect(await ingest(viaManifest, [input])).toMatchObject({ duplicates: 1, key_conflicts: [] });
    // The CLI's --json names it too, and no claim id (CLP01) appears.
    const cli = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'bin', 'recoup.js'), 'ingest', input.path, '--lake', viaCli, '--json'],
      { cwd: ROOT },
    );
    const conflicts = JSON.parse(cli.stdout).key_conflicts as Record<string, unknown>[];
    expect(conflicts).toMatchObject([expected]);
    expect(String(conflicts[0]?.file)).toContain(input.key);
    const text = JSON.stringify(conflicts);
    for (const claim of remit!.claims) expect(text).not.toContain(`"${claim.claim_id}"`);
  });

  it('the remittances a lake holds do not depend on the order of its files', async () => {
    const a = dir('order-a');
    const b = dir('order-b');
    await ingest(a, [...FIRST, ...SECOND]);
    await ingest(b, [...SECOND].reverse().concat([...FIRST].reverse()));
    const reads = (lake: string) =>
      readLakeReads(lake)
        .remittances.staged.map((k) => k.split('/').pop())
        .sort();
    expect(reads(a)).toEqual(reads(b));
  });

  it('int_remittances flags key_conflict for every remittance of a key with more than one remit_id', async () => {
    const staging = readFileSync(join(ROOT, 'sql', 'staging', 'stg_remittances.sql'), 'utf8');
    const sql = readFileSync(join(ROOT, 'sql', 'intermediate', 'int_remittances.sql'), 'utf8');
    const lake = dir('stg');
    const views = async () => {
      for (const t of LAKE_TABLES) await db.run(`CREATE OR REPLACE VIEW ${t} AS ${lakeTableSql(lake, t)}`);
      await db.run(`CREATE OR REPLACE VIEW stg_remittances AS ${staging}`);
    };
    await ingest(lake, [fixtureInputs(fixturePath('recoup'))[0] as IngestInput]);
    const staged = readLakeReads(lake).remittances.staged[0] as string;
    const id = (staged.split('/').pop() as string).replace('.parquet', '');
    // A second remittance file under the same key with other content: its remit_id differs.
    const twin = `${remitKeyOf(id)}-00000000000000ff`;
    await db.run(
      `COPY (SELECT * REPLACE ('${twin}' AS remit_id, 'OTHER' AS payer_name)
             FROM read_parquet(${sqlString(join(lake, staged))}, hive_partitioning = false))
       TO ${sqlString(join(lake, staged.replace(id, twin)))} (FORMAT parquet)`,
    );
    await views();
    const rows = (
      await db.runAndReadAll(`SELECT remit_id, key_conflict FROM (${sql}) ORDER BY remit_id`)
    ).getRowObjectsJson();
    expect(rows).toEqual(
      [
        { remit_id: id, key_conflict: true },
        { remit_id: twin, key_conflict: true },
      ].sort((x, y) => (x.remit_id < y.remit_id ? -1 : 1)),
    );
    // A remittance alone under its key is not a conflict.
    await db.run(`CREATE OR REPLACE VIEW remittances AS ${lakeTableSql(reference, 'remittances')}`);
    const alone = await db.runAndReadAll(
      `SELECT count(*) FILTER (WHERE key_conflict)::INTEGER AS n FROM (${sql})`,
    );
    expect(alone.getRowObjectsJson()).toEqual([{ n: 0 }]);
  });
});

describe('compaction over S3 (s3rver)', () => {
  let s3: RunningS3rver;
  beforeAll(async () => {
    s3 = await startS3rver(['lake']);
  });
  afterAll(async () => {
    await s3?.stop();
  });

  async function download(store: ObjectStore, to: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const o of store.list('') as AsyncIterable<StoredObject>) {
      keys.push(o.key);
      await store.download(o.key, join(to, ...o.key.split('/')));
    }
    return keys.sort();
  }

  it('runs through the object-store port: the downloaded lake shows the reference, duplicates are found', async () => {
    const store = new S3ObjectStore('lake', { prefix: 'c1', client: s3.client, pageSize: 50 });
    await ingest(store, FIRST);
    const first = await compact(store);
    expect(first.remittances_compacted).toBeGreaterThan(0);
    await ingest(store, SECOND);
    await compact(store);
    const again = await ingest(store, ALL_INPUTS);
    expect(again.remittances_written).toBe(0);
    const copy = dir('s3-copy');
    const keys = await download(store, copy);
    expect(keys.filter((k) => /^(remittances|claims|adjustments)\//.test(k))).toEqual([]);
    expect(keys.some((k) => k.startsWith('compacted/_manifests/'))).toBe(true);
    expect(keys).not.toContain(COMPACTION_LOCK);
    expect(await viewDiff(copy)).toMatchObject({ extra: 0, missing: 0 });
  });
});
