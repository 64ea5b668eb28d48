import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ReportAssets } from '../report/renderReportHtml.ts';

const require = createRequire(import.meta.url);

/**
 * The report page's assets folder: functions/report/assets/ in the repository, or, in the models
 * Lambda bundle (one index.mjs), the copy the stack puts beside it (cdk/recoupStack.ts
 * modelsBundleFiles).
 */
function assetsDir(): string {
  const candidates = [new URL('./assets/', import.meta.url), new URL('../report/assets/', import.meta.url)];
  const found = candidates.find((u) => existsSync(fileURLToPath(new URL('report.js', u))));
  return fileURLToPath(found ?? (candidates[1] as URL));
}

/** The ECharts build inlined in the report (the full minified bundle: line, bar, SVG renderer). */
export function readEcharts(): string {
  let path: string;
  try {
    path = require.resolve('echarts/dist/echarts.min.js');
  } catch {
    throw new Error('echarts is not installed (node_modules/echarts); run `npm ci` to install it');
  }
  return readFileSync(path, 'utf8');
}

/** The page's styles, script and ECharts, read from their files. */
export function readReportAssets(): ReportAssets {
  const dir = assetsDir();
  return {
    css: readFileSync(`${dir}/report.css`, 'utf8'),
    script: readFileSync(`${dir}/report.js`, 'utf8'),
    echarts: readEcharts(),
  };
}
