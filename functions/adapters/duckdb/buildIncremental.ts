import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { CARC_CAUSES } from '../../core/era/taxonomy.ts';
import { LAKE_SCHEMA, MARTS_DIR, tableColumns } from '../../core/lake/schema.ts';
import { buildModel, type ModelResult } from '../../models/buildModels.ts';
import { type BuildResources, buildResources } from '../../models/buildResources.ts';
import { CLAIM_IDENTIFIERS, STATEFUL_MODELS, WAREHOUSE_VERSION } from '../../models/incrementalRules.ts';
import { type Model, ModelError } from '../../models/loadModels.ts';
import { defaultModelsConfig, type ModelsConfig } from '../../models/modelsConfig.ts';
import { orderModels } from '../../models/orderModels.ts';
import { defaultAsOf, registerBuildInputs } from '../../models/registerBuildInputs.ts';
import { sqlIdent, sqlString } from '../../ports/warehouse.ts';
import { loadModels, SQL_DIR } from '../localModelFiles.ts';
import { buildDuckDbModels } from './buildDuckDbModels.ts';
import { registerClosedPeriods } from './closedPeriods.ts';
import { duckDbModelWarehouse } from './duckDbModelWarehouse.ts';
import { duckDbWarehouse } from './duckDbWarehouse.ts';
import { lakeTableSql, readLakeReads } from './lakeViews.ts';
import { openBuildDuckDb } from './openDuckDb.ts';

/** Where the warehouse lives when none is named: beside the lake's tables. */
export const WAREHOUSE_FILE = join('.warehouse', 'models.duckdb');

export interface BuildIncrementalOptions {
  lakeDir: string;
  /** The warehouse file (default `<lake>/.warehouse/models.duckdb`). */
  warehouse?: string;
  asOf?: string;
  config?: ModelsConfig;
  resources?: Partial<BuildResources>;
  sqlDir?: string;
  /** Rebuild the warehouse from the whole lake. */
  full?: boolean;
  onModel?: (result: ModelResult) => void;
}

/** What an incremental build did. */
export interface IncrementalBuildResult {
  /**
   * incremental: new remittances were added to the warehouse and their closure recomputed;
   * full: the warehouse was (re)built from the whole lake (`reason` says why);
   * bypass: a build over the lake that leaves the warehouse alone (an as-of before the lake's end).
   */
  mode: 'incremental' | 'full' | 'bypass';
  reason: string | null;
  warehouse: string;
  newRemittances: number;
  /** Claims and PLB pairs recomputed (incremental only). */
  closure: { claims: number; plbs: number; rounds: number } | null;
  models: ModelResult[];
  seconds: { stage: number; closure: number; models: number; total: number };
}

/**
 * `recoup build --incremental`: the marts over a persistent DuckDB warehouse (incrementalRules.ts).
 * New remittances are copied into the warehouse, the stateful models' rows connected to them are
 * recomputed with the models' own SQL and replaced, and every other model runs over the warehouse.
 * The marts are those of a full build of the same lake. A warehouse that is missing, from other
 * models (their SQL is fingerprinted), or behind a lake that lost or replaced a remittance is
 * rebuilt from the whole lake.
 */
