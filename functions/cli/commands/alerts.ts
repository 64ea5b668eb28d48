import type { DuckDBConnection } from '@duckdb/node-api';
import { duckDbWarehouse } from '../../adapters/duckdb/duckDbWarehouse.ts';
import { createLakeViews } from '../../adapters/duckdb/lakeViews.ts';
import { openDuckDb } from '../../adapters/duckdb/openDuckDb.ts';
import { LocalFolderStore } from '../../adapters/localFolderStore.ts';
import { parseSink } from '../../adapters/sinks/parseSink.ts';
import { alertJson } from '../../alerts/alertMessage.ts';
import { type DeliverySink, deliverNewAlertsBySink } from '../../alerts/deliverNewAlerts.ts';
import { CURRENT_ALERT_WEEKS, readAlerts } from '../../alerts/readAlerts.ts';
import { SENT_ALERTS_KEY } from '../../alerts/sentAlertKeys.ts';
import { existingLake, parseCommandArgs } from '../args.ts';
import { CliError } from '../cliError.ts';
import { formatRows } from '../formatRows.ts';
import { warnIfStale } from '../staleMarts.ts';

const USAGE = `Usage: recoup alerts --lake DIR [--sink SINK]... [--all] [--json]

Lists the takeback spike alerts of the takeback_alerts mart (written by \`recoup build\`): by default
the current ones (weeks within ${CURRENT_ALERT_WEEKS} of the latest week in the lake), newest first.
With --sink, also delivers the current alerts that sink has not received before, and records them
per sink in <lake>/${SENT_ALERTS_KEY}, so that each alert reaches each sink once: a preview with
--sink stdout does not stop the webhook from getting the alert later.

Examples:
  recoup alerts --lake lake
  recoup alerts --lake lake --sink webhook:https://hooks.example.com/recoup --sink json:alerts.json

Options:
  --lake DIR     the lake folder
  --sink SINK    where to deliver new alerts (repeatable): stdout, json:FILE (a JSON array the
                 alerts are appended to), webhook:URL (POST JSON, retried), sns:TOPIC_ARN
  --all          list every alert in the mart, not only the current ones (delivery stays current)
                 (a warning goes to stderr when remittances were ingested after the last build)
  --json         print the alerts as JSON (money as exact strings)
  -h, --help     show this help
`;

export async function alertsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      lake: { type: 'string' },
      sink: { type: 'string', multiple: true },
      all: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    USAGE,
  );
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"\n\n${USAGE}`);
  const lake = existingLake(values.lake, USAGE);
  const sinks: DeliverySink[] = [];
  for (const spec of (values.sink as string[] | undefined) ?? []) {
    sinks.push(
      await parseSink(spec).catch((error: unknown) =>
        Promise.reject(new CliError(String((error as Error).message))),
      ),
    );
  }

  const db = await openDuckDb();
  try {
    await requireAlertsMart(db, lake);
    await warnIfStale(db, lake, 'alerts');
    const alerts = await readAlerts(duckDbWarehouse(db), { all: values.all === true });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(alerts.map(alertJson), null, 2)}\n`);
    } else {
      const rows = alerts.map((a) => {
        const j = alertJson(a);
        return {
          week_start: j.week_start,
          payer_id: j.payer_id,
          cause: j.cause ?? '(all)',
          takeback: j.takeback,
          baseline: j.baseline,
          excess: j.excess,
          score: j.score.toFixed(1),
          top_claims: j.top_claims.join(', '),
          top_providers: j.top_providers.join(', '),
        };
      });
      const columns = [
        'week_start',
        'payer_id',
        'cause',
        'takeback',
        'baseline',
        'excess',
        'score',
        'top_claims',
        'top_providers',
      ];
      process.stdout.write(formatRows({ columns, rows }, 'table'));
    }
    if (sinks.length > 0) {
      const deliveries = await deliverNewAlertsBySink({
        warehouse: duckDbWarehouse(db),
        store: new LocalFolderStore(lake),
        sinks,
      });
      for (const d of deliveries) {
        process.stderr.write(
          `delivered ${d.sent} new alert(s) to ${d.sink}; ${d.skipped} already sent there\n`,
        );
      }
    }
  } finally {
    db.closeSync();
  }
  return 0;
}

async function requireAlertsMart(db: DuckDBConnection, lake: string): Promise<void> {
  const views = await createLakeViews(db, lake);
  if (!views.includes('takeback_alerts')) {
    throw new CliError(`no takeback_alerts mart in ${lake}; run \`recoup build --lake ${lake}\` first`, 1);
  }
}
