import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { buildDuckDbModels } from '../adapters/duckdb/buildDuckDbModels.ts';
import { listCloses } from '../adapters/duckdb/closedPeriods.ts';
import { duckDbWarehouse } from '../adapters/duckdb/duckDbWarehouse.ts';
import { createLakeViews } from '../adapters/duckdb/lakeViews.ts';
import { runQuery } from '../adapters/duckdb/runQuery.ts';
import { loadModelsConfig } from '../adapters/modelsConfigFile.ts';
import { readReportAssets } from '../adapters/reportAssets.ts';
import { type LoadReportOptions, loadReportData, type ReportData } from '../report/loadReportData.ts';
import { renderReportHtml } from '../report/renderReportHtml.ts';

export interface WriteReportOptions extends LoadReportOptions {
  /** An open connection; views over the lake and its marts are (re)created in it. */
  db: DuckDBConnection;
  lakeDir: string;
  /** The HTML file to write (its folder is created). */
  out: string;
  /** Warnings shown at the top of the page (plain text), e.g. that the marts are out of date. */
  notices?: string[];
}

export interface WriteReportResult {
  out: string;
  bytes: number;
  payers: number;
  current_alerts: number;
  flagged_forecast_weeks: number;
  /** Marts the report wanted but the lake does not have (their sections say so). */
  missing_marts: string[];
  as_of: string | null;
  /** The models were built again as of `asOf` for this report (the marts were built to another date). */
  rebuilt_as_of: boolean;
}

/**
 * Writes the self-contained HTML report of a lake: queries the marts, renders, writes atomically.
 * With `asOf` other than the date the marts were built to, the models are first built again as of
 * `asOf` into a temporary folder (the lake's marts are left alone), so that every section of the
 * page (payments, scorecard, trends, forecast, alerts, appeals, cohorts) covers the same dates.
 */
export async function writeReport(options: WriteReportOptions): Promise<WriteReportResult> {
  const { db, lakeDir } = options;
  await createLakeViews(db, lakeDir);
  const builtAsOf = await martsAsOf(db);
  const rebuild = options.asOf !== undefined && builtAsOf !== null && builtAsOf !== options.asOf;
  const scratch = rebuild ? await mkdtemp(join(tmpdir(), 'recoup-report-marts-')) : null;
  try {
    if (scratch !== null && options.asOf !== undefined) {
      // Views of the marts now point at the scratch build (buildModels leaves each mart a view).
      await buildDuckDbModels({
        db,
        lakeDir,
        asOf: options.asOf,
        appealsAsOf: options.appealsAsOf ?? options.asOf,
        config: loadModelsConfig({ lakeDir }),
        martsDir: scratch,
      });
    }
    // One as-of for the page: the one asked for, else the date the marts were built to. Appeal
    // days count to the as-of asked for, else to today (a worklist is read today).
    const asOf = options.asOf ?? builtAsOf ?? undefined;
    const appealsAsOf = options.appealsAsOf ?? options.asOf ?? new Date().toISOString().slice(0, 10);
    const data = await loadReportData(duckDbWarehouse(db), {
      closes: listCloses(lakeDir),
      ...options,
      ...(asOf !== undefined ? { asOf } : {}),
      appealsAsOf,
    });
    const html = renderReportHtml(data, readReportAssets(), options.notices ?? []);
    const out = resolve(options.out);
    await mkdir(dirname(out), { recursive: true });
    const temp = `${out}.${process.pid}.tmp`;
    await writeFile(temp, html, 'utf8');
    await rename(temp, out);
    return { ...summarize(data, out, Buffer.byteLength(html, 'utf8')), rebuilt_as_of: rebuild };
  } finally {
    if (scratch !== null) await rm(scratch, { recursive: true, force: true });
  }
}

/** The as-of date the lake's marts were built to (build_params.as_of), or null without marts. */
export async function martsAsOf(db: DuckDBConnection): Promise<string | null> {
  const { rows } = await runQuery(
    db,
    `SELECT table_name, column_name FROM information_schema.columns
     WHERE (table_name, column_name) IN (('payer_scorecard', 'as_of'), ('liquidity_forecast', 'as_of'),
       ('recoupment_cohorts', 'as_of'), ('payer_scorecard', 'window_end'))`,
  );
  const have = new Set(rows.map((r) => `${r.table_name}.${r.column_name}`));
  for (const [table, column] of [
    ['payer_scorecard', 'as_of'],
    ['liquidity_forecast', 'as_of'],
    ['recoupment_cohorts', 'as_of'],
    ['payer_scorecard', 'window_end'],
  ] as const) {
    if (!have.has(`${table}.${column}`)) continue;
    const { rows: found } = await runQuery(
      db,
      `SELECT strftime(CAST(max(${column}) AS DATE), '%Y-%m-%d') AS d FROM ${table}`,
    );
    const d = found[0]?.d;
    if (typeof d === 'string') return d;
  }
  return null;
}

function summarize(data: ReportData, out: string, bytes: number): Omit<WriteReportResult, 'rebuilt_as_of'> {
  return {
    out,
    bytes,
    payers: data.payers.length,
    current_alerts: data.alerts.data.current.length,
    flagged_forecast_weeks: data.forecast.data.rows.filter((r) => r.flag === true).length,
    missing_marts: data.marts.missing,
    as_of: data.as_of,
  };
}
