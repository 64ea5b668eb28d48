import type { AlertSink } from '../ports/alertSink.ts';
import type { ObjectStore } from '../ports/objectStore.ts';
import type { Warehouse } from '../ports/warehouse.ts';
import { readAlerts } from './readAlerts.ts';
import { SentAlertKeys } from './sentAlertKeys.ts';

/**
 * A sink as delivery sees it. `stateKey` names the sink's delivery record when its display name is
 * not specific enough (a webhook is shown by its origin only, since its path often holds a secret).
 */
export type DeliverySink = AlertSink & { readonly stateKey?: string };

export interface DeliverNewAlertsInput {
  /** A connection where `takeback_alerts` is a view or table (after the build, or over the marts). */
  warehouse: Warehouse;
  /** Holds `state/alerts-sent.json`: the lake folder locally, the lake bucket on AWS. */
  store: ObjectStore;
  sinks: DeliverySink[];
  now?: Date;
}

export interface DeliverNewAlertsResult {
  /** Current alerts delivered now, to at least one sink. */
  sent: number;
  /** Current alerts every sink had received before. */
  skipped: number;
}

/** What one sink received in a run. */
export interface SinkDelivery {
  sink: string;
  /** Current alerts sent to it now. */
  sent: number;
  /** Current alerts it had received before. */
  skipped: number;
}

/** The key a sink's delivery record is kept under. */
export function deliveryKey(sink: DeliverySink): string {
  return sink.stateKey ?? sink.name;
}

/**
 * Sends each current alert (see readAlerts) once to each sink: an alert goes to every sink that
 * has not received it, and is recorded for that sink as soon as the sink succeeds, so a preview on
 * stdout does not use up the webhook's delivery. A sink that throws records nothing (the next run
 * retries it); the other sinks still get their alerts, and the run then throws the failure.
 */
export async function deliverNewAlertsBySink(input: DeliverNewAlertsInput): Promise<SinkDelivery[]> {
  return (await deliver(input)).deliveries;
}

/** deliverNewAlertsBySink, counted over the sinks: the shape the models job reports. */
export async function deliverNewAlerts(input: DeliverNewAlertsInput): Promise<DeliverNewAlertsResult> {
  const run = await deliver(input);
  return { sent: run.sentIds.size, skipped: run.current - run.sentIds.size };
}

async function deliver(
  input: DeliverNewAlertsInput,
): Promise<{ deliveries: SinkDelivery[]; current: number; sentIds: Set<string> }> {
  const alerts = await readAlerts(input.warehouse);
  const keys = await SentAlertKeys.load(input.store);
  const deliveries: SinkDelivery[] = [];
  const sentIds = new Set<string>();
  const failures: { sink: string; error: unknown }[] = [];
  for (const sink of input.sinks) {
    const key = deliveryKey(sink);
    const fresh = alerts.filter((a) => !keys.has(key, a.alert_id));
    if (fresh.length > 0) {
      try {
        await sink.send(fresh);
      } catch (error) {
        failures.push({ sink: sink.name, error });
        continue;
      }
      await keys.add(
        key,
        fresh.map((a) => a.alert_id),
        input.now,
      );
      for (const a of fresh) sentIds.add(a.alert_id);
    }
    deliveries.push({ sink: sink.name, sent: fresh.length, skipped: alerts.length - fresh.length });
  }
  const [first] = failures;
  if (first !== undefined) {
    if (failures.length === 1 && input.sinks.length === 1) throw first.error;
    const lines = failures.map(
      (f) => `${f.sink}: ${f.error instanceof Error ? f.error.message : String(f.error)}`,
    );
    const delivered = deliveries.map((d) => `${d.sink} (${d.sent} new)`).join(', ');
    throw new AggregateError(
      failures.map((f) => f.error),
      `alert delivery failed for ${failures.length} sink(s): ${lines.join('; ')}` +
        (delivered === '' ? '' : `; delivered to ${delivered}`),
    );
  }
  return { deliveries, current: alerts.length, sentIds };
}
