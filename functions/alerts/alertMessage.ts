import { formatCents } from '../core/money.ts';
import type { Alert } from '../ports/alertSink.ts';

/** An alert as JSON for machines: money as exact decimal strings, like `recoup query --json`. */
export interface AlertJson {
  alert_id: string;
  grain: Alert['grain'];
  payer_id: string;
  /** The payer's name as the marts give it (dim_payers), null when unknown. */
  payer_name: string | null;
  cause: string | null;
  week_start: string;
  takeback: string;
  baseline: string;
  excess: string;
  score: number;
  /** Claim keys (takeback_id), never CLP01: resolve them in the takeback_links mart. */
  top_claims: string[];
  top_providers: string[];
  top_causes: string[];
}

/** The body every machine sink sends: webhook POST, JSON file entries, SNS messages. */
export interface AlertPayload {
  source: 'recoup';
  type: 'takeback_alerts';
  alerts: AlertJson[];
}

/** An alert with its money as decimal strings. */
export function alertJson(alert: Alert): AlertJson {
  return {
    alert_id: alert.alert_id,
    grain: alert.grain,
    payer_id: alert.payer_id,
    payer_name: alert.payer_name ?? null,
    cause: alert.cause,
    week_start: alert.week_start,
    takeback: formatCents(alert.takeback),
    baseline: formatCents(alert.baseline),
    excess: formatCents(alert.excess),
    score: alert.score,
    top_claims: alert.top_claims,
    top_providers: alert.top_providers,
    top_causes: alert.top_causes,
  };
}

export function alertPayload(alerts: Alert[]): AlertPayload {
  return { source: 'recoup', type: 'takeback_alerts', alerts: alerts.map(alertJson) };
}

/** `$12,345.67` */
export function dollars(cents: number): string {
  const [whole, fraction] = formatCents(cents).split('.');
  const negative = whole!.startsWith('-');
  const digits = negative ? whole!.slice(1) : whole!;
  return `${negative ? '-' : ''}$${digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${fraction}`;
}

/** What spiked, by how much: the start of every human-readable alert. */
function alertHeadline(alert: Alert): string {
  const payer = alert.payer_name
    ? `${alert.payer_name} (payer ${alert.payer_id})`
    : `payer ${alert.payer_id}`;
  const what = alert.grain === 'payer' ? payer : `${payer} cause ${alert.cause}`;
  return (
    `Takeback spike: ${what}, week of ${alert.week_start}: ${dollars(alert.takeback)} taken back vs a ` +
    `baseline of ${dollars(alert.baseline)} (+${dollars(alert.excess)}, score ${alert.score.toFixed(1)})`
  );
}

/** Providers and causes behind an alert: NPIs and cause names, nothing about a patient. */
function alertDrivers(alert: Alert): string[] {
  return [
    alert.top_providers.length > 0 ? `top providers ${alert.top_providers.join(', ')}` : null,
    alert.grain === 'payer' && alert.top_causes.length > 0
      ? `top causes ${alert.top_causes.join(', ')}`
      : null,
  ].filter((s) => s !== null);
}

/**
 * One line a person reads: what spiked, by how much, and what is behind it. Claims appear only
 * by their key (takeback_id), which names no patient; the takeback_links mart resolves it.
 */
export function alertText(alert: Alert): string {
  const behind = [
    alert.top_claims.length > 0 ? `top claim keys ${alert.top_claims.join(', ')}` : null,
    ...alertDrivers(alert),
  ].filter((s) => s !== null);
  return alertHeadline(alert) + (behind.length > 0 ? `; ${behind.join('; ')}` : '');
}

/**
 * The e-mail body: the spike, its providers and causes, and where to look for the claims behind
 * it. E-mail leaves AWS, so it lists no claim at all, not even by key.
 */
export function alertEmailText(alert: Alert, reportLocation: string): string {
  const drivers = alertDrivers(alert);
  return [
    alertHeadline(alert) + (drivers.length > 0 ? `; ${drivers.join('; ')}` : ''),
    '',
    `The claims behind it are in the recoup report: ${reportLocation}`,
    `(alert ${alert.alert_id}; the takeback_alerts and takeback_links marts hold the details).`,
  ].join('\n');
}

/** A short ASCII subject line (SNS subjects: ≤ 100 printable ASCII characters, no newline). */
export function alertSubject(alert: Alert): string {
  const what = alert.grain === 'payer' ? alert.payer_id : `${alert.payer_id} ${alert.cause}`;
  const text = `recoup takeback spike: ${what} week ${alert.week_start} +${dollars(alert.excess)}`;
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
}
