/** A payer-level alert as the takeback_alerts mart gives it. */
export interface ScoredAlert {
  payer_id: string;
  week_start: string;
  score: number;
  excess: number;
}

/** A spike planted in generated data (truth.json `params.spikes`). */
export interface InjectedSpike {
  payer_id: string;
  week_start: string;
}

/** How payer-level alerts match the spikes planted in one data set. */
export interface AlertScore {
  alerts: number;
  spikes: number;
  /** Alerts on a spike's payer and week. */
  true_alerts: number;
  /** Spikes that alerted. */
  detected_spikes: number;
  /** true_alerts / alerts (null without alerts), detected_spikes / spikes (null without spikes). */
  precision: number | null;
  recall: number | null;
  /** The highest-scoring alert is a spike (null when there is no alert or no spike). */
  top_is_spike: boolean | null;
  /** Alerts that match no spike, per payer. */
  false_by_payer: Record<string, number>;
  /** The most false alerts of any payer, per year of history. */
  max_false_per_payer_year: number;
}

/**
 * Scores payer-level alerts against the spikes planted in generated data: an alert is true when
 * its payer and week are a spike's. `years` is the length of the history, to count false alerts
 * per payer-year.
 */
export function scoreAlerts(
  alerts: readonly ScoredAlert[],
  spikes: readonly InjectedSpike[],
  payers: readonly string[],
  years: number,
): AlertScore {
  const key = (p: string, w: string) => `${p}|${w}`;
  const spikeKeys = new Set(spikes.map((s) => key(s.payer_id, s.week_start)));
  const alertKeys = new Set(alerts.map((a) => key(a.payer_id, a.week_start)));
  const trueAlerts = alerts.filter((a) => spikeKeys.has(key(a.payer_id, a.week_start)));
  const detected = spikes.filter((s) => alertKeys.has(key(s.payer_id, s.week_start)));
  const falseByPayer: Record<string, number> = Object.fromEntries(payers.map((p) => [p, 0]));
  for (const a of alerts) {
    if (!spikeKeys.has(key(a.payer_id, a.week_start)))
      falseByPayer[a.payer_id] = (falseByPayer[a.payer_id] ?? 0) + 1;
  }
  const top = [...alerts].sort((a, b) => b.score - a.score || b.excess - a.excess)[0];
  return {
    alerts: alerts.length,
    spikes: spikes.length,
    true_alerts: trueAlerts.length,
    detected_spikes: detected.length,
    precision: alerts.length > 0 ? trueAlerts.length / alerts.length : null,
    recall: spikes.length > 0 ? detected.length / spikes.length : null,
    top_is_spike:
      top === undefined || spikes.length === 0 ? null : spikeKeys.has(key(top.payer_id, top.week_start)),
    false_by_payer: falseByPayer,
    max_false_per_payer_year: Math.max(0, ...Object.values(falseByPayer)) / Math.max(years, 1e-9),
  };
}
