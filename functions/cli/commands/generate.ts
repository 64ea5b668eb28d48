import { resolve } from 'node:path';
import { DEFAULTS, type SpikeSpec } from '../../generate/generate.ts';
import type { Realism } from '../../generate/truth.ts';
import { OutputNotEmptyError, writeDataset } from '../../generate/writeDataset.ts';
import { parseCommandArgs, positiveInt, required } from '../args.ts';
import { CliError } from '../cliError.ts';
import { ProgressBar } from '../progress.ts';

const USAGE = `Usage: recoup generate --out DIR [--seed N] [--weeks N] [--payers N] [--providers N]
                       [--scale K] [--spike PAYER:WEEK[:FACTOR]]... [--realism standard|high]
                       [--no-duplicates] [--force] [--json]

Writes synthetic, balanced X12 835 5010 remittances into DIR and DIR/truth.json, the expected
metrics (paid, takebacks by payer, cause, provider and week) computed while generating.
Same seed and options, same bytes. Payers differ in how they take money back (reversals with
corrections, PLB WO offsets, refunds, deferrals, forwarding balances, interest); files mix
delimiters, terminators and envelopes, and a few are delivered twice (truth counts them once).

Options:
  --out DIR          output folder (created if missing; must not already hold .835 files)
  --seed N           PRNG seed (default ${DEFAULTS.seed}); also fixes the last week's date
  --weeks N          weeks of payments (default ${DEFAULTS.weeks})
  --payers N         payers (default ${DEFAULTS.payers}); behaviours cycle through aggressive,
                     reverse_correct, clean, medicare, medicaid
  --providers N      rendering providers (default ${DEFAULTS.providers}), about 5 per billing group
  --scale K          claim volume multiplier (default 1 ≈ 3 300 claims, 1.7 MB; 20 ≈ 22 MB)
  --spike P:W[:F]    a recovery sweep: payer P takes back F times its usual amount in week W
                     (default ${DEFAULTS.spikeFactor}); P is a payer index (0-based) or payer id, W a week
                     index (0-based); repeatable
  --realism LEVEL    standard (default): tidy payers. high: what real payers do, so linking is
                     put to the test: account numbers (CLP01) reused for a later visit and by
                     another payee; a payment date split across several 835s, corrections in
                     another 835 of the same day; composite PLB references (ICN or CLP01, then
                     a member id: MBI, HIC or member number, after a space, "-" or "/");
                     double reversals (over-recoupment); REF*F8 on corrections for some payers;
                     corrections that keep or change the ICN (CLP07) by payer. truth.json keeps
                     the true links (links, by_payer_link_rule, realism counts)
  --no-duplicates    do not re-deliver any file
  --force            remove DIR's old .835 files and truth.json first
  --json             print a JSON summary instead of text
  -h, --help         show this help

Examples:
  recoup generate --out data/synthetic --seed 7 --spike 0:40
  recoup generate --out data/real-shaped --weeks 20 --scale 3 --realism high
`;

function parseSpike(text: string): SpikeSpec {
  const parts = text.split(':');
  const [payer, week, factor] = parts;
  if (parts.length < 2 || parts.length > 3 || !payer || !week || !/^\d+$/.test(week))
    throw new CliError(`--spike must be PAYER:WEEK[:FACTOR], got "${text}"`);
  const spike: SpikeSpec = { payer, week: Number(week) };
  if (factor !== undefined) {
    const f = Number(factor);
    if (!Number.isFinite(f) || f <= 0)
      throw new CliError(`--spike factor must be a positive number, got "${factor}"`);
    spike.factor = f;
  }
  return spike;
}

function nonNegativeInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw new CliError(`--${name} must be an integer >= 0, got "${value}"`);
  return n;
}

/** `recoup generate`: writes a synthetic 835 data set and its truth.json. */
export async function generateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      out: { type: 'string' },
      seed: { type: 'string' },
      weeks: { type: 'string' },
      payers: { type: 'string' },
      providers: { type: 'string' },
      scale: { type: 'string' },
      spike: { type: 'string', multiple: true },
      realism: { type: 'string' },
      'no-duplicates': { type: 'boolean' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    USAGE,
  );
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"\n\n${USAGE}`);
  const out = resolve(required(values.out as string | undefined, 'out', USAGE));
  const scaleText = values.scale as string | undefined;
  const scale = scaleText === undefined ? DEFAULTS.scale : Number(scaleText);
  if (!Number.isFinite(scale) || scale <= 0)
    throw new CliError(`--scale must be a positive number, got "${scaleText}"`);
  const realism = (values.realism as string | undefined) ?? 'standard';
  if (realism !== 'standard' && realism !== 'high')
    throw new CliError(`--realism must be standard or high, got "${realism}"`);
  const options = {
    seed: nonNegativeInt(values.seed as string | undefined, 'seed', DEFAULTS.seed),
    weeks: positiveInt(values.weeks as string | undefined, 'weeks', DEFAULTS.weeks),
    payers: positiveInt(values.payers as string | undefined, 'payers', DEFAULTS.payers),
    providers: positiveInt(values.providers as string | undefined, 'providers', DEFAULTS.providers),
    scale,
    spikes: ((values.spike as string[] | undefined) ?? []).map(parseSpike),
    duplicates: values['no-duplicates'] !== true,
    realism: realism as Realism,
  };
  const progress = new ProgressBar('generate');
  const expectedFiles = options.weeks * options.payers * Math.max(1, Math.round(options.providers / 5));
  let summary: Awaited<ReturnType<typeof writeDataset>>;
  try {
    summary = await writeDataset(out, options, values.force === true, (files) =>
      progress.update(files, expectedFiles, `${files} files`),
    );
  } catch (error) {
    if (error instanceof OutputNotEmptyError || error instanceof RangeError)
      throw new CliError(error.message);
    throw error;
  } finally {
    progress.done();
  }
  const { truth } = summary;
  if (values.json) {
    const result = {
      out,
      truth: summary.truthPath,
      files: summary.files,
      duplicate_files: summary.duplicateFiles,
      bytes: summary.bytes,
      transactions: summary.transactions,
      claims: summary.claims,
      reversals: summary.reversals,
      ms: summary.ms,
      params: truth.params,
      totals: truth.totals,
      realism: truth.realism,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const mb = (summary.bytes / 1e6).toFixed(1);
    process.stdout.write(
      [
        `wrote ${summary.files} files (${summary.duplicateFiles} re-deliveries), ${mb} MB to ${out}`,
        `${summary.transactions} transactions, ${summary.claims} claims, ${summary.reversals} reversals, ${truth.params.first_week} .. ${truth.params.last_week}`,
        `paid ${truth.totals.paid}, takeback ${truth.totals.takeback}, net takeback ${truth.totals.net_takeback}`,
        ...(truth.params.realism === 'high'
          ? [
              `realism high: ${truth.realism.split_payment_dates} split payment dates, ${truth.realism.reused_claim_ids_same_payee + truth.realism.reused_claim_ids_other_payee} reused account numbers, ` +
                `${truth.realism.plb_references_composite_icn + truth.realism.plb_references_composite_claim_id} composite PLB references, ${truth.realism.double_reversals} double reversals`,
            ]
          : []),
        `truth: ${summary.truthPath} (${summary.ms} ms)`,
        '',
      ].join('\n'),
    );
  }
  return 0;
}