export async function buildIncremental(options: BuildIncrementalOptions): Promise<IncrementalBuildResult> {
  const started = performance.now();
  const lakeDir = options.lakeDir;
  const path = options.warehouse ?? join(lakeDir, WAREHOUSE_FILE);
  const models = orderModels(loadModels(options.sqlDir ?? SQL_DIR));
  const config = options.config ?? defaultModelsConfig();
  const martsDir = join(lakeDir, MARTS_DIR);
  const db = traced(await openBuildDuckDb(buildResources(options.resources)));
  const warehouse = duckDbModelWarehouse(db);
  const seconds = { stage: 0, closure: 0, models: 0, total: 0 };
  const result = (partial: Omit<IncrementalBuildResult, 'warehouse' | 'seconds'>): IncrementalBuildResult => {
    seconds.total = (performance.now() - started) / 1000;
    return { ...partial, warehouse: path, seconds };
  };
  try {
    await db.run('SET parquet_metadata_cache = true');
    // The lake's remittances are read once: they are compared with the warehouse's, and copied.
    await db.run(`CREATE OR REPLACE TEMP TABLE lake_remittances AS ${lakeTableSql(lakeDir, 'remittances')}`);

    // An as-of before the lake's last payment is a build of the past: the warehouse holds the present.
    const latest = (await defaultAsOfOf(db)).asOf;
    if (options.asOf !== undefined && options.asOf < latest) {
      const t = performance.now();
      const built = await buildDuckDbModels({
        db,
        lakeDir,
        asOf: options.asOf,
        config,
        ...(options.sqlDir === undefined ? {} : { sqlDir: options.sqlDir }),
        ...(options.onModel === undefined ? {} : { onModel: options.onModel }),
      });
      seconds.models = (performance.now() - t) / 1000;
      return result({
        mode: 'bypass',
        reason: `as-of ${options.asOf} is before the lake's latest payment (${latest}): built from the lake, warehouse untouched`,
        newRemittances: 0,
        closure: null,
        models: built,
      });
    }

    const fingerprint = modelsFingerprint(models);
    let reason = options.full === true ? 'asked for a full build' : await staleReason(db, path, fingerprint);
    if (reason === null) {
      // Lake files are immutable: a remittance that left the lake or came back different (a
      // re-ingest) changes rows the warehouse already built on.
      const changed = await one(
        db,
        `SELECT count(*) AS n FROM wh.lake_remittances AS w
         LEFT JOIN lake_remittances AS l ON l.remit_id = w.remit_id
         WHERE l.remit_id IS NULL OR l.ingested_at IS DISTINCT FROM w.ingested_at`,
      );
      if (Number(changed) > 0) reason = `${changed} remittance(s) in the warehouse left the lake or changed`;
    }

    if (reason !== null) {
      await db.run('DETACH DATABASE IF EXISTS wh');
      for (const f of [path, `${path}.wal`]) rmSync(f, { force: true });
      mkdirSync(dirname(path), { recursive: true });
      await db.run(`ATTACH ${sqlString(path)} AS wh`);
      let t = performance.now();
      await db.run('BEGIN TRANSACTION');
      await stageLake(db, lakeDir, null);
      await db.run(
        `CREATE TABLE wh.meta AS SELECT ${WAREHOUSE_VERSION} AS version, ${sqlString(fingerprint)} AS fingerprint`,
      );
      seconds.stage = (performance.now() - t) / 1000;
      t = performance.now();
      await lakeViewsOverWarehouse(db);
      await registerBuildInputs(warehouse, config, options.asOf);
      await registerClosedPeriods(db, lakeDir);
      const built: ModelResult[] = [];
      for (const model of models) built.push(await run(db, model, martsDir, options.onModel));
      for (const stateful of STATEFUL_MODELS) {
        await db.run(
          `CREATE TABLE wh.${sqlIdent(stateful.name)} AS SELECT * FROM ${sqlIdent(stateful.name)}`,
        );
      }
      await db.run('COMMIT');
      seconds.models = (performance.now() - t) / 1000;
      return result({ mode: 'full', reason, newRemittances: 0, closure: null, models: built });
    }

    // Incremental: copy the new remittances in, recompute their closure, replace its rows.
    let t = performance.now();
    await db.run('BEGIN TRANSACTION');
    const fresh = await newRemittances(db);
    await stageLake(db, lakeDir, fresh);
    seconds.stage = (performance.now() - t) / 1000;
    t = performance.now();
    await lakeViewsOverWarehouse(db);
    await registerBuildInputs(warehouse, config, options.asOf);
    await registerClosedPeriods(db, lakeDir);
    let closure: IncrementalBuildResult['closure'] = null;
    if (fresh.length > 0) {
      closure = await computeClosure(db);
      await recomputeClosure(db, models, martsDir);
    }
    await db.run('COMMIT');
    seconds.closure = (performance.now() - t) / 1000;

    t = performance.now();
    await lakeViewsOverWarehouse(db);
    const stateful = new Set(STATEFUL_MODELS.map((m) => m.name));
    const built: ModelResult[] = [];
    for (const model of models) {
      if (stateful.has(model.name)) {
        await replaceWithView(db, model.name, `SELECT * FROM wh.${sqlIdent(model.name)}`);
        continue;
      }
      built.push(await run(db, model, martsDir, options.onModel));
    }
    seconds.models = (performance.now() - t) / 1000;
    return result({
      mode: 'incremental',
      reason: null,
      newRemittances: fresh.length,
      closure,
      models: built,
    });
  } finally {
    db.closeSync();
  }
}

