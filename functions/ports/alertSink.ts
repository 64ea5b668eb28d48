import type { Cents, IsoDate } from '../core/types.ts';

/** Series an alert watches: a payer's whole takeback, or one cause of it. */
export type AlertGrain = 'payer' | 'payer_cause';

/** One takeback spike: a row of the `takeback_alerts` mart, money in integer cents. */
export interface Alert {
  /** `payer|grain|cause|week` (cause `*` for the payer grain); stable across builds. */
  alert_id: string;
  grain: AlertGrain;
  payer_id: string;
  /** The payer's name (dim_payers: the name on its latest 835); null when no 835 names it or the mart predates it. */
  payer_name?: string | null;
  /** NULL for the payer grain. */
  cause: string | null;
  /** Monday of the week. */
  week_start: IsoDate;
  takeback: Cents;
  /** Median of the trailing weeks. */
  baseline: Cents;
  /** Robust z-score: (takeback − baseline) / spread. */
  score: number;
  /** takeback − baseline. */
  excess: Cents;
  /** Keys of the largest takebacks (takeback_id), never CLP01: takeback_links resolves them. */
  top_claims: string[];
  top_providers: string[];
  top_causes: string[];
}

/** Somewhere alerts go: a terminal, a file, a webhook, an SNS topic. */
export interface AlertSink {
  /** For messages: `stdout`, `json:/tmp/a.json`, `webhook:https://…`, `sns:arn:…`. */
  readonly name: string;
  /** Delivers a batch; throws when it could not, so the caller does not mark them sent. */
  send(alerts: Alert[]): Promise<void>;
}
