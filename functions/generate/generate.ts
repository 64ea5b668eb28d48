import type { RemitModel } from './model.ts';
import { mixSeed, Rng } from './prng.ts';
import { DELIMITER_STYLES, type Delimiters, renderInterchange, renderTransaction } from './render.ts';
import { isoDate, Simulation } from './simulate.ts';
import {
  emptyBucket,
  linkRows,
  linkRuleRows,
  type Realism,
  TRUTH_DEFINITIONS,
  type Truth,
  TruthAccumulator,
  type TruthCause,
  takebackMetrics,
  truthMetrics,
} from './truth.ts';

/** A takeback spike to plant: payer index or payer id, week index, multiplier. */
export interface SpikeSpec {
  payer: string | number;
  week: number;
  factor?: number;
}

/** Parameters of a synthetic data set; every field has a deterministic default. */
export interface GenerateOptions {
  seed?: number;
  weeks?: number;
  payers?: number;
  providers?: number;
  /** Claim volume multiplier; 1 ≈ 3 000 original claims over 52 weeks with the other defaults. */
  scale?: number;
  spikes?: SpikeSpec[];
  /** Re-deliver a few files (byte copies and re-wrapped envelopes). Default true. */
  duplicates?: boolean;
  /** Monday (ISO) of the last week; default derived from the seed. */
  lastWeek?: string;
  /**
   * `high` writes what real payers do (reused account numbers, a payment date split across
   * 835s, composite PLB references, double reversals, REF*F8 and changing ICNs on corrections
   * for some payers); truth still holds the true links. Default `standard`.
   */
  realism?: Realism;
}

/** One file of the data set. `bytes` is its UTF-8 size. */
export interface GeneratedFile {
  name: string;
  text: string;
  bytes: number;
}

export const DEFAULTS = {
  seed: 835,
  weeks: 52,
  payers: 5,
  providers: 20,
  scale: 1,
  spikeFactor: 30,
} as const;

const DAY_MS = 86_400_000;
/** 2025-06-30, a Monday: the latest possible default last week. */
const LATEST_MONDAY = Date.UTC(2025, 5, 30);

/** Monday of the default last week for a seed: up to a year before 2025-06-30. */
export function defaultLastWeek(seed: number): string {
  return isoDate(LATEST_MONDAY - (mixSeed(seed, 7) % 52) * 7 * DAY_MS);
}

function checkInt(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min)
    throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
}