async function defaultAsOfOf(db: DuckDBConnection) {
  await db.run('CREATE OR REPLACE TEMP VIEW remittances AS SELECT * FROM lake_remittances');
  return defaultAsOf(duckDbWarehouse(db));
}

/** Why the warehouse at `path` cannot be used as it is, or null when it can (it is then attached as `wh`). */
async function staleReason(db: DuckDBConnection, path: string, fingerprint: string): Promise<string | null> {
  if (!existsSync(path)) return 'no warehouse yet';
  try {
    await db.run(`ATTACH ${sqlString(path)} AS wh`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/lock/i.test(message))
      throw new ModelError(`the warehouse ${path} is in use by another build: ${message}`);
    return `the warehouse could not be opened (${message})`;
  }
  const meta = await db
    .runAndReadAll('SELECT version, fingerprint FROM wh.meta')
    .then((r) => r.getRowObjectsJson()[0])
    .catch(() => undefined);
  if (meta === undefined) return 'the warehouse is incomplete';
  if (Number(meta.version) !== WAREHOUSE_VERSION) return `the warehouse is of version ${meta.version}`;
  if (meta.fingerprint !== fingerprint) return 'the models, the lake schema or the CARC causes changed';
  for (const stateful of STATEFUL_MODELS) {
    const exists = await one(
      db,
      `SELECT count(*) AS n FROM duckdb_tables() WHERE database_name = 'wh' AND table_name = ${sqlString(stateful.name)}`,
    );
    if (Number(exists) === 0) return `the warehouse has no ${stateful.name}`;
  }
  return null;
}

/** A hash of everything the warehouse's rows depend on besides the lake. */
function modelsFingerprint(models: Model[]): string {
  const hash = createHash('sha256');
  hash.update(`version ${WAREHOUSE_VERSION}\n`);
  for (const m of models) hash.update(`${m.layer}/${m.name}\n${m.sql}\n`);
  hash.update(JSON.stringify(LAKE_SCHEMA));
  hash.update(JSON.stringify(CARC_CAUSES));
  return hash.digest('hex');
}

/** Remittances in the lake and not yet in the warehouse, as a temp table `new_remits(remit_id)`. */
async function newRemittances(db: DuckDBConnection): Promise<string[]> {
  await db.run(
    `CREATE OR REPLACE TEMP TABLE new_remits AS
     SELECT l.remit_id FROM lake_remittances AS l
     ANTI JOIN wh.lake_remittances AS w ON w.remit_id = l.remit_id`,
  );
  const reader = await db.runAndReadAll('SELECT remit_id FROM new_remits ORDER BY remit_id');
  return reader.getRowObjectsJson().map((r) => String(r.remit_id));
}

/**
 * Copies lake rows into the warehouse: every remittance (`remits` null, creating the tables) or
 * the given new ones (appended). Adjustments are kept as two tables, PLB pairs and CAS, so the
 * models that read only PLB pairs scan only those.
 */
