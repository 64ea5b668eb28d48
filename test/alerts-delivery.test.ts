import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildDuckDbModels } from '../functions/adapters/duckdb/buildDuckDbModels.ts';
import { duckDbWarehouse } from '../functions/adapters/duckdb/duckDbWarehouse.ts';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import { LocalFolderStore } from '../functions/adapters/localFolderStore.ts';
import { JsonFileSink } from '../functions/adapters/sinks/jsonFileSink.ts';
import { parseSink } from '../functions/adapters/sinks/parseSink.ts';
import { MAX_BATCH_BYTES, SnsSink, snsPublishBatches } from '../functions/adapters/sinks/snsSink.ts';
import { StdoutSink } from '../functions/adapters/sinks/stdoutSink.ts';
import { WebhookError, WebhookSink } from '../functions/adapters/sinks/webhookSink.ts';
import { alertPayload, alertSubject } from '../functions/alerts/alertMessage.ts';
import { deliverNewAlerts } from '../functions/alerts/deliverNewAlerts.ts';
import { readAlerts } from '../functions/alerts/readAlerts.ts';
import { SENT_ALERTS_KEY } from '../functions/alerts/sentAlertKeys.ts';
import { alertsCommand } from '../functions/cli/commands/alerts.ts';
import { generateDataset } from '../functions/generate/generate.ts';
import type { IngestInput } from '../functions/ingest/ingestFiles.ts';
import type { Alert, AlertSink } from '../functions/ports/alertSink.ts';
import { sqlString } from '../functions/ports/warehouse.ts';
import { ingestToLake } from '../functions/wiring/ingestToLake.ts';

function alert(overrides: Partial<Alert> = {}): Alert {
  return {
    alert_id: 'P1|payer|*|2026-02-16',
    grain: 'payer',
    payer_id: 'P1',
    cause: null,
    week_start: '2026-02-16',
    takeback: 8_123_456,
    baseline: 2_000_000,
    score: 12.345,
    excess: 6_123_456,
    top_claims: ['reversal:r1:1', 'plb:r2:4', 'reversal:r3:2'],
    top_providers: ['1999999990', '1000000001'],
    top_causes: ['audit', 'coding'],
    ...overrides,
  };
}

/** The takeback_alerts mart's columns, as the model writes them. */
const MART_ROWS = `
  SELECT * FROM (VALUES
    ('P1|payer|*|2026-02-16', 'payer', 'P1', NULL, DATE '2026-02-16', 81234.56, 20000.00, 12.3, 61234.56,
     ['reversal:r1:1', 'plb:r2:4'], ['1999999990'], ['audit'], DATE '2026-02-23'),
    ('P1|payer_cause|audit|2026-02-23', 'payer_cause', 'P1', 'audit', DATE '2026-02-23', 60000.00, 5000.00, 9.9,
     55000.00, ['reversal:r7:3'], ['1999999991'], ['audit'], DATE '2026-02-23'),
    ('P2|payer|*|2025-10-06', 'payer', 'P2', NULL, DATE '2025-10-06', 30000.00, 10000.00, 5.0, 20000.00,
     [], [], [], DATE '2026-02-23')
  ) AS t(alert_id, grain, payer_id, cause, week_start, takeback, baseline, score, excess, top_claims,
         top_providers, top_causes, as_of_week)`;

async function martTable(db: DuckDBConnection): Promise<void> {
  await db.run(`CREATE TABLE takeback_alerts AS
    SELECT alert_id, grain, payer_id, CAST(cause AS VARCHAR) AS cause, week_start,
      CAST(takeback AS DECIMAL(18,2)) AS takeback, CAST(baseline AS DECIMAL(18,2)) AS baseline,
      CAST(score AS DOUBLE) AS score, CAST(excess AS DECIMAL(18,2)) AS excess,
      CAST(top_claims AS VARCHAR[]) AS top_claims, CAST(top_providers AS VARCHAR[]) AS top_providers,
      CAST(top_causes AS VARCHAR[]) AS top_causes, as_of_week
    FROM (${MART_ROWS})`);
}

class RecordingSink implements AlertSink {
  readonly name = 'recording';
  readonly batches: Alert[][] = [];
  fail = false;

  async send(alerts: Alert[]): Promise<void> {
    if (this.fail) throw new Error('sink down');
    this.batches.push(alerts);
  }
}

