import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type AlertJson, alertJson } from '../../alerts/alertMessage.ts';
import type { Alert, AlertSink } from '../../ports/alertSink.ts';

/**
 * Keeps a JSON file holding every alert delivered to it, as an array (oldest first). Each send
 * rewrites the file through a temporary name, so a reader never sees half of it.
 */
export class JsonFileSink implements AlertSink {
  readonly name: string;

  constructor(private readonly path: string) {
    this.name = `json:${path}`;
  }

  async send(alerts: Alert[]): Promise<void> {
    if (alerts.length === 0) return;
    const all = [...(await this.existing()), ...alerts.map(alertJson)];
    await mkdir(dirname(this.path), { recursive: true });
    const temp = `${this.path}.tmp-${process.pid}`;
    await writeFile(temp, `${JSON.stringify(all, null, 2)}\n`);
    await rename(temp, this.path);
  }

  private async existing(): Promise<AlertJson[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) throw new Error(`${this.path} is not a JSON array of alerts`);
    return parsed as AlertJson[];
  }
}
