import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { duckDbWarehouse } from '../functions/adapters/duckdb/duckDbWarehouse.ts';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { LocalFolderStore } from '../functions/adapters/localFolderStore.ts';
import { parseSink } from '../functions/adapters/sinks/parseSink.ts';
import { WebhookSink } from '../functions/adapters/sinks/webhookSink.ts';
import {
  deliverNewAlerts,
  deliverNewAlertsBySink,
  deliveryKey,
} from '../functions/alerts/deliverNewAlerts.ts';
import { SENT_ALERTS_KEY } from '../functions/alerts/sentAlertKeys.ts';
import { alertsCommand } from '../functions/cli/commands/alerts.ts';
import type { Alert, AlertSink } from '../functions/ports/alertSink.ts';
import { sqlString } from '../functions/ports/warehouse.ts';

// Delivery state is kept per sink (issue 27, point 2): a preview on stdout must not use up the
// webhook's or SNS topic's delivery of the same alert.

const CURRENT = ['P1|payer_cause|audit|2026-02-23', 'P1|payer|*|2026-02-16'];

/** Two current alerts and one old one, in the columns the takeback_alerts model writes. */
async function martTable(db: DuckDBConnection): Promise<void> {
  await db.run(`CREATE TABLE takeback_alerts AS
    SELECT alert_id, grain, payer_id, CAST(cause AS VARCHAR) AS cause, week_start,
      CAST(takeback AS DECIMAL(18,2)) AS takeback, CAST(baseline AS DECIMAL(18,2)) AS baseline,
      CAST(score AS DOUBLE) AS score, CAST(excess AS DECIMAL(18,2)) AS excess,
      CAST(top_claims AS VARCHAR[]) AS top_claims, CAST(top_providers AS VARCHAR[]) AS top_providers,
      CAST(top_causes AS VARCHAR[]) AS top_causes, as_of_week
    FROM (VALUES
      ('P1|payer|*|2026-02-16', 'payer', 'P1', NULL, DATE '2026-02-16', 81234.56, 20000.00, 12.3, 61234.56,
       ['k1'], ['1999999990'], ['audit'], DATE '2026-02-23'),
      ('P1|payer_cause|audit|2026-02-23', 'payer_cause', 'P1', 'audit', DATE '2026-02-23', 60000.00, 5000.00,
       9.9, 55000.00, ['k7'], ['1999999991'], ['audit'], DATE '2026-02-23'),
      ('P2|payer|*|2025-10-06', 'payer', 'P2', NULL, DATE '2025-10-06', 30000.00, 10000.00, 5.0, 20000.00,
       [], [], [], DATE '2026-02-23')
    ) AS t(alert_id, grain, payer_id, cause, week_start, takeback, baseline, score, excess, top_claims,
           top_providers, top_causes, as_of_week)`);
}

class RecordingSink implements AlertSink {
  readonly batches: Alert[][] = [];
  fail = false;

  constructor(readonly name: string) {}

  async send(alerts: Alert[]): Promise<void> {
    if (this.fail) throw new Error(`${this.name} down`);
    this.batches.push(alerts);
  }

  get ids(): string[] {
    return this.batches.flat().map((a) => a.alert_id);
  }
}

let dir: string;
let db: DuckDBConnection;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'recoup-alert-state-'));
  db = await openDuckDb();
  await martTable(db);
});

