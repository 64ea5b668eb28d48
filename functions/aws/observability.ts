import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import { METRICS_NAMESPACE } from './metricNames.ts';

export { METRICS_NAMESPACE, SERVICES } from './metricNames.ts';

/** A structured log line: level, message, and fields (keys, counts, codes; never patient data). */
export type LogEntry = { level: 'debug' | 'info' | 'warn' | 'error'; message: string } & Record<
  string,
  unknown
>;

/** Writes one structured log line. */
export type LogFn = (entry: LogEntry) => void;

/** Records one metric value (summed by CloudWatch); unit Count unless given. */
export type MetricFn = (name: string, value: number, unit?: 'Count' | 'Seconds') => void;

/** Logger, Metrics and Tracer of one function, created once per container. */
export interface Observability {
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
  log: LogFn;
  metric: MetricFn;
}

/**
 * Powertools for one function: JSON logs with the request id, cold start and level; metrics as
 * embedded metric format (EMF) lines on stdout, which CloudWatch turns into metrics without any
 * API call; X-Ray traces of the handler and of each AWS SDK call (active only in Lambda).
 */
export function createObservability(serviceName: string): Observability {
  const logger = new Logger({ serviceName });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
  const tracer = new Tracer({ serviceName });
  return {
    logger,
    metrics,
    tracer,
    log: ({ level, message, ...fields }) => logger[level](message, fields),
    metric: (name, value, unit = 'Count') =>
      metrics.addMetric(name, unit === 'Seconds' ? MetricUnit.Seconds : MetricUnit.Count, value),
  };
}

/**
 * Runs a handler body inside the Powertools lifecycle: request context on every log line, a
 * ColdStart metric, a traced `## handler` subsegment, and the stored metrics flushed as one EMF
 * line at the end, whether the body returned or threw.
 */
export async function observed<T>(
  observability: Observability,
  context: Context | undefined,
  body: () => Promise<T>,
): Promise<T> {
  const { logger, metrics, tracer } = observability;
  if (context !== undefined) logger.addContext(context);
  metrics.captureColdStartMetric(context?.functionName);
  const segment = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
  const subsegment = segment?.addNewSubsegment('## handler');
  if (subsegment !== undefined) {
    tracer.setSegment(subsegment);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
  }
  try {
    const result = await body();
    return result;
  } catch (error) {
    if (subsegment !== undefined && error instanceof Error) tracer.addErrorAsMetadata(error);
    logger.error('handler failed', error as Error);
    throw error;
  } finally {
    metrics.publishStoredMetrics();
    if (subsegment !== undefined && segment !== undefined) {
      subsegment.close();
      tracer.setSegment(segment);
    }
  }
}
