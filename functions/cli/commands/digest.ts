import { duckDbWarehouse } from '../../adapters/duckdb/duckDbWarehouse.ts';
import { createLakeViews, listMarts } from '../../adapters/duckdb/lakeViews.ts';
import { openDuckDb } from '../../adapters/duckdb/openDuckDb.ts';
import { loadDigest, renderDigestHtml, renderDigestJson, renderDigestText } from '../../digest/digest.ts';
import { existingLake, parseCommandArgs } from '../args.ts';
import { CliError } from '../cliError.ts';

const USAGE = `Usage: recoup digest --lake DIR [--format text|json|html] [--as-of YYYY-MM-DD] [--due-within N]
                     [--report-link URL]

The weekly digest for leadership, from the marts \`recoup build\` wrote: the scorecard's top lines
per payer (paid, takeback, net, rate, trend), appeals due soon (count and money recoverable),
current takeback alerts and forecast-flagged weeks. It names payers, amounts, counts and dates
only: no claim, patient or member, so it may be sent by e-mail. The text form fits 80 columns.
On AWS the same digest goes to the alert topic on a schedule (docs/aws.md).

Options:
  --lake DIR          the lake folder
  --format FORMAT     text (default), json (money as exact strings) or html (an e-mail body)
  --as-of DATE        count appeal days to this date (default today)
  --due-within N      appeals due within N days (default 7)
  --report-link URL   where the full report is, printed at the end
  -h, --help          show this help

Example:
  recoup digest --lake lake
`;

/** `recoup digest`: prints the weekly digest. */
export async function digestCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      lake: { type: 'string' },
      format: { type: 'string' },
      json: { type: 'boolean' },
      'as-of': { type: 'string' },
      'due-within': { type: 'string' },
      'report-link': { type: 'string' },
    },
    USAGE,
  );
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"\n\n${USAGE}`);
  const lake = existingLake(values.lake, USAGE);
  const format = values.json ? 'json' : ((values.format as string | undefined) ?? 'text');
  if (!['text', 'json', 'html'].includes(format))
    throw new CliError(`--format must be text, json or html, got "${format}"`);
  const asOf = values['as-of'] as string | undefined;
  if (asOf !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(asOf))
    throw new CliError(`--as-of must be a date YYYY-MM-DD, got "${asOf}"`);
  const dueText = values['due-within'] as string | undefined;
  if (dueText !== undefined && !/^\d+$/.test(dueText))
    throw new CliError(`--due-within must be a whole number of days, got "${dueText}"`);
  if (!listMarts(lake).includes('payer_scorecard'))
    throw new CliError(`the marts are not in ${lake}; run \`recoup build --lake ${lake}\` first`);
  const db = await openDuckDb();
  try {
    await createLakeViews(db, lake);
    const digest = await loadDigest(duckDbWarehouse(db), {
      asOf,
      dueWithinDays: dueText === undefined ? undefined : Number(dueText),
      reportLink: (values['report-link'] as string | undefined) ?? null,
    });
    const render =
      format === 'json' ? renderDigestJson : format === 'html' ? renderDigestHtml : renderDigestText;
    process.stdout.write(render(digest));
  } finally {
    db.closeSync();
  }
  return 0;
}
