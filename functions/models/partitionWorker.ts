import { parentPort, workerData } from 'node:worker_threads';
import { type BuildPartitionOptions, buildPartition } from './buildPartition.ts';

/** Worker-thread entry of a local partitioned build: builds one partition and posts its result. */
const options = workerData as BuildPartitionOptions;
try {
  parentPort?.postMessage({ ok: true, result: await buildPartition(options) });
} catch (error) {
  parentPort?.postMessage({
    ok: false,
    error: error instanceof Error ? error.message : String(error),
  });
}
