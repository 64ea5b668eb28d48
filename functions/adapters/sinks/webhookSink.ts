import { alertPayload } from '../../alerts/alertMessage.ts';
import type { Alert, AlertSink } from '../../ports/alertSink.ts';

export interface WebhookOptions {
  /** Per attempt, in milliseconds. */
  timeoutMs?: number;
  /** Attempts after the first. */
  retries?: number;
  /** First back-off, doubled on each retry. */
  backoffMs?: number;
  headers?: Record<string, string>;
}

/** A failed delivery; `status` is the last HTTP status, if any came back. */
export class WebhookError extends Error {
  override readonly name = 'WebhookError';

  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

/**
 * POSTs the alerts as one JSON document ({ source, type, alerts }) to a URL. Network errors,
 * timeouts, 429 and 5xx are retried with exponential back-off; other 4xx fail at once, since
 * sending the same body again cannot fix them.
 */
export class WebhookSink implements AlertSink {
  readonly name: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;

  constructor(
    private readonly url: string,
    private readonly options: WebhookOptions = {},
  ) {
    // Webhook URLs often carry their secret in the path (Slack, Teams): name only the origin.
    this.name = `webhook:${new URL(url).origin}`;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.retries = options.retries ?? 3;
    this.backoffMs = options.backoffMs ?? 500;
  }

  async send(alerts: Alert[]): Promise<void> {
    if (alerts.length === 0) return;
    const body = JSON.stringify(alertPayload(alerts));
    let failure = new WebhookError(`${this.name}: not sent`, null);
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0) await sleep(this.backoffMs * 2 ** (attempt - 1));
      const result = await this.post(body);
      if (result === null) return;
      failure = result;
      if (!retryable(result.status)) throw result;
    }
    throw new WebhookError(`${failure.message} (gave up after ${this.retries + 1} attempts)`, failure.status);
  }

  /** One POST; null when delivered, else what went wrong. */
  private async post(body: string): Promise<WebhookError | null> {
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.options.headers },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return null;
      return new WebhookError(`${this.name} answered HTTP ${response.status}`, response.status);
    } catch (error) {
      const reason =
        error instanceof Error && error.name === 'TimeoutError'
          ? `timed out after ${this.timeoutMs} ms`
          : error instanceof Error
            ? String(error.cause ?? error.message)
            : String(error);
      return new WebhookError(`${this.name} failed: ${reason}`, null);
    }
  }
}

function retryable(status: number | null): boolean {
  return status === null || status === 429 || status >= 500;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
