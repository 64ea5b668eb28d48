import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { createLakeViews } from '../adapters/duckdb/lakeViews.ts';
import { listCloses } from '../close/closedPeriods.ts';
import { type LoadReportOptions, loadReportData, type ReportData } from './loadReportData.ts';
import { renderReportHtml } from './renderReportHtml.ts';

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
}

/** Writes the self-contained HTML report of a lake: queries the marts, renders, writes atomically. */
export async function writeReport(options: WriteReportOptions): Promise<WriteReportResult> {
  const { db, lakeDir } = options;
  await createLakeViews(db, lakeDir);
  const data = await loadReportData(db, { closes: listCloses(lakeDir), ...options });
  const html = renderReportHtml(data, undefined, options.notices ?? []);
  const out = resolve(options.out);
  await mkdir(dirname(out), { recursive: true });
  const temp = `${out}.${process.pid}.tmp`;
  await writeFile(temp, html, 'utf8');
  await rename(temp, out);
  return summarize(data, out, Buffer.byteLength(html, 'utf8'));
}

function summarize(data: ReportData, out: string, bytes: number): WriteReportResult {
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