async function stageLake(db: DuckDBConnection, lakeDir: string, remits: string[] | null): Promise<void> {
  const reads = readLakeReads(lakeDir);
  const wanted = remits === null ? null : new Set(remits);
  const source = (table: 'claims' | 'adjustments') => {
    if (wanted === null) return lakeTableSql(lakeDir, table, reads);
    // New remittances are usually staged, each in its own file named by its remit_id: then only
    // those files are read. One already compacted is found by its id in the table's reads.
    const r = reads[table];
    const staged = r.staged.filter((k) => wanted.has(basename(k, '.parquet')));
    const only = { compacted: [], staged, hiddenStaged: r.staged.length - staged.length + 1 };
    return staged.length === wanted.size
      ? lakeTableSql(lakeDir, table, { ...reads, [table]: only })
      : `SELECT * FROM (${lakeTableSql(lakeDir, table, reads)}) WHERE remit_id IN (SELECT remit_id FROM new_remits)`;
  };
  const remittances =
    remits === null
      ? 'SELECT * FROM lake_remittances'
      : 'SELECT * FROM lake_remittances WHERE remit_id IN (SELECT remit_id FROM new_remits)';
  const targets: [string, string][] = [
    ['lake_remittances', remittances],
    ['lake_claims', source('claims')],
    ['lake_plbs', `SELECT * FROM (${source('adjustments')}) WHERE level = 'provider'`],
    ['lake_cas', `SELECT * FROM (${source('adjustments')}) WHERE level IS DISTINCT FROM 'provider'`],
  ];
  if (remits === null) {
    for (const [table, sql] of targets) await db.run(`CREATE TABLE wh.${table} AS ${sql}`);
  } else if (remits.length > 0) {
    // The adjustments of the new remittances are read once, then split.
    await db.run(`CREATE OR REPLACE TEMP TABLE new_adjustments AS ${source('adjustments')}`);
    targets[2] = ['lake_plbs', "SELECT * FROM new_adjustments WHERE level = 'provider'"];
    targets[3] = ['lake_cas', "SELECT * FROM new_adjustments WHERE level IS DISTINCT FROM 'provider'"];
    for (const [table, sql] of targets) await db.run(`INSERT INTO wh.${table} BY NAME ${sql}`);
    await db.run('DROP TABLE new_adjustments');
  }
}

/** The lake's view names over the warehouse's copy. */
async function lakeViewsOverWarehouse(db: DuckDBConnection): Promise<void> {
  await replaceWithView(db, 'remittances', 'SELECT * FROM wh.lake_remittances');
  await replaceWithView(db, 'claims', 'SELECT * FROM wh.lake_claims');
  await replaceWithView(
    db,
    'adjustments',
    'SELECT * FROM wh.lake_plbs UNION ALL BY NAME SELECT * FROM wh.lake_cas',
  );
}

/**
 * The closure of the new remittances (incrementalRules.ts), as temp tables `closure_claims(remit_id,
 * claim_seq)` (whole CLP01 histories) and `closure_plbs(remit_id, adjustment_seq)`: every claim and
 * PLB pair that shares an identifier, within its payer, with a new one or with one already in the
 * closure, until no more join.
 */
