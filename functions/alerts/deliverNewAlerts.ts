import type { DuckDBConnection } from '@duckdb/node-api';
import type { AlertSink } from '../ports/alertSink.ts';
import type { ObjectStore } from '../ports/objectStore.ts';
import { readAlerts } from './readAlerts.ts';
import { SentAlertKeys } from './sentAlertKeys.ts';

export interface DeliverNewAlertsInput {
  /** A connection where `takeback_alerts` is a view or table (after the build, or over the marts). */
  db: DuckDBConnection;
  /** Holds `state/alerts-sent.json`: the lake folder locally, the lake bucket on AWS. */
  store: ObjectStore;
  sinks: AlertSink[];
  now?: Date;
}

export interface DeliverNewAlertsResult {
  /** Current alerts delivered now. */
  sent: number;
  /** Current alerts delivered by an earlier run. */
  skipped: number;
}

/**
 * Sends each current alert (see readAlerts) once: alerts not in the sent-key store go to every
 * sink, then their keys are recorded. A sink that throws stops the run before anything is
 * recorded, so the next run retries (a sink that had succeeded may then see the alert twice).
 */
export async function deliverNewAlerts(input: DeliverNewAlertsInput): Promise<DeliverNewAlertsResult> {
  const alerts = await readAlerts(input.db);
  const keys = await SentAlertKeys.load(input.store);
  const fresh = alerts.filter((a) => !keys.has(a.alert_id));
  if (fresh.length > 0) {
    for (const sink of input.sinks) await sink.send(fresh);
    await keys.add(
      fresh.map((a) => a.alert_id),
      input.now,
    );
  }
  return { sent: fresh.length, skipped: alerts.length - fresh.length };
}
