import { type BuildPartitionOptions, buildPartition } from './buildPartition.ts';

/**
 * Child-process entry of a local partitioned build (buildPartitioned.ts): receives
 * one partition's options over IPC, builds it, sends the result back and exits.
 */
process.once('message', async (options: BuildPartitionOptions) => {
  let message: unknown;
  try {
    const result = await buildPartition(options);
    message = {
      ok: true,
      result: { ...result, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) },
    };
  } catch (error) {
    message = { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  process.send?.(message, () => process.disconnect());
});
