/** CloudWatch namespace of recoup's custom metrics (the stack's alarms read it). */
export const METRICS_NAMESPACE = 'recoup';

/** Service names: the `service` field of log lines and the `service` dimension of metrics. */
export const SERVICES = {
  ingest: 'recoup-ingest',
  models: 'recoup-models',
  digest: 'recoup-digest',
} as const;
