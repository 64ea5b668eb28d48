import { alertText } from '../../alerts/alertMessage.ts';
import type { Alert, AlertSink } from '../../ports/alertSink.ts';

/** Writes one readable line per alert (to stdout by default). */
export class StdoutSink implements AlertSink {
  readonly name = 'stdout';

  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}

  async send(alerts: Alert[]): Promise<void> {
    if (alerts.length === 0) return;
    this.out.write(`${alerts.map(alertText).join('\n')}\n`);
  }
}