async function computeClosure(db: DuckDBConnection): Promise<NonNullable<IncrementalBuildResult['closure']>> {
  const present = new Set(tableColumns('claims').map((c) => c.name as string));
  const identifiers = CLAIM_IDENTIFIERS.filter((c) => present.has(c));
  // Remittances sharing a remit_key with a new one: a key conflict is derived across them.
  const keyed = tableColumns('remittances').some((c) => c.name === 'remit_key');
  await db.run(
    `CREATE OR REPLACE TEMP TABLE seed_remits AS
     SELECT remit_id FROM new_remits
     ${keyed ? `UNION SELECT w.remit_id FROM wh.lake_remittances AS w WHERE w.remit_key IN (SELECT remit_key FROM wh.lake_remittances WHERE remit_id IN (SELECT remit_id FROM new_remits))` : ''}`,
  );
  // Every PLB pair's identifiers: its reference and its tokens as int_plb_links cuts them (at
  // spaces, and at any other delimiter, as references of older lakes hold them): a superset only
  // widens the closure.
  await db.run(
    `CREATE OR REPLACE TEMP TABLE plb_ids AS
     SELECT DISTINCT payer_id, remit_id, adjustment_seq, id FROM (
       SELECT payer_id, remit_id, adjustment_seq,
              unnest(list_concat(string_split_regex(reference_id, '\\s+'),
                string_split_regex(reference_id, '[^A-Za-z0-9]+'), [reference_id])) AS id
       FROM wh.lake_plbs WHERE reference_id IS NOT NULL
     ) WHERE id <> ''`,
  );
  const claimIds = (from: string) =>
    identifiers
      .map(
        (c) =>
          `SELECT c.payer_id, c.${c} AS id FROM wh.lake_claims AS c SEMI JOIN ${from} AS k USING (remit_id, claim_seq) WHERE c.${c} IS NOT NULL`,
      )
      .join(' UNION ');
  await db.run(
    `CREATE OR REPLACE TEMP TABLE closure_ids AS
     ${claimIds('(SELECT remit_id, claim_seq FROM wh.lake_claims WHERE remit_id IN (SELECT remit_id FROM seed_remits))')}
     UNION SELECT payer_id, id FROM plb_ids WHERE remit_id IN (SELECT remit_id FROM seed_remits)`,
  );
  let rounds = 0;
  let size = Number(await one(db, 'SELECT count(*) AS n FROM closure_ids'));
  for (;;) {
    rounds++;
    // Histories with a claim that names an identifier, and all their claims.
    const matches = identifiers
      .map(
        (c) =>
          `SELECT c.payer_id, c.claim_id FROM wh.lake_claims AS c JOIN closure_ids AS i ON i.payer_id = c.payer_id AND i.id = c.${c}`,
      )
      .join(' UNION ');
    // The seeds' own histories and pairs always: a claim without CLP01 or a pair without a
    // reference names nothing, but is new.
    await db.run(
      `CREATE OR REPLACE TEMP TABLE closure_families AS ${matches}
       UNION SELECT payer_id, claim_id FROM wh.lake_claims WHERE remit_id IN (SELECT remit_id FROM seed_remits)`,
    );
    await db.run(
      `CREATE OR REPLACE TEMP TABLE closure_claims AS
       SELECT c.remit_id, c.claim_seq FROM wh.lake_claims AS c
       SEMI JOIN closure_families AS f ON f.payer_id = c.payer_id AND f.claim_id IS NOT DISTINCT FROM c.claim_id`,
    );
    await db.run(
      `CREATE OR REPLACE TEMP TABLE closure_plbs AS
       SELECT p.remit_id, p.adjustment_seq FROM plb_ids AS p
       SEMI JOIN closure_ids AS i ON i.payer_id = p.payer_id AND i.id = p.id
       UNION SELECT remit_id, adjustment_seq FROM wh.lake_plbs WHERE remit_id IN (SELECT remit_id FROM seed_remits)`,
    );
    await db.run(
      `INSERT INTO closure_ids
       SELECT * FROM (
         ${claimIds('closure_claims')}
         UNION SELECT p.payer_id, p.id FROM plb_ids AS p SEMI JOIN closure_plbs AS k USING (remit_id, adjustment_seq)
       ) EXCEPT SELECT * FROM closure_ids`,
    );
    const grown = Number(await one(db, 'SELECT count(*) AS n FROM closure_ids'));
    if (grown === size) break;
    size = grown;
  }
  return {
    claims: Number(await one(db, 'SELECT count(*) AS n FROM closure_claims')),
    plbs: Number(await one(db, 'SELECT count(*) AS n FROM closure_plbs')),
    rounds,
  };
}

/**
 * Runs the stateful models and what they read over the closure's claims and PLB pairs only, and
 * replaces their rows in the warehouse by key.
 */