const FIXTURES = join(import.meta.dirname, 'fixtures', '835');

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'recoup-alerts-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

describe('webhook sink', () => {
  let server: Server;
  let url: string;
  let requests: { body: string; contentType: string | undefined }[];
  let respond: (n: number, res: ServerResponse) => void;

  beforeEach(async () => {
    requests = [];
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        requests.push({ body, contentType: req.headers['content-type'] });
        respond(requests.length, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/secret-token`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('POSTs the alerts as JSON, retrying a 503', async () => {
    // Prepare
    respond = (n, res) => {
      res.writeHead(n === 1 ? 503 : 200).end();
    };
    const sink = new WebhookSink(url, { backoffMs: 10 });

    // Act
    await sink.send([alert()]);

    // Assess
    expect(requests).toHaveLength(2);
    expect(requests[0]!.contentType).toBe('application/json');
    expect(requests[1]!.body).toBe(requests[0]!.body);
    expect(JSON.parse(requests[0]!.body)).toEqual(alertPayload([alert()]));
    expect(JSON.parse(requests[0]!.body).alerts[0].takeback).toBe('81234.56');
    expect(sink.name).not.toContain('secret-token');
  });

  it('fails at once on a 400: the same body cannot succeed later', async () => {
    respond = (_n, res) => {
      res.writeHead(400).end('bad');
    };
    const sink = new WebhookSink(url, { backoffMs: 10 });

    await expect(sink.send([alert()])).rejects.toMatchObject({ name: 'WebhookError', status: 400 });
    expect(requests).toHaveLength(1);
  });

  it('times out a server that never answers, retries, then gives up', async () => {
    respond = () => {};
    const sink = new WebhookSink(url, { timeoutMs: 150, retries: 1, backoffMs: 10 });

    const error = await sink.send([alert()]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(WebhookError);
    expect((error as Error).message).toMatch(/timed out after 150 ms.*gave up after 2 attempts/);
    expect(requests).toHaveLength(2);
  });

  it('sends nothing for no alerts', async () => {
    respond = (_n, res) => {
      res.writeHead(200).end();
    };
    await new WebhookSink(url).send([]);
    expect(requests).toHaveLength(0);
  });
});

describe('stdout and JSON file sinks', () => {
  it('writes one readable line per alert', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => {
      text += c.toString();
    });

    await new StdoutSink(out).send([alert(), alert({ grain: 'payer_cause', cause: 'audit' })]);

    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(
      'Takeback spike: payer P1, week of 2026-02-16: $81,234.56 taken back vs a baseline of $20,000.00 ' +
        '(+$61,234.56, score 12.3); top claim keys reversal:r1:1, plb:r2:4, reversal:r3:2; ' +
        'top providers 1999999990, 1000000001; ' +
        'top causes audit, coding',
    );
    expect(lines[1]).toContain('payer P1 cause audit');
  });

  it('names the payer in the line and the JSON when the mart gives a name', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => {
      text += c.toString();
    });

    await new StdoutSink(out).send([alert({ payer_name: 'ACME HEALTH' })]);

    expect(text).toMatch(/^Takeback spike: ACME HEALTH \(payer P1\), week of 2026-02-16/);
    expect(alertPayload([alert({ payer_name: 'ACME HEALTH' })]).alerts[0]?.payer_name).toBe('ACME HEALTH');
    expect(alertPayload([alert()]).alerts[0]?.payer_name).toBeNull();
  });

  it('appends to a JSON array file', async () => {
    const file = join(dir, 'out', 'alerts.json');
    const sink = new JsonFileSink(file);

    await sink.send([alert()]);
    await sink.send([alert({ alert_id: 'P2|payer|*|2026-02-16', payer_id: 'P2' })]);

    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved.map((a: { alert_id: string }) => a.alert_id)).toEqual([
      'P1|payer|*|2026-02-16',
      'P2|payer|*|2026-02-16',
    ]);
    expect(saved[0].excess).toBe('61234.56');
  });

  it('parses sink specs and refuses bad ones', async () => {
    expect((await parseSink('stdout')).name).toBe('stdout');
    expect((await parseSink('json:/tmp/a.json')).name).toBe('json:/tmp/a.json');
    expect((await parseSink('webhook:https://example.com/x/y')).name).toBe('webhook:https://example.com');
    await expect(parseSink('webhook:ftp://example.com')).rejects.toThrow(/http or https/);
    await expect(parseSink('json:')).rejects.toThrow(/missing target/);
    await expect(parseSink('pager')).rejects.toThrow(/unknown sink/);
  });
});

describe('SNS sink', () => {
  const topic = 'arn:aws:sns:us-east-1:123456789012:recoup-alerts';

  it('shapes one message per alert, 10 per PublishBatch, with filterable attributes', () => {
    const alerts = Array.from({ length: 12 }, (_, i) =>
      alert({ alert_id: `P${i}|payer|*|2026-02-16`, payer_id: `P${i}` }),
    );

    const batches = snsPublishBatches(topic, alerts);

    expect(batches.map((b) => b.PublishBatchRequestEntries?.length)).toEqual([10, 2]);
    const entry = batches[1]!.PublishBatchRequestEntries![1]!;
    expect(batches[1]!.TopicArn).toBe(topic);
    expect(entry.Id).toBe('alert-11');
    expect(entry.MessageStructure).toBe('json');
    expect(entry.MessageAttributes?.payer_id).toEqual({ DataType: 'String', StringValue: 'P11' });
    expect(entry.MessageAttributes?.cause).toEqual({ DataType: 'String', StringValue: '*' });
    const message = JSON.parse(entry.Message!);
    expect(JSON.parse(message.default).alert.alert_id).toBe('P11|payer|*|2026-02-16');
    expect(message.email).toMatch(/^Takeback spike: payer P11/);
    // The e-mail lists no claim, not even by key, and says where the claims are.
    expect(message.email).not.toContain('reversal:');
    expect(message.email).toContain('recoup report: ');
    expect(message.email).toContain('alert P11|payer|*|2026-02-16');
    expect(entry.Subject).toBe('recoup takeback spike: P11 week 2026-02-16 +$61,234.56');
  });

  it('points the e-mail at the report location it is given', () => {
    const [batch] = snsPublishBatches(topic, [alert()], 'https://reports.example.org/recoup');
    const message = JSON.parse(batch!.PublishBatchRequestEntries![0]!.Message!);
    expect(message.email).toContain('in the recoup report: https://reports.example.org/recoup');
    expect(JSON.parse(message.default).alert.top_claims).toEqual(alert().top_claims);
  });

  it('starts a new PublishBatch before the batch passes 256 KiB, and refuses one message over it', () => {
    // 40 KiB payer names: about 120 KiB per message (the name is in the JSON and the e-mail text).
    const big = Array.from({ length: 5 }, (_, i) =>
      alert({ alert_id: `P${i}|payer|*|2026-02-16`, payer_id: `P${i}`, payer_name: 'N'.repeat(40 * 1024) }),
    );

    const batches = snsPublishBatches(topic, big);

    expect(batches.length).toBeGreaterThan(1);
    const ids = batches.flatMap((b) => b.PublishBatchRequestEntries!.map((e) => e.Id));
    expect(ids).toEqual(['alert-0', 'alert-1', 'alert-2', 'alert-3', 'alert-4']);
    for (const batch of batches) {
      const bytes = batch.PublishBatchRequestEntries!.reduce(
        (n, e) =>
          n +
          Buffer.byteLength(e.Message!) +
          Buffer.byteLength(e.Subject!) +
          Object.entries(e.MessageAttributes!).reduce(
            (m, [k, v]) =>
              m + Buffer.byteLength(k) + Buffer.byteLength(v.DataType!) + Buffer.byteLength(v.StringValue!),
            0,
          ),
        0,
      );
      expect(bytes).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    }
    expect(() => snsPublishBatches(topic, [alert({ payer_name: 'N'.repeat(300 * 1024) })])).toThrow(
      /is \d+ bytes as an SNS message, over SNS's 262144/,
    );
  });

  it('keeps subjects within SNS limits', () => {
    const subject = alertSubject(alert({ payer_id: `Ünïcode-${'x'.repeat(200)}` }));
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });

  it('throws when SNS reports failed entries', async () => {
    const client = { send: vi.fn(async () => ({ Failed: [{ Id: 'alert-0', Message: 'throttled' }] })) };
    const sink = new SnsSink(topic, client);

    await expect(sink.send([alert()])).rejects.toThrow(/1 message\(s\) not published: alert-0 throttled/);
  });
});

describe('deliverNewAlerts', () => {
  let db: DuckDBConnection;

  beforeEach(async () => {
    db = await openDuckDb();
    await martTable(db);
  });

  afterEach(() => {
    db.closeSync();
  });

  it('reads the current alerts from the mart, in cents', async () => {
    const current = await readAlerts(duckDbWarehouse(db));
    const all = await readAlerts(duckDbWarehouse(db), { all: true });

    expect(current.map((a) => a.alert_id)).toEqual([
      'P1|payer_cause|audit|2026-02-23',
      'P1|payer|*|2026-02-16',
    ]);
    expect(all).toHaveLength(3);
    expect(current[1]).toMatchObject({
      takeback: 8_123_456,
      baseline: 2_000_000,
      excess: 6_123_456,
      cause: null,
    });
    expect(current[1]!.top_claims).toEqual(['reversal:r1:1', 'plb:r2:4']);
  });

  it('sends each current alert once and records it in the store', async () => {
    // Prepare
    const store = new LocalFolderStore(dir);
    const sink = new RecordingSink();

    // Act
    const first = await deliverNewAlerts({
      warehouse: duckDbWarehouse(db),
      store,
      sinks: [sink],
      now: new Date('2026-02-24T06:00:00Z'),
    });
    const second = await deliverNewAlerts({ warehouse: duckDbWarehouse(db), store, sinks: [sink] });

    // Assess
    expect(first).toEqual({ sent: 2, skipped: 0 });
    expect(second).toEqual({ sent: 0, skipped: 2 });
    expect(sink.batches).toHaveLength(1);
    const state = JSON.parse(readFileSync(join(dir, SENT_ALERTS_KEY), 'utf8'));
    expect(state).toEqual({
      version: 2,
      sinks: {
        recording: {
          'P1|payer_cause|audit|2026-02-23': '2026-02-24T06:00:00.000Z',
          'P1|payer|*|2026-02-16': '2026-02-24T06:00:00.000Z',
        },
      },
    });
  });

  it('records nothing when a sink fails, so the next run retries', async () => {
    const store = new LocalFolderStore(dir);
    const sink = new RecordingSink();
    sink.fail = true;

    await expect(deliverNewAlerts({ warehouse: duckDbWarehouse(db), store, sinks: [sink] })).rejects.toThrow(
      'sink down',
    );
    sink.fail = false;
    const retry = await deliverNewAlerts({ warehouse: duckDbWarehouse(db), store, sinks: [sink] });

    expect(retry).toEqual({ sent: 2, skipped: 0 });
  });
});

describe('recoup alerts', () => {
  async function lakeWithMart(): Promise<string> {
    const lake = join(dir, 'lake');
    mkdirSync(join(lake, 'marts', 'takeback_alerts'), { recursive: true });
    const db = await openDuckDb();
    try {
      await martTable(db);
      await db.run(
        `COPY takeback_alerts TO ${sqlString(join(lake, 'marts', 'takeback_alerts', 'data.parquet'))} (FORMAT parquet)`,
      );
    } finally {
      db.closeSync();
    }
    return lake;
  }

  function capture(stream: NodeJS.WriteStream): () => string {
    let text = '';
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      text += chunk.toString();
      return true;
    });
    return () => text;
  }

  it('lists current alerts as JSON and delivers them once to a JSON file', async () => {
    // Prepare
    const lake = await lakeWithMart();
    const file = join(dir, 'sent.json');
    const stdout = capture(process.stdout);
    const stderr = capture(process.stderr);

    // Act
    const first = await alertsCommand(['--lake', lake, '--json', '--sink', `json:${file}`]);
    const firstOut = stdout();
    const second = await alertsCommand(['--lake', lake, '--all', '--sink', `json:${file}`]);

    // Assess
    expect([first, second]).toEqual([0, 0]);
    const listed = JSON.parse(firstOut);
    expect(listed.map((a: { alert_id: string }) => a.alert_id)).toEqual([
      'P1|payer_cause|audit|2026-02-23',
      'P1|payer|*|2026-02-16',
    ]);
    expect(stdout()).toContain('(3 rows)');
    expect(stderr()).toContain('delivered 2 new alert(s)');
    expect(stderr()).toContain('delivered 0 new alert(s)');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveLength(2);
  });

  it('explains a lake without the mart', async () => {
    mkdirSync(join(dir, 'empty'));
    await expect(alertsCommand(['--lake', join(dir, 'empty')])).rejects.toThrow(/run `recoup build/);
  });
});

