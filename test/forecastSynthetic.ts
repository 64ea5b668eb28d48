import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { loadModels } from '../functions/adapters/localModelFiles.ts';
import { FORECAST_MODELS, modelSql, UNNAMED_PAYERS_SQL } from '../functions/forecast/modelSql.ts';
import { sqlIdent, sqlString } from '../functions/ports/warehouse.ts';

/**
 * Synthetic stand-ins for the model layer's contract (int_takebacks, int_claim_payments, the
 * adjustments lake view, build_params), so the forecast and alert models run on a real DuckDB
 * before and independently of the staging models.
 */

const TAKEBACK_COLUMNS = {
  takeback_id: 'VARCHAR',
  kind: 'VARCHAR',
  payer_id: 'VARCHAR',
  remit_id: 'VARCHAR',
  payment_date: 'DATE',
  week_start: 'DATE',
  period: 'DATE',
  amount: 'DECIMAL(18,2)',
  correction_repaid: 'DECIMAL(18,2)',
  net_amount: 'DECIMAL(18,2)',
  cause: 'VARCHAR',
  provider_npi: 'VARCHAR',
  claim_id: 'VARCHAR',
  payer_claim_control: 'VARCHAR',
  reason_code: 'VARCHAR',
  reference_id: 'VARCHAR',
  original_remit_id: 'VARCHAR',
  original_payment_date: 'DATE',
  correction_remit_id: 'VARCHAR',
  correction_payment_date: 'DATE',
  lag_days: 'INTEGER',
  linked: 'BOOLEAN',
} as const;

const PAYMENT_COLUMNS = {
  payer_id: 'VARCHAR',
  remit_id: 'VARCHAR',
  claim_id: 'VARCHAR',
  payer_claim_control: 'VARCHAR',
  provider_npi: 'VARCHAR',
  payment_date: 'DATE',
  week_start: 'DATE',
  period: 'DATE',
  paid: 'DECIMAL(18,2)',
} as const;

const ADJUSTMENT_COLUMNS = {
  remit_id: 'VARCHAR',
  payer_id: 'VARCHAR',
  level: 'VARCHAR',
  claim_id: 'VARCHAR',
  reason_code: 'VARCHAR',
  reference_id: 'VARCHAR',
  amount: 'DECIMAL(18,2)',
  category: 'VARCHAR',
  cause: 'VARCHAR',
  payment_date: 'DATE',
} as const;

type Row = Record<string, string | number | boolean | null>;

export interface SyntheticLake {
  takebacks: Row[];
  payments: Row[];
  adjustments: Row[];
}

export function emptyLake(): SyntheticLake {
  return { takebacks: [], payments: [], adjustments: [] };
}

/** Deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `YYYY-MM-DD` plus days. */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export function mondayOf(date: string): string {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return addDays(date, -((day + 6) % 7));
}