async function recomputeClosure(db: DuckDBConnection, models: Model[], martsDir: string): Promise<void> {
  await replaceWithView(
    db,
    'claims',
    `SELECT c.* FROM wh.lake_claims AS c SEMI JOIN closure_claims AS k USING (remit_id, claim_seq)`,
  );
  // A view, not a copy: the models read a few columns of a few of these rows (their PLB pairs, the
  // CAS of their reversals and corrections), and a copy would scan every column of every CAS row.
  await replaceWithView(
    db,
    'adjustments',
    `SELECT a.* FROM wh.lake_plbs AS a SEMI JOIN closure_plbs AS k USING (remit_id, adjustment_seq)
     UNION ALL BY NAME
     SELECT a.* FROM wh.lake_cas AS a SEMI JOIN closure_claims AS k USING (remit_id, claim_seq)`,
  );
  const byName = new Map(models.map((m) => [m.name, m]));
  const needed = new Set<string>();
  const visit = (name: string) => {
    const model = byName.get(name);
    if (model === undefined || needed.has(name)) return;
    needed.add(name);
    for (const d of model.dependsOn) visit(d);
  };
  for (const s of STATEFUL_MODELS) visit(s.name);
  for (const model of models) {
    if (!needed.has(model.name)) continue;
    if (model.layer === 'marts')
      throw new ModelError(`stateful models cannot read a mart (${model.name})`, model.name, model.file);
    await run(db, model, martsDir);
  }
  for (const stateful of STATEFUL_MODELS) {
    const name = sqlIdent(stateful.name);
    const key = stateful.key.map(sqlIdent).join(', ');
    await db.run(`CREATE OR REPLACE TEMP TABLE recomputed AS SELECT * FROM ${name}`);
    await db.run(`DELETE FROM wh.${name} WHERE (${key}) IN (SELECT ${key} FROM recomputed)`);
    await db.run(`INSERT INTO wh.${name} BY NAME SELECT * FROM recomputed`);
  }
  await db.run('DROP TABLE recomputed');
}

async function run(
  db: DuckDBConnection,
  model: Model,
  martsDir: string,
  onModel?: (result: ModelResult) => void,
): Promise<ModelResult> {
  const started = performance.now();
  try {
    // A temp view or table of this name from an earlier step is replaced by the model's own kind.
    await dropTemp(db, model.name);
    const result = await buildModel(duckDbModelWarehouse(db), model, martsDir);
    result.ms = Math.round(performance.now() - started);
    onModel?.(result);
    return result;
  } catch (error) {
    if (error instanceof ModelError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new ModelError(`model ${model.name} (${model.file}) failed: ${message}`, model.name, model.file);
  }
}

async function replaceWithView(db: DuckDBConnection, name: string, sql: string): Promise<void> {
  await dropTemp(db, name);
  await db.run(`CREATE TEMP VIEW ${sqlIdent(name)} AS ${sql}`);
}

/** Drops the temp table or view of this name, if there is one. */
async function dropTemp(db: DuckDBConnection, name: string): Promise<void> {
  const kind = await one(
    db,
    `SELECT coalesce(
       (SELECT 'TABLE' FROM duckdb_tables() WHERE temporary AND table_name = ${sqlString(name)}),
       (SELECT 'VIEW' FROM duckdb_views() WHERE temporary AND view_name = ${sqlString(name)})
     ) AS n`,
  );
  if (kind === 'TABLE' || kind === 'VIEW') await db.run(`DROP ${kind} temp.${sqlIdent(name)}`);
}

const trace = process.env.RECOUP_TRACE !== undefined;
function traced(db: DuckDBConnection): DuckDBConnection {
  if (!trace) return db;
  return new Proxy(db, {
    get(target, prop) {
      const v = Reflect.get(target, prop);
      if ((prop === 'run' || prop === 'runAndReadAll') && typeof v === 'function')
        return async (sql: string, ...rest: unknown[]) => {
          const t = performance.now();
          const r = await v.call(target, sql, ...rest);
          const ms = performance.now() - t;
          if (ms > 20)
            process.stderr.write(
              `${ms.toFixed(0).padStart(6)} ms  ${sql.replace(/\s+/g, ' ').slice(0, 140)}\n`,
            );
          return r;
        };
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

async function one(db: DuckDBConnection, sql: string): Promise<unknown> {
  const reader = await db.runAndReadAll(sql);
  return reader.getRowObjectsJson()[0]?.n;
}