afterEach(() => {
  db.closeSync();
  rmSync(dir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

function stateFile(): { version: number; sinks: Record<string, Record<string, string>>; legacy?: unknown } {
  return JSON.parse(readFileSync(join(dir, SENT_ALERTS_KEY), 'utf8'));
}

describe('alert delivery state per sink', () => {
  it('a stdout preview does not mark the alerts sent for the webhook', async () => {
    // Prepare
    const store = new LocalFolderStore(dir);
    const preview = new RecordingSink('stdout');
    const webhook = new RecordingSink('webhook:https://hooks.example.com');

    // Act: preview first, then the real delivery, then both again.
    const first = await deliverNewAlerts({ warehouse: duckDbWarehouse(db), store, sinks: [preview] });
    const second = await deliverNewAlerts({ warehouse: duckDbWarehouse(db), store, sinks: [webhook] });
    const again = await deliverNewAlertsBySink({
      warehouse: duckDbWarehouse(db),
      store,
      sinks: [preview, webhook],
    });

    // Assess
    expect(first).toEqual({ sent: 2, skipped: 0 });
    expect(second).toEqual({ sent: 2, skipped: 0 });
    expect(webhook.ids).toEqual(CURRENT);
    expect(again).toEqual([
      { sink: 'stdout', sent: 0, skipped: 2 },
      { sink: 'webhook:https://hooks.example.com', sent: 0, skipped: 2 },
    ]);
    expect(preview.batches).toHaveLength(1);
    expect(webhook.batches).toHaveLength(1);
    const state = stateFile();
    expect(state.version).toBe(2);
    expect(Object.keys(state.sinks)).toEqual(['stdout', 'webhook:https://hooks.example.com']);
    expect(Object.keys(state.sinks.stdout ?? {}).sort()).toEqual([...CURRENT].sort());
  });

  it('a failing sink records nothing and is retried; the others are delivered and recorded', async () => {
    const store = new LocalFolderStore(dir);
    const json = new RecordingSink('json:/tmp/a.json');
    const sns = new RecordingSink('sns:arn:aws:sns:us-east-1:1:t');
    sns.fail = true;

    await expect(
      deliverNewAlerts({ warehouse: duckDbWarehouse(db), store, sinks: [sns, json] }),
    ).rejects.toThrow(
      /failed for 1 sink\(s\): sns:arn:aws:sns:us-east-1:1:t: sns:arn:aws:sns:us-east-1:1:t down; delivered to json:\/tmp\/a\.json \(2 new\)/,
    );
    sns.fail = false;
    const retry = await deliverNewAlertsBySink({ warehouse: duckDbWarehouse(db), store, sinks: [sns, json] });

    expect(json.batches).toHaveLength(1);
    expect(sns.ids).toEqual(CURRENT);
    expect(retry.map((d) => d.sent)).toEqual([2, 0]);
  });

  it('reads an old shared (version 1) file: what it recorded is not sent again, to any sink', async () => {
    // Prepare: a version 1 file that recorded one of the two current alerts.
    mkdirSync(join(dir, 'state'));
    const v1 = { version: 1, sent: { 'P1|payer|*|2026-02-16': '2026-02-17T06:00:00.000Z' } };
    writeFileSync(join(dir, SENT_ALERTS_KEY), JSON.stringify(v1));
    const store = new LocalFolderStore(dir);
    const webhook = new RecordingSink('webhook:https://hooks.example.com');
    const preview = new RecordingSink('stdout');

    // Act
    const result = await deliverNewAlerts({
      warehouse: duckDbWarehouse(db),
      store,
      sinks: [webhook, preview],
      now: new Date('2026-02-24T00:00:00Z'),
    });

    // Assess: only the alert the old file did not hold went out, to each sink; the old record is kept.
    expect(result).toEqual({ sent: 1, skipped: 1 });
    expect(webhook.ids).toEqual(['P1|payer_cause|audit|2026-02-23']);
    expect(preview.ids).toEqual(['P1|payer_cause|audit|2026-02-23']);
    expect(stateFile()).toEqual({
      version: 2,
      sinks: {
        stdout: { 'P1|payer_cause|audit|2026-02-23': '2026-02-24T00:00:00.000Z' },
        'webhook:https://hooks.example.com': {
          'P1|payer_cause|audit|2026-02-23': '2026-02-24T00:00:00.000Z',
        },
      },
      legacy: v1.sent,
    });
  });

  it('refuses a state file it does not understand, naming it', async () => {
    mkdirSync(join(dir, 'state'));
    writeFileSync(join(dir, SENT_ALERTS_KEY), JSON.stringify({ version: 3, sinks: {} }));

    await expect(
      deliverNewAlerts({
        warehouse: duckDbWarehouse(db),
        store: new LocalFolderStore(dir),
        sinks: [new RecordingSink('stdout')],
      }),
    ).rejects.toThrow(/state\/alerts-sent\.json: not a sent-alerts file/);
  });
});

describe('sink state keys', () => {
  it('keeps two webhooks on one host apart without writing their secret paths down', async () => {
    const a = await parseSink('webhook:https://hooks.example.com/services/T0/B0/secret-a');
    const b = await parseSink('webhook:https://hooks.example.com/services/T0/B0/secret-b');

    expect(a).toBeInstanceOf(WebhookSink);
    expect(a.name).toBe(b.name);
    expect(deliveryKey(a)).not.toBe(deliveryKey(b));
    expect(deliveryKey(a)).toMatch(/^webhook:https:\/\/hooks\.example\.com#[0-9a-f]{16}$/);
    expect(deliveryKey(a)).not.toContain('secret');
  });

  it('names a JSON file sink by its absolute path and SNS by its topic', async () => {
    expect(deliveryKey(await parseSink('json:out/alerts.json'))).toBe(
      `json:${join(process.cwd(), 'out/alerts.json')}`,
    );
    expect(deliveryKey(await parseSink('stdout'))).toBe('stdout');
    expect(deliveryKey(await parseSink('sns:arn:aws:sns:us-east-1:1:t'))).toBe(
      'sns:arn:aws:sns:us-east-1:1:t',
    );
  });
});

describe('recoup alerts --sink', () => {
  it('previewing on stdout, then delivering to a JSON file, sends the alerts to the file', async () => {
    // Prepare: a lake holding the mart.
    const lake = join(dir, 'lake');
    mkdirSync(join(lake, 'marts', 'takeback_alerts'), { recursive: true });
    await db.run(
      `COPY takeback_alerts TO ${sqlString(join(lake, 'marts', 'takeback_alerts', 'data.parquet'))} (FORMAT parquet)`,
    );
    const file = join(dir, 'alerts.json');
    let err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err += chunk.toString();
      return true;
    });

    // Act
    const preview = await alertsCommand(['--lake', lake, '--sink', 'stdout']);
    const deliver = await alertsCommand(['--lake', lake, '--sink', `json:${file}`]);

    // Assess
    expect([preview, deliver]).toEqual([0, 0]);
    expect(JSON.parse(readFileSync(file, 'utf8')).map((a: { alert_id: string }) => a.alert_id)).toEqual(
      CURRENT,
    );
    expect(err).toContain('delivered 2 new alert(s) to stdout; 0 already sent there');
    expect(err).toContain(`delivered 2 new alert(s) to json:${file}; 0 already sent there`);
  });
});