function money(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(Math.round(cents));
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** One claim payment row. */
export function payment(
  payerId: string,
  claimId: string,
  date: string,
  cents: number,
  npi = '1000000001',
): Row {
  return {
    payer_id: payerId,
    remit_id: `R-${payerId}-${date}`,
    claim_id: claimId,
    payer_claim_control: `ICN-${claimId}`,
    provider_npi: npi,
    payment_date: date,
    week_start: mondayOf(date),
    period: `${date.slice(0, 8)}01`,
    paid: money(cents),
  };
}

export interface TakebackInput {
  payerId: string;
  date: string;
  cents: number;
  kind?: 'reversal' | 'plb';
  cause?: string;
  claimId?: string | null;
  npi?: string | null;
  reasonCode?: string | null;
  referenceId?: string | null;
  originalDate?: string | null;
}

let takebackSeq = 0;

/** One int_takebacks row. */
export function takeback(t: TakebackInput): Row {
  takebackSeq++;
  const original = t.originalDate ?? null;
  return {
    takeback_id: `T${takebackSeq}`,
    kind: t.kind ?? 'reversal',
    payer_id: t.payerId,
    remit_id: `R-${t.payerId}-${t.date}`,
    payment_date: t.date,
    week_start: mondayOf(t.date),
    period: `${t.date.slice(0, 8)}01`,
    amount: money(t.cents),
    correction_repaid: '0.00',
    net_amount: money(t.cents),
    cause: t.cause ?? 'coding',
    provider_npi: t.npi ?? '1000000001',
    claim_id: t.claimId ?? null,
    payer_claim_control: t.claimId ? `ICN-${t.claimId}` : null,
    reason_code: t.reasonCode ?? null,
    reference_id: t.referenceId ?? null,
    original_remit_id: original ? `R-${t.payerId}-${original}` : null,
    original_payment_date: original,
    correction_remit_id: null,
    correction_payment_date: null,
    lag_days: original
      ? Math.round((Date.parse(`${t.date}T00:00:00Z`) - Date.parse(`${original}T00:00:00Z`)) / 86_400_000)
      : null,
    linked: original !== null,
  };
}

/** One provider-level PLB adjustment (FB, WO, …) in the lake's sign: positive = taken. */
export function plb(
  payerId: string,
  date: string,
  code: string,
  reference: string | null,
  cents: number,
): Row {
  return {
    remit_id: `R-${payerId}-${date}`,
    payer_id: payerId,
    level: 'provider',
    claim_id: null,
    reason_code: code,
    reference_id: reference,
    amount: money(cents),
    category: code === 'FB' ? 'forwarding_balance' : 'offset',
    cause: 'unspecified',
    payment_date: date,
  };
}

export interface ClaimLevelOptions {
  payerId: string;
  /** Monday of the first week. */
  start: string;
  weeks: number;
  claimsPerWeek: number;
  /** Mean paid per claim, in cents. */
  claimCents: number;
  /** Probability that a paid claim is reversed later. */
  reversalRate: number;
  /** Probability of each lag (weeks) of a reversal; sums to 1. */
  lagWeights: readonly (readonly [number, number])[];
  /** Mean unlinked (level) PLB recovery per week, in cents. */
  levelCents: number;
  seed: number;
  /** Weekday offset of the payment day (0 = Monday). */
  payDay?: number;
}

/**
 * A payer whose claims are paid weekly and reversed, one claim at a time, at a random lag: the
 * lumpy weekly takebacks the chain-ladder sees in real data. Takebacks are only emitted when they
 * fall inside the simulated weeks.
 */
export function claimLevelPayer(lake: SyntheticLake, o: ClaimLevelOptions): void {
  const rand = prng(o.seed);
  const payDay = o.payDay ?? 2;
  const last = addDays(o.start, 7 * o.weeks - 1);
  const pickLag = () => {
    let u = rand();
    for (const [lag, w] of o.lagWeights) {
      if (u < w) return lag;
      u -= w;
    }
    return o.lagWeights[o.lagWeights.length - 1]![0];
  };
  const causes = ['coding', 'audit', 'duplicate', 'eligibility'];
  for (let week = 0; week < o.weeks; week++) {
    const date = addDays(o.start, 7 * week + payDay);
    for (let c = 0; c < o.claimsPerWeek; c++) {
      const claimId = `${o.payerId}-${week}-${c}`;
      const cents = Math.round(o.claimCents * (0.5 + rand()));
      const npi = `10000000${String(c % 5).padStart(2, '0')}`;
      lake.payments.push(payment(o.payerId, claimId, date, cents, npi));
      if (rand() < o.reversalRate) {
        const when = addDays(date, 7 * pickLag());
        if (when <= last) {
          lake.takebacks.push(
            takeback({
              payerId: o.payerId,
              date: when,
              cents,
              claimId,
              npi,
              cause: causes[Math.floor(rand() * causes.length)]!,
              originalDate: date,
            }),
          );
        }
      }
    }
    if (o.levelCents > 0 && rand() < 0.5) {
      lake.takebacks.push(
        takeback({
          payerId: o.payerId,
          date,
          cents: Math.round(2 * o.levelCents * (0.5 + rand())),
          kind: 'plb',
          reasonCode: 'WU',
          cause: 'unspecified',
        }),
      );
    }
  }
}

async function createTable(
  db: DuckDBConnection,
  name: string,
  columns: Record<string, string>,
  rows: Row[],
  dir: string,
): Promise<void> {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(rows));
  const spec = Object.entries(columns)
    .map(([c, t]) => `${sqlString(c)}: ${sqlString(t)}`)
    .join(', ');
  const list = Object.keys(columns).map(sqlIdent).join(', ');
  const source =
    rows.length === 0
      ? `SELECT ${Object.entries(columns)
          .map(([c, t]) => `NULL::${t} AS ${sqlIdent(c)}`)
          .join(', ')} WHERE false`
      : `SELECT ${list} FROM read_json(${sqlString(file)}, columns = {${spec}}, format = 'array')`;
  await db.run(`CREATE OR REPLACE TABLE ${sqlIdent(name)} AS ${source}`);
}

/** Loads the synthetic contract tables and build_params (as_of NULL = latest payment). */
export async function loadContract(db: DuckDBConnection, lake: SyntheticLake, asOf: string | null = null) {
  const dir = mkdtempSync(join(tmpdir(), 'recoup-forecast-'));
  try {
    await createTable(db, 'int_takebacks', TAKEBACK_COLUMNS, lake.takebacks, dir);
    await createTable(db, 'int_claim_payments', PAYMENT_COLUMNS, lake.payments, dir);
    await createTable(db, 'adjustments', ADJUSTMENT_COLUMNS, lake.adjustments, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await setAsOf(db, asOf);
}

export async function setAsOf(db: DuckDBConnection, asOf: string | null): Promise<void> {
  await db.run('CREATE OR REPLACE TABLE build_params (as_of DATE)');
  const prepared = await db.prepare('INSERT INTO build_params VALUES (CAST($1 AS DATE))');
  if (asOf === null) prepared.bindNull(1);
  else prepared.bindVarchar(1, asOf);
  await prepared.run();
}

/** Builds this package's models as tables, in dependency order (what the model runner does). */
export async function buildForecastModels(db: DuckDBConnection): Promise<void> {
  await db.run(`CREATE OR REPLACE TABLE dim_payers AS ${UNNAMED_PAYERS_SQL}`);
  // A build settles a missing as-of to the latest payment date before any model runs.
  await db.run(`UPDATE build_params SET as_of = coalesce(as_of,
    (SELECT max(payment_date) FROM int_claim_payments), (SELECT max(payment_date) FROM int_takebacks))`);
  const models = loadModels();
  for (const [layer, name] of FORECAST_MODELS) {
    await db.run(`CREATE OR REPLACE TABLE ${sqlIdent(name)} AS ${modelSql(layer, name, models)}`);
  }
}