function mondayMs(iso: string): number {
  const ms = Date.parse(`${iso}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).getUTCDay() !== 1)
    throw new RangeError(`lastWeek must be a Monday, got ${iso}`);
  return ms;
}

function utf8Bytes(text: string): number {
  // Everything generated is ASCII except the optional BOM (3 bytes in UTF-8).
  return text.charCodeAt(0) === 0xfeff ? text.length + 2 : text.length;
}

/**
 * Generates a data set of balanced 835 files, handing each file to `onFile` as soon as it is
 * complete, and returns the truth computed while generating. Pure: no file system.
 */
export function generateDataset(options: GenerateOptions, onFile: (file: GeneratedFile) => void): Truth {
  const seed = options.seed ?? DEFAULTS.seed;
  const weeks = options.weeks ?? DEFAULTS.weeks;
  const payerCount = options.payers ?? DEFAULTS.payers;
  const providers = options.providers ?? DEFAULTS.providers;
  const scale = options.scale ?? DEFAULTS.scale;
  const duplicates = options.duplicates ?? true;
  const realism = options.realism ?? 'standard';
  if (realism !== 'standard' && realism !== 'high')
    throw new RangeError(`realism must be standard or high, got ${String(realism)}`);
  checkInt('seed', seed, 0);
  checkInt('weeks', weeks, 1);
  checkInt('payers', payerCount, 1);
  checkInt('providers', providers, 1);
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`scale must be > 0, got ${scale}`);
  const lastMonday = mondayMs(options.lastWeek ?? defaultLastWeek(seed));
  const firstMonday = lastMonday - (weeks - 1) * 7 * DAY_MS;

  const spikes = new Map<string, number>();
  const truth = new TruthAccumulator();
  const sim = new Simulation(
    { seed, weeks, payers: payerCount, providers, scale, firstMonday, spikes, realism },
    truth,
  );
  const spikeRows: Truth['params']['spikes'] = [];
  for (const s of options.spikes ?? []) {
    const payer =
      typeof s.payer === 'number' || /^\d{1,3}$/.test(s.payer)
        ? sim.payers[Number(s.payer)]
        : sim.payers.find((p) => p.id === s.payer);
    if (payer === undefined) throw new RangeError(`spike names no payer: ${s.payer}`);
    checkInt('spike week', s.week, 0);
    if (s.week >= weeks) throw new RangeError(`spike week ${s.week} is past the last week (${weeks - 1})`);
    const factor = s.factor ?? DEFAULTS.spikeFactor;
    if (!(factor > 0)) throw new RangeError(`spike factor must be > 0, got ${factor}`);
    spikes.set(`${payer.index}:${s.week}`, factor);
    spikeRows.push({ payer_id: payer.id, week_start: sim.weekStart(s.week), factor });
  }

  let files = 0;
  let duplicateFiles = 0;
  let bytes = 0;
  let interchange = 1000 + (mixSeed(seed, 5) % 9000);
  let group = 1;
  const duplicateRows: Truth['duplicates'] = [];
  const emit = (name: string, text: string) => {
    const size = utf8Bytes(text);
    files++;
    bytes += size;
    onFile({ name, text, bytes: size });
  };

  for (let week = 0; week < weeks; week++) {
    for (let p = 0; p < sim.payers.length; p++) {
      const remits = sim.runPayerWeek(p, week);
      const rng = new Rng(seed, 2, p, week);
      const d =
        DELIMITER_STYLES[
          rng.chance(0.8) ? p % DELIMITER_STYLES.length : rng.int(0, DELIMITER_STYLES.length - 1)
        ];
      if (d === undefined) throw new Error('no delimiter style');
      const bom = rng.chance(0.04) ? '\uFEFF' : '';
      const payer = sim.payers[p];
      if (payer === undefined) throw new Error(`no payer ${p}`);
      const envelope = (remit: RemitModel, receiver: string) => ({
        sender: payer.id,
        receiver,
        date: remit.productionDate,
        time: `${String(rng.int(0, 23)).padStart(2, '0')}${String(rng.int(0, 59)).padStart(2, '0')}`,
        interchangeControl: interchange++,
        groupControl: group++,
      });
      // Each delivery: the file name, its groups of transaction texts, its interchanges' receivers.
      const deliveries: {
        name: string;
        text: string;
        groups: string[][];
        first: RemitModel;
        receiver: string;
      }[] = [];
      const first = remits[0];
      if (first === undefined) continue;
      if (remits.length > 1 && rng.chance(payer.profile.batch)) {
        const weekStart = sim.weekStart(week);
        if (rng.chance(0.5)) {
          // One interchange, one group, one ST per payee.
          const bodies = remits.map((r, i) => renderTransaction(r, d, String(i + 1).padStart(4, '0')));
          const text = renderInterchange([bodies], d, envelope(first, 'CLEARINGHOUSE01'));
          deliveries.push({
            name: `${payer.id}_${weekStart}_batch.835`,
            text,
            groups: [bodies],
            first,
            receiver: 'CLEARINGHOUSE01',
          });
        } else {
          // Several interchanges in one file, one per payee.
          const parts = remits.map((r) =>
            renderInterchange([[renderTransaction(r, d, '0001')]], d, envelope(r, r.payee.tin)),
          );
          deliveries.push({
            name: `${payer.id}_${weekStart}_multi.835`,
            text: parts.join(''),
            groups: [],
            first,
            receiver: '',
          });
        }
      } else {
        for (const r of remits) {
          const body = renderTransaction(r, d, '0001');
          const text = renderInterchange([[body]], d, envelope(r, r.payee.tin));
          const part = r.part > 0 ? `_${r.part + 1}` : '';
          deliveries.push({
            name: `${payer.id}_${r.payee.npi}_${r.paymentDate}${part}.835`,
            text,
            groups: [[body]],
            first: r,
            receiver: r.payee.tin,
          });
        }
      }
      for (const [i, delivery] of deliveries.entries()) {
        emit(delivery.name, bom + delivery.text);
        if (!duplicates) continue;
        const forcedCopy = p === 0 && week === Math.floor(weeks / 3) && i === 0;
        const forcedRewrap = p === 1 % sim.payers.length && week === Math.floor((2 * weeks) / 3) && i === 0;
        const roll = rng.next();
        const canRewrap = delivery.groups.length > 0;
        const base = delivery.name.replace(/\.835$/, '');
        if (forcedRewrap || (canRewrap && roll < 0.006)) {
          if (!canRewrap) continue;
          const name = `${base}.rewrapped.835`;
          // Same transactions, new ISA/GS envelope with new control numbers, sent a day later.
          const env = envelope(delivery.first, delivery.receiver);
          env.date = isoDate(Date.parse(`${delivery.first.paymentDate}T00:00:00Z`) + DAY_MS);
          emit(name, renderInterchange(delivery.groups, d, env));
          duplicateFiles++;
          duplicateRows.push({ file: name, original: delivery.name, kind: 'rewrapped' });
        } else if (forcedCopy || roll > 0.994) {
          const name = `${base}.resend.835`;
          emit(name, bom + delivery.text);
          duplicateFiles++;
          duplicateRows.push({ file: name, original: delivery.name, kind: 'byte_copy' });
        }
      }
    }
  }

  const total = truth.total;
  const causeOrder = (c: string) => c;
  return {
    format: 'recoup-truth/1',
    definitions: TRUTH_DEFINITIONS,
    params: {
      seed,
      weeks,
      payers: payerCount,
      providers,
      scale,
      first_week: isoDate(firstMonday),
      last_week: isoDate(lastMonday),
      spikes: spikeRows,
      duplicates,
      realism,
    },
    payers: sim.payers.map((p) => ({
      payer_id: p.id,
      name: p.name,
      profile: p.profile.name,
      filing_indicators: p.profile.filing.map(([f]) => f),
    })),
    payees: sim.payees.map((e) => ({
      payee_npi: e.npi,
      name: e.name,
      tin: e.tin,
      rendering_npis: [...e.renderingNpis],
    })),
    counts: {
      files,
      duplicate_files: duplicateFiles,
      bytes,
      transactions: total.transactions,
      claims: total.claims,
      reversals: total.reversals,
      corrections: total.corrections,
      plb_pairs: total.plbPairs,
    },
    duplicates: duplicateRows,
    totals: truthMetrics(total),
    by_payer: sim.payers.map((p) => ({
      payer_id: p.id,
      transactions: truth.byPayer.get(p.id)?.transactions ?? 0,
      ...truthMetrics(truth.byPayer.get(p.id) ?? emptyBucket()),
    })),
    by_cause: [...truth.byCause.entries()]
      .sort(([a], [b]) => causeOrder(a).localeCompare(causeOrder(b)))
      .map(([cause, b]) => ({ cause, ...takebackMetrics(b) })),
    by_payer_cause: sim.payers.flatMap((p) =>
      [...truth.byPayerCause.entries()]
        .filter(([key]) => key.startsWith(`${p.id}|`))
        .map(([key, b]) => ({
          payer_id: p.id,
          cause: key.slice(p.id.length + 1) as TruthCause,
          ...takebackMetrics(b),
        }))
        .sort((a, b) => a.cause.localeCompare(b.cause)),
    ),
    by_provider: [...truth.byProvider.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([provider_npi, b]) => ({ provider_npi, ...truthMetrics(b) })),
    by_payer_week: sim.payers.flatMap((p) =>
      Array.from({ length: weeks }, (_, w) => {
        const weekStart = sim.weekStart(w);
        return {
          payer_id: p.id,
          week_start: weekStart,
          ...truthMetrics(truth.byPayerWeek.get(`${p.id}|${weekStart}`) ?? emptyBucket()),
        };
      }),
    ),
    by_payer_link_rule: linkRuleRows(
      sim.payers.map((p) => p.id),
      truth.reversalEvents,
      truth.plbEvents,
    ),
    realism: { ...truth.realism },
    links: linkRows(truth.reversalEvents, truth.plbEvents),
  };
}

/** The delimiters a large benchmark file uses throughout (one style, so every parser can read it). */
export const LARGE_FILE_DELIMITERS: Delimiters = {
  element: '*',
  component: ':',
  repetition: '^',
  segment: '~\n',
};

/**
 * Endless stream of interchanges for the large-file benchmark: one interchange per payer-week,
 * one group, one transaction per payee. Truth is not tracked, memory stays bounded.
 */
export function* largeFileChunks(seed: number, scale = 20): Generator<string> {
  const firstMonday = Date.UTC(2015, 0, 5);
  const sim = new Simulation(
    {
      seed,
      weeks: Number.MAX_SAFE_INTEGER,
      payers: 5,
      providers: 20,
      scale,
      firstMonday,
      spikes: new Map(),
      poolLimit: 300,
    },
    null,
  );
  let interchange = 1;
  for (let week = 0; ; week++) {
    for (let p = 0; p < sim.payers.length; p++) {
      const remits = sim.runPayerWeek(p, week);
      const first = remits[0];
      const payer = sim.payers[p];
      if (first === undefined || payer === undefined) continue;
      const bodies = remits.map((r, i) =>
        renderTransaction(r, LARGE_FILE_DELIMITERS, String(i + 1).padStart(4, '0')),
      );
      yield renderInterchange([bodies], LARGE_FILE_DELIMITERS, {
        sender: payer.id,
        receiver: 'CLEARINGHOUSE01',
        date: first.productionDate,
        time: '0800',
        interchangeControl: interchange,
        groupControl: interchange,
      });
      interchange = (interchange % 999_999_999) + 1;
    }
  }
}