describe('no patient data leaves in an alert', () => {
  it('names no CLP01 of the fixture data in any sink payload: stdout, JSON file, webhook, SNS', async () => {
    // Prepare: a lake of the hand-written fixtures plus a generated data set with a takeback
    // spike (PLB references there are often the patient control number), models built.
    const input = join(dir, 'in');
    mkdirSync(input);
    const files: IngestInput[] = [];
    generateDataset(
      {
        seed: 21,
        weeks: 34,
        payers: 2,
        providers: 6,
        scale: 3,
        spikes: [{ payer: 0, week: 32, factor: 40 }],
      },
      (f) => {
        const path = join(input, f.name);
        writeFileSync(path, f.text);
        files.push({ path, key: f.name, size: Buffer.byteLength(f.text) });
      },
    );
    for (const folder of ['recoup', 'cases', 'format']) {
      for (const name of readdirSync(join(FIXTURES, folder))) {
        const path = join(FIXTURES, folder, name);
        files.push({ path, key: `${folder}/${name}`, size: statSync(path).size });
      }
    }
    const lake = join(dir, 'lake');
    await ingestToLake(files, { lake: new LocalFolderStore(lake) });
    const db = await openDuckDb();
    let alerts: Alert[];
    let clp01s: string[];
    let resolved: string[];
    try {
      await buildDuckDbModels({ db, lakeDir: lake });
      alerts = await readAlerts(duckDbWarehouse(db), { all: true });
      clp01s = (
        await runQuery(db, 'SELECT DISTINCT claim_id FROM claims WHERE claim_id IS NOT NULL')
      ).rows.map((r) => String(r.claim_id));
      const keys = [...new Set(alerts.flatMap((a) => a.top_claims))];
      resolved = (
        await runQuery(
          db,
          `SELECT DISTINCT claim_id FROM takeback_links
           WHERE takeback_id IN (${keys.map(sqlString).join(', ')}) AND claim_id IS NOT NULL`,
        )
      ).rows.map((r) => String(r.claim_id));
    } finally {
      db.closeSync();
    }
    // Alerts carry the payer's name from the marts (dim_payers), as the webhook JSON does.
    expect(alerts.length).toBeGreaterThan(0);
    for (const a of alerts) expect(a.payer_name).toMatch(/\S/);
    expect(alertPayload(alerts).alerts[0]?.payer_name).toBe(alerts[0]?.payer_name);
    // The scan is not vacuous: alerts name claims, and those claims have patient control numbers.
    expect(alerts.some((a) => a.top_claims.length > 0)).toBe(true);
    expect(resolved.length).toBeGreaterThan(0);
    for (const clp01 of resolved) expect(clp01s).toContain(clp01);
    expect(clp01s.length).toBeGreaterThan(20);

    // Act: every sink delivers every alert.
    const payloads: Record<string, string> = {};
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => {
      text += c.toString();
    });
    await new StdoutSink(out).send(alerts);
    payloads.stdout = text;
    const jsonFile = join(dir, 'alerts.json');
    await new JsonFileSink(jsonFile).send(alerts);
    payloads.json = readFileSync(jsonFile, 'utf8');
    let posted = '';
    const server = createServer((req, res) => {
      req.on('data', (chunk: Buffer) => {
        posted += chunk.toString();
      });
      req.on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await new WebhookSink(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`).send(alerts);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    payloads.webhook = posted;
    const published: unknown[] = [];
    const client = {
      send: async (command: { input: unknown }) => {
        published.push(command.input);
        return { Failed: [] };
      },
    };
    await new SnsSink('arn:aws:sns:us-east-1:123456789012:recoup-alerts', client).send(alerts);
    payloads.sns = JSON.stringify(published);

    // Assess: no payload holds a CLP01, as a whole token or (for longer ones) anywhere inside.
    for (const [sink, payload] of Object.entries(payloads)) {
      expect(payload.length, sink).toBeGreaterThan(100);
      const tokens = new Set(payload.split(/[^A-Za-z0-9-]+/));
      const leaked = clp01s.filter((c) => tokens.has(c) || (c.length >= 6 && payload.includes(c)));
      expect(leaked, sink).toEqual([]);
    }
  }, 120_000);
});
