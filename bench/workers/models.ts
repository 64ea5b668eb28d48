/**
 * One models-bench measurement in its own process, so peak RSS belongs to that build alone.
 * Usage: node --import tsx bench/workers/models.ts <full|jobs|incremental> <lake> [jobs] [memory]
 * Prints one JSON line: { mode, seconds, maxRssMb, detail }.
 */
import { cpus } from 'node:os';
import { buildDuckDbModels } from '../../functions/adapters/duckdb/buildDuckDbModels.ts';
import { buildIncremental } from '../../functions/adapters/duckdb/buildIncremental.ts';
import { buildPartitioned } from '../../functions/adapters/duckdb/buildPartitioned.ts';
import { openBuildDuckDb } from '../../functions/adapters/duckdb/openDuckDb.ts';
import { buildResources } from '../../functions/models/buildResources.ts';

const [mode, lake, jobsText, memory] = process.argv.slice(2) as [string, string, string?, string?];
const resources = buildResources({
  ...(memory === undefined || memory === '' ? {} : { memoryLimit: memory }),
  threads: cpus().length,
});
const started = performance.now();
let detail: Record<string, unknown> = {};

switch (mode) {
  case 'full': {
    const db = await openBuildDuckDb(resources);
    try {
      const models = await buildDuckDbModels({ db, lakeDir: lake });
      detail = {
        slowest: models
          .filter((m) => m.ms >= 100)
          .sort((a, b) => b.ms - a.ms)
          .map((m) => [m.name, m.ms]),
      };
    } finally {
      db.closeSync();
    }
    break;
  }
  case 'jobs': {
    const result = await buildPartitioned({ lakeDir: lake, jobs: Number(jobsText), resources });
    detail = {
      partitions: result.partitions.map((p) => ({
        payers: p.payers.length,
        seconds: +p.seconds.toFixed(2),
        peakRssMb: p.peakRssMb,
      })),
      /** The partitions run in processes of their own: at most the sum of theirs at once. */
      partitionsPeakRssMb: result.partitions.reduce((sum, p) => sum + (p.peakRssMb ?? 0), 0),
      partitionSeconds: +result.partitionSeconds.toFixed(2),
      mergeSeconds: +result.mergeSeconds.toFixed(2),
    };
    break;
  }
  case 'incremental': {
    const result = await buildIncremental({ lakeDir: lake, resources });
    detail = {
      mode: result.mode,
      reason: result.reason,
      newRemittances: result.newRemittances,
      closure: result.closure,
      steps: Object.fromEntries(Object.entries(result.seconds).map(([k, v]) => [k, +v.toFixed(2)])),
    };
    break;
  }
  default:
    throw new Error(`unknown mode ${mode}`);
}

const seconds = (performance.now() - started) / 1000;
const maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
process.stdout.write(
  `${JSON.stringify({ mode, seconds, maxRssMb, memoryLimit: resources.memoryLimit, detail })}\n`,
);
