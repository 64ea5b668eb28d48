import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { duckDbWarehouse } from '../adapters/duckdb/duckDbWarehouse.ts';
import { listMarts } from '../adapters/duckdb/lakeViews.ts';
import { loadDigest } from '../digest/digest.ts';
import type { ObjectStore } from '../ports/objectStore.ts';
import { sqlIdent, sqlString } from '../ports/warehouse.ts';
import { writeReport } from '../wiring/writeReport.ts';
import type { LogFn } from './observability.ts';
import { EXPORTS_PREFIX, LATEST_DIGEST_KEY, LATEST_REPORT_KEY, REPORTS_PREFIX } from './reportKeys.ts';

export { EXPORTS_PREFIX, LATEST_DIGEST_KEY, LATEST_REPORT_KEY, REPORTS_PREFIX } from './reportKeys.ts';

/** The finance marts written as CSV under exports/<as-of>/ (one file each). */
export const EXPORT_MARTS = [
  'recoupment_rates',
  'payer_scorecard',
  'takeback_appeals',
  'liquidity_forecast',
] as const;

export interface PublishReportsOptions {
  /** The models job's connection (views over the local lake copy are recreated in it). */
  db: DuckDBConnection;
  lake: ObjectStore;
  /** The local copy of the lake the marts were just built in. */
  lakeDir: string;
  /** The run's as-of date, when given; else the report's (last payment date), else today. */
  asOf?: string;
  log?: LogFn;
  /** The date the digest's appeal days count to (the build's appealsAsOf); default asOf, else today (UTC). */
  appealsAsOf?: string;
  /** Today (YYYY-MM-DD, UTC); default the clock. */
  today?: string;
}

export interface PublishReportsResult {
  asOf: string;
  reportKeys: string[];
  exportKeys: string[];
  /** Marts that were not built (their CSV is not written; the report says so in its sections). */
  missingExports: string[];
  digestKey: string;
}

/**
 * After a models run: renders the report with the CLI's code (`writeReport`) into
 * reports/latest.html and reports/<as-of>.html, writes the finance marts as CSV under
 * exports/<as-of>/, and keeps the digest (PHI-free: payers, amounts, counts) for the weekly
 * digest job. Objects take the bucket's default encryption (SSE-KMS with the stack's data key);
 * the bucket blocks all public access.
 */
export async function publishReports(options: PublishReportsOptions): Promise<PublishReportsResult> {
  const { db, lake, lakeDir } = options;
  const log = options.log ?? (() => {});
  const scratch = join(lakeDir, '..', `publish-${process.pid}`);
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  try {
    const reportFile = join(scratch, 'report.html');
    const report = await writeReport({
      db,
      lakeDir,
      out: reportFile,
      ...(options.asOf ? { asOf: options.asOf } : {}),
      // It leaves the finance team (leadership reads it): no CLP01 in it.
      claimIds: false,
    });
    const today = options.today ?? new Date().toISOString().slice(0, 10);
    const asOf = options.asOf ?? report.as_of ?? today;
    const reportKeys = [LATEST_REPORT_KEY, `${REPORTS_PREFIX}${asOf}.html`];
    // The dated copy first: latest.html never points ahead of a report that was not written.
    for (const key of [...reportKeys].reverse()) await lake.putFile(key, reportFile);

    const built = new Set(listMarts(lakeDir));
    const exportKeys: string[] = [];
    const missingExports: string[] = [];
    for (const mart of EXPORT_MARTS) {
      if (!built.has(mart)) {
        missingExports.push(mart);
        continue;
      }
      const csv = join(scratch, `${mart}.csv`);
      // DECIMAL money is written exactly (e.g. 1234.50), dates as ISO; a header row names the columns.
      await db.run(`COPY (SELECT * FROM ${sqlIdent(mart)}) TO ${sqlString(csv)} (FORMAT csv, HEADER true)`);
      const key = `${EXPORTS_PREFIX}${asOf}/${mart}.csv`;
      await lake.putFile(key, csv);
      exportKeys.push(key);
    }

    const digest = await loadDigest(duckDbWarehouse(db), {
      asOf: options.appealsAsOf ?? options.asOf ?? today,
    });
    await lake.put(LATEST_DIGEST_KEY, JSON.stringify(digest));
    log({
      level: 'info',
      message: 'reports published',
      as_of: asOf,
      reports: reportKeys,
      exports: exportKeys.length,
      missing_exports: missingExports,
    });
    return { asOf, reportKeys, exportKeys, missingExports, digestKey: LATEST_DIGEST_KEY };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
