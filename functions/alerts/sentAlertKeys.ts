import type { ObjectStore } from '../ports/objectStore.ts';

/** Where the keys of delivered alerts live, relative to the store (the lake folder or bucket). */
export const SENT_ALERTS_KEY = 'state/alerts-sent.json';

interface SentFile {
  version: 1;
  /** alert_id (payer|grain|cause|week) → ISO time it was delivered. */
  sent: Record<string, string>;
}

/**
 * The alerts already delivered, kept as one JSON object in the object store so the CLI and the
 * Lambda share the logic. One writer at a time is assumed (the scheduled models function); two
 * overlapping runs could both send an alert, never lose one.
 */
export class SentAlertKeys {
  private constructor(
    private readonly store: ObjectStore,
    private readonly sent: Map<string, string>,
  ) {}

  static async load(store: ObjectStore): Promise<SentAlertKeys> {
    if (!(await store.exists(SENT_ALERTS_KEY))) return new SentAlertKeys(store, new Map());
    const text = new TextDecoder().decode(await store.get(SENT_ALERTS_KEY));
    const parsed = JSON.parse(text) as Partial<SentFile>;
    if (parsed.version !== 1 || typeof parsed.sent !== 'object' || parsed.sent === null) {
      throw new Error(`${store.location}/${SENT_ALERTS_KEY}: not a sent-alerts file (version 1)`);
    }
    return new SentAlertKeys(store, new Map(Object.entries(parsed.sent)));
  }

  has(alertId: string): boolean {
    return this.sent.has(alertId);
  }

  get size(): number {
    return this.sent.size;
  }

  /** Records alerts as delivered at `at` and writes the file. */
  async add(alertIds: string[], at: Date = new Date()): Promise<void> {
    for (const id of alertIds) this.sent.set(id, at.toISOString());
    const file: SentFile = {
      version: 1,
      sent: Object.fromEntries([...this.sent].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    };
    await this.store.put(SENT_ALERTS_KEY, `${JSON.stringify(file, null, 2)}\n`);
  }
}
