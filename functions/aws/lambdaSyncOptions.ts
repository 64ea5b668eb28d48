import type { Context } from 'aws-lambda';
import type { SyncLakeOptions } from './syncLake.ts';

/**
 * The copy's limits in Lambda: stop starting downloads when less than RECOUP_BUILD_RESERVE_SECONDS
 * (default 300) of the invocation are left, so the state is saved and the next run resumes; refuse
 * a read set larger than RECOUP_SCRATCH_MAX_MB (the /tmp budget the stack sets).
 */
export function lambdaSyncOptions(context?: Pick<Context, 'getRemainingTimeInMillis'>): SyncLakeOptions {
  const reserveMs = Number(process.env.RECOUP_BUILD_RESERVE_SECONDS ?? 300) * 1000;
  const maxMb = Number(process.env.RECOUP_SCRATCH_MAX_MB ?? 0);
  const remaining = context?.getRemainingTimeInMillis();
  return {
    ...(maxMb > 0 ? { maxBytes: maxMb * 1024 ** 2 } : {}),
    ...(remaining === undefined ? {} : { signal: AbortSignal.timeout(Math.max(1, remaining - reserveMs)) }),
  };
}
