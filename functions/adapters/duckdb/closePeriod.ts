import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  CLOSES_DIR,
  CloseError,
  type CloseManifest,
  FROZEN_MARTS,
  PERIOD_PATTERN,
} from '../../close/periods.ts';
import { MARTS_DIR } from '../../core/lake/schema.ts';
import { sqlIdent, sqlString } from '../../ports/warehouse.ts';
import { listCloses } from './closedPeriods.ts';
import { createLakeViews, listMarts } from './lakeViews.ts';
import { runQuery } from './runQuery.ts';

export interface ClosePeriodInput {
  db: DuckDBConnection;
  lakeDir: string;
  /** YYYY-MM */
  period: string;
  /** Close again a month that is closed already (the new snapshot replaces the old). */
  force?: boolean;
  /** The close time (default now); files ingested after it are late for this month. */
  now?: Date;
}

/**
 * Closes a month: freezes, as reported now, the month's rows of the marts (recoupment_rates,
 * takeback_links, and takeback_trend and recoupment_cohorts when built) into
 * `<lake>/closes/<YYYY-MM>/<mart>.parquet` with a `close.json`. Later builds compare the month with
 * this snapshot (period_restatements). Refuses marts older than the latest ingest, a month the
 * lake has nothing for, and a month closed before (unless `force`). The folder appears whole.
 */
export async function closePeriod(input: ClosePeriodInput): Promise<CloseManifest> {
  const { db, lakeDir, period } = input;
  if (!PERIOD_PATTERN.test(period)) throw new CloseError(`period must be a month YYYY-MM, got "${period}"`);
  const earlier = listCloses(lakeDir).find((c) => c.period === period);
  if (earlier !== undefined && input.force !== true)
    throw new CloseError(
      `${period} was closed on ${earlier.closed_at}; close it again with --force (the new snapshot replaces it)`,
    );
  const marts = new Set(listMarts(lakeDir));
  const missing = FROZEN_MARTS.filter((m) => m.required && !marts.has(m.mart)).map((m) => m.mart);
  if (missing.length > 0)
    throw new CloseError(`the ${missing.join(' and ')} mart(s) are not built; run \`recoup build\` first`);
  await createLakeViews(db, lakeDir);

  const facts = (
    await runQuery(
      db,
      `SELECT count(*)::INTEGER AS remittances,
         strftime(max(ingested_at), '%Y-%m-%dT%H:%M:%S.%g') AS latest_ingested_at FROM remittances`,
    )
  ).rows[0];
  const latest = typeof facts?.latest_ingested_at === 'string' ? `${facts.latest_ingested_at}Z` : null;
  const builtAt = statSync(join(lakeDir, MARTS_DIR, 'recoupment_rates')).mtimeMs;
  for (const m of ['recoupment_rates', 'takeback_links']) {
    const mtime = Math.min(builtAt, statSync(join(lakeDir, MARTS_DIR, m)).mtimeMs);
    if (latest !== null && Date.parse(latest) > mtime)
      throw new CloseError(
        `the marts are older than the latest ingest (${latest}); run \`recoup build\` so the close freezes what is in the lake`,
      );
  }
  const periodDate = `${period}-01`;
  const present = await runQuery(
    db,
    `SELECT count(*)::INTEGER AS n FROM recoupment_rates WHERE period = DATE ${sqlString(periodDate)}`,
  );
  if (Number(present.rows[0]?.n ?? 0) === 0)
    throw new CloseError(`recoupment_rates has no rows for ${period}: nothing to close`);

  const closedAt = (input.now ?? new Date()).toISOString();
  const root = join(lakeDir, CLOSES_DIR);
  const target = join(root, period);
  const staging = join(root, `.${period}.${process.pid}.${Date.now()}.tmp`);
  mkdirSync(staging, { recursive: true });
  try {
    const counts: Record<string, number> = {};
    for (const { mart, where } of FROZEN_MARTS) {
      if (!marts.has(mart)) continue;
      const condition = where.replaceAll('$period', `DATE ${sqlString(periodDate)}`);
      const select = `SELECT * FROM ${sqlIdent(mart)} WHERE ${condition}`;
      await db.run(
        `COPY (${select}) TO ${sqlString(join(staging, `${mart}.parquet`))} (FORMAT parquet, COMPRESSION zstd)`,
      );
      const n = await runQuery(db, `SELECT count(*)::INTEGER AS n FROM (${select})`);
      counts[mart] = Number(n.rows[0]?.n ?? 0);
    }
    const manifest: CloseManifest = {
      format: 'recoup-close/1',
      period,
      closed_at: closedAt,
      marts: counts,
      remittances: Number(facts?.remittances ?? 0),
      latest_ingested_at: latest,
    };
    writeFileSync(join(staging, 'close.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    if (existsSync(target)) {
      const old = `${target}.${process.pid}.replaced`;
      renameSync(target, old);
      renameSync(staging, target);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(staging, target);
    }
    return manifest;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
