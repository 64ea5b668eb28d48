import type { ObjectStore } from '../ports/objectStore.ts';

/** Where the keys of delivered alerts live, relative to the store (the lake folder or bucket). */
export const SENT_ALERTS_KEY = 'state/alerts-sent.json';

/** alert_id (payer|grain|cause|week) → ISO time it was delivered. */
type SentTimes = Record<string, string>;

/** The file as written since delivery state is kept per sink. */
interface SentFileV2 {
  version: 2;
  /** Sink key (`stdout`, `json:/abs/path`, `webhook:origin#hash`, `sns:arn`) → its delivered alerts. */
  sinks: Record<string, SentTimes>;
  /**
   * Alerts a version 1 file (one list shared by every sink) recorded. That file said "sent", with no
   * sink named, so they count as delivered to every sink, as they did before; new deliveries are
   * recorded per sink.
   */
  legacy?: SentTimes;
}

/** The file before delivery state was kept per sink. */
interface SentFileV1 {
  version: 1;
  sent: SentTimes;
}

/**
 * The alerts already delivered, per sink, kept as one JSON object in the object store so the CLI
 * and the Lambda share the logic: an alert previewed on stdout is still new to the webhook. One
 * writer at a time is assumed (the scheduled models function); two overlapping runs could both
 * send an alert, never lose one.
 */
export class SentAlertKeys {
  private constructor(
    private readonly store: ObjectStore,
    private readonly sinks: Map<string, Map<string, string>>,
    private readonly legacy: Map<string, string>,
  ) {}

  static async load(store: ObjectStore): Promise<SentAlertKeys> {
    if (!(await store.exists(SENT_ALERTS_KEY))) return new SentAlertKeys(store, new Map(), new Map());
    const where = `${store.location}/${SENT_ALERTS_KEY}`;
    const text = new TextDecoder().decode(await store.get(SENT_ALERTS_KEY));
    let parsed: Partial<SentFileV2> | Partial<SentFileV1>;
    try {
      parsed = JSON.parse(text) as Partial<SentFileV2> | Partial<SentFileV1>;
    } catch (error) {
      throw new Error(`${where}: not JSON (${(error as Error).message}); fix or remove it`);
    }
    if (parsed.version === 1 && isTimes((parsed as Partial<SentFileV1>).sent)) {
      return new SentAlertKeys(store, new Map(), new Map(Object.entries((parsed as SentFileV1).sent)));
    }
    if (parsed.version === 2 && isRecord((parsed as Partial<SentFileV2>).sinks)) {
      const file = parsed as SentFileV2;
      const sinks = new Map<string, Map<string, string>>();
      for (const [sink, times] of Object.entries(file.sinks)) {
        if (!isTimes(times)) throw new Error(`${where}: sink ${sink} is not a map of alert ids to times`);
        sinks.set(sink, new Map(Object.entries(times)));
      }
      const legacy = isTimes(file.legacy) ? new Map(Object.entries(file.legacy)) : new Map<string, string>();
      return new SentAlertKeys(store, sinks, legacy);
    }
    throw new Error(`${where}: not a sent-alerts file (version 1 or 2)`);
  }

  /** Whether `alertId` was delivered to the sink keyed `sink` (or recorded by a version 1 file). */
  has(sink: string, alertId: string): boolean {
    return this.legacy.has(alertId) || this.sinks.get(sink)?.has(alertId) === true;
  }

  /** Records alerts as delivered to `sink` at `at` and writes the file. */
  async add(sink: string, alertIds: string[], at: Date = new Date()): Promise<void> {
    let times = this.sinks.get(sink);
    if (times === undefined) {
      times = new Map();
      this.sinks.set(sink, times);
    }
    for (const id of alertIds) times.set(id, at.toISOString());
    const file: SentFileV2 = {
      version: 2,
      sinks: Object.fromEntries([...this.sinks].sort(byKey).map(([k, v]) => [k, sortedTimes(v)])),
      ...(this.legacy.size > 0 ? { legacy: sortedTimes(this.legacy) } : {}),
    };
    await this.store.put(SENT_ALERTS_KEY, `${JSON.stringify(file, null, 2)}\n`);
  }
}

function byKey<T>([a]: [string, T], [b]: [string, T]): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedTimes(times: Map<string, string>): SentTimes {
  return Object.fromEntries([...times].sort(byKey));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTimes(value: unknown): value is SentTimes {
  return isRecord(value) && Object.values(value).every((v) => typeof v === 'string');
}
