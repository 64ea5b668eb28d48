import type { Cents } from '../core/types.ts';
import {
  CAUSE_CARCS,
  type Cas,
  type ClaimModel,
  type ClaimRef,
  type MemberIdKind,
  PAYER_NAMES,
  type Payee,
  type Payer,
  type PlbPair,
  PROCEDURES,
  PROFILES,
  type RealismTraits,
  type RemitModel,
  type ServiceLine,
  unplaced,
} from './model.ts';
import { randomNpi } from './npi.ts';
import { Rng } from './prng.ts';
import type {
  Bucket,
  CorrectionLinkRule,
  PlbLinkRule,
  Realism,
  TruthAccumulator,
  TruthCause,
} from './truth.ts';

const DAY_MS = 86_400_000;
/** Claims per transaction at scale 1 (5 payers × 4 payees × 52 weeks ≈ 3 000 originals). */
const CLAIMS_PER_REMIT = 3;
/** Original claims a payer may still take back from, per payee (keeps memory bounded). */
const POOL_LIMIT = 3000;
const RECOVERY_CODES = new Set(['WO', 'WU', 'OB', '72']);

/** What the simulation needs to know. */
export interface SimulationParams {
  seed: number;
  /** Number of weeks; the simulation may be run past it (large files), corrections due after it never appear. */
  weeks: number;
  payers: number;
  providers: number;
  scale: number;
  /** Monday of week 0, as UTC milliseconds. */
  firstMonday: number;
  /** Takeback multipliers by `${payerIndex}:${week}`. */
  spikes: ReadonlyMap<string, number>;
  /** Originals kept per payer × payee for later takebacks (default 3000; bounds memory). */
  poolLimit?: number;
  /** `high` switches on the payers' realism traits (default `standard`). */
  realism?: Realism;
}

/** An account number (CLP01) of one payer × payee, with the visits that used it. */
interface Account {
  clp01: string;
  /** Service date (UTC ms) of its latest claim: a later visit must be later. */
  lastServiceMs: number;
  uses: number;
  /** Named alone by a PLB reference: never reused, so the reference stays unambiguous. */
  locked: boolean;
}

interface PoolEntry {
  claim: ClaimModel;
  provider: string;
  account: Account | null;
}

interface DueCorrection {
  week: number;
  item: ClaimModel;
  cause: TruthCause;
  provider: string;
  /** The reversal's week (ISO Monday): correction repaid is booked there. */
  reversalWeekStart: string;
}

interface DueWo {
  week: number;
  item: PlbPair;
  cause: TruthCause;
  provider: string;
  link: PlbLink;
}

interface DueDouble {
  week: number;
  entry: PoolEntry;
}

/** The claim a PLB pair names, and how (null: it names none). */
/**
 * The claim a PLB reference names, and the rule the models link it by. `composite`: the
 * reference was written with a member id after the claim's token (the reader drops the member
 * id, so the models link by the token alone: rule icn or claim_id).
 */
type PlbLink = { claim: ClaimRef; rule: PlbLinkRule; composite?: boolean } | null;

/** ISO date of UTC milliseconds. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function x12Date(ms: number): string {
  const iso = isoDate(ms);
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function sumPaid(claims: readonly ClaimModel[]): Cents {
  let s = 0;
  for (const c of claims) s += c.paid;
  return s;
}

/** Adds a CAS amount, merging it into an existing triplet with the same group and reason. */
function addCas(list: Cas[], group: string, reason: string, amount: Cents): void {
  const found = list.find((c) => c.group === group && c.reason === reason);
  if (found !== undefined) found.amount += amount;
  else list.push({ group, reason, amount });
}

/** The reversal of a claim: CLP02 22, every amount negated, same CLP01, ICN and CAS codes (DOMAIN.md §5). */
export function reverseClaim(c: ClaimModel): ClaimModel {
  const neg = (cas: Cas[]) => cas.map((a) => ({ group: a.group, reason: a.reason, amount: -a.amount }));
  return {
    ...c,
    status: '22',
    charge: -c.charge,
    paid: -c.paid,
    patientResp: -c.patientResp,
    claimCas: neg(c.claimCas),
    lines: c.lines.map((l) => ({ ...l, charge: -l.charge, paid: -l.paid, cas: neg(l.cas), remarks: [] })),
    remarks: [],
    originalReference: null,
    ref: unplaced(),
  };
}

function copyClaim(c: ClaimModel): ClaimModel {
  return {
    ...c,
    claimCas: c.claimCas.map((a) => ({ ...a })),
    lines: c.lines.map((l) => ({ ...l, cas: l.cas.map((a) => ({ ...a })), remarks: [...l.remarks] })),
    remarks: [...c.remarks],
    ref: unplaced(),
  };
}

/** The rule by which a correction names its reversal, the first of the contract's order that holds. */
function correctionRule(correction: ClaimModel, reversal: ClaimModel): CorrectionLinkRule {
  if (correction.originalReference !== null && correction.originalReference === reversal.icn)
    return 'original_reference';
  if (correction.icn === reversal.icn) return 'payer_claim_control';
  return 'claim_id_service_dates';
}

const MBI_LETTERS = 'ACDEFGHJKMNPQRTUVWXY';
const MBI_ALNUM = `0123456789${MBI_LETTERS}`;

/** A member identifier in the shape payers send: MBI (CMS pattern), HICN (9 digits + suffix), member number. */
export function memberId(rng: Rng, kind: MemberIdKind): string {
  if (kind === 'mbi') {
    const l = () => rng.pick([...MBI_LETTERS]);
    const a = () => rng.pick([...MBI_ALNUM]);
    const d = () => rng.digits(1);
    return `${rng.int(1, 9)}${l()}${a()}${d()}${l()}${a()}${d()}${l()}${l()}${d()}${d()}`;
  }
  if (kind === 'hic') return `${rng.int(1, 9)}${rng.digits(8)}${rng.pick(['A', 'B', 'C1', 'D', 'T'])}`;
  return `${rng.pick(['XJH', 'ZGP', 'W', 'YPB'])}${rng.digits(9)}`;
}

/**
 * Runs the synthetic payers week by week. Each payer × payee × week draws from its own PRNG stream,
 * and every fact is added to the truth as it is emitted, so truth never depends on re-reading files.
 * Realism decisions draw from a second stream, so the standard data set does not depend on them.
 */
export class Simulation {
  readonly payers: Payer[] = [];
  readonly payees: Payee[] = [];
  private readonly pools: PoolEntry[][] = [];
  private readonly dueCorrections: DueCorrection[][] = [];
  private readonly dueWo: DueWo[][] = [];
  private readonly dueDoubles: DueDouble[][] = [];
  private readonly forwardBalances: { reference: string; amount: Cents }[][] = [];
  /** Takeback so far per payer × payee (spike weeks excluded), the baseline a spike multiplies. */
  private readonly history: { takeback: Cents; remits: number }[] = [];
  /** Realism: every account number per payer × payee, and the recent ones a later visit may reuse. */
  private readonly accounts: Map<string, Account>[] = [];
  private readonly recentAccounts: Account[][] = [];
  private readonly realism: boolean;

  constructor(
    readonly params: SimulationParams,
    private readonly truth: TruthAccumulator | null,
  ) {
    this.realism = params.realism === 'high';
    const rng = new Rng(params.seed, 1);
    const taken = new Set<string>();
    for (let p = 0; p < params.payers; p++) {
      const profile = PROFILES[p % PROFILES.length];
      if (profile === undefined) throw new Error('no payer profiles');
      const base = PAYER_NAMES[p % PAYER_NAMES.length] ?? 'PAYER';
      let id = `1${rng.digits(9)}`;
      while (taken.has(id)) id = `1${rng.digits(9)}`;
      taken.add(id);
      this.payers.push({
        index: p,
        id,
        name: p < PAYER_NAMES.length ? base : `${base} ${Math.floor(p / PAYER_NAMES.length) + 1}`,
        profile,
        icnPrefix: pad(10 + (p % 90), 2),
      });
    }
    const payeeCount = Math.max(1, Math.round(params.providers / 5));
    const cities = ['CHICAGO', 'PEORIA', 'ROCKFORD', 'NAPERVILLE', 'JOLIET', 'AURORA', 'ELGIN'];
    for (let e = 0; e < payeeCount; e++) {
      this.payees.push({
        index: e,
        npi: randomNpi(rng, 'organization', taken),
        tin: `${rng.int(10, 99)}${rng.digits(7)}`,
        name: `SYNTHETIC MEDICAL GROUP ${e + 1}`,
        city: cities[e % cities.length] ?? 'CHICAGO',
        renderingNpis: [],
      });
    }
    for (let i = 0; i < params.providers; i++) {
      this.payees[i % payeeCount]?.renderingNpis.push(randomNpi(rng, 'individual', taken));
    }
    for (const payee of this.payees) {
      if (payee.renderingNpis.length === 0) payee.renderingNpis.push(randomNpi(rng, 'individual', taken));
    }
    for (let i = 0; i < this.payers.length * this.payees.length; i++) {
      this.pools.push([]);
      this.dueCorrections.push([]);
      this.dueWo.push([]);
      this.dueDoubles.push([]);
      this.forwardBalances.push([]);
      this.accounts.push(new Map());
      this.recentAccounts.push([]);
    }
  }

  /** Monday (ISO date) of a week index. */
  weekStart(week: number): string {
    return isoDate(this.params.firstMonday + week * 7 * DAY_MS);
  }

  /**
   * The transactions of one payer for one week: one per payee, or (realism high) two or three
   * for a payee whose payment date the payer splits across several 835s.
   */
  runPayerWeek(p: number, week: number): RemitModel[] {
    const out: RemitModel[] = [];
    for (let e = 0; e < this.payees.length; e++) out.push(...this.runRemit(p, e, week));
    return out;
  }

  /**
   * The account number of a new claim. Realism high: sometimes an earlier account of the same
   * payee (a later visit of the same patient, with a later service date) or one another payee
   * already used with this payer; else the fresh number.
   */
  private accountFor(rr: Rng, p: number, e: number, serviceMs: number, fresh: string): Account {
    const key = p * this.payees.length + e;
    const accounts = this.accounts[key] ?? new Map<string, Account>();
    const recent = this.recentAccounts[key] ?? [];
    const payer = this.payers[p];
    const traits = payer?.profile.realism;
    const counts = this.truth?.realism;
    let account: Account | undefined;
    if (traits !== undefined && rr.chance(traits.reuseSamePayee) && recent.length > 0) {
      const earlier = rr.pick(recent);
      if (!earlier.locked && earlier.lastServiceMs < serviceMs) {
        earlier.uses++;
        earlier.lastServiceMs = serviceMs;
        if (counts) counts.reused_claim_ids_same_payee++;
        return earlier;
      }
    }
    if (traits !== undefined && this.payees.length > 1 && rr.chance(traits.reuseOtherPayee)) {
      const other = (e + rr.int(1, this.payees.length - 1)) % this.payees.length;
      const theirs = this.recentAccounts[p * this.payees.length + other] ?? [];
      const candidate = theirs.length > 0 ? rr.pick(theirs) : undefined;
      if (candidate !== undefined && !accounts.has(candidate.clp01)) {
        account = { clp01: candidate.clp01, lastServiceMs: serviceMs, uses: 1, locked: false };
        if (counts) counts.reused_claim_ids_other_payee++;
      }
    }
    account ??= { clp01: fresh, lastServiceMs: serviceMs, uses: 1, locked: false };
    accounts.set(account.clp01, account);
    recent.push(account);
    if (recent.length > 400) recent.splice(0, recent.length - 400);
    return account;
  }

  private runRemit(p: number, e: number, week: number): RemitModel[] {
    const payer = this.payers[p];
    const payee = this.payees[e];
    if (payer === undefined || payee === undefined) throw new Error(`no payer ${p} or payee ${e}`);
    const profile = payer.profile;
    const traits = profile.realism;
    const realism = this.realism;
    const key = p * this.payees.length + e;
    const pool = this.pools[key] ?? [];
    const rng = new Rng(this.params.seed, 11, p, e, week);
    // Realism decisions: their own stream, so the standard data set never depends on them.
    const rr = new Rng(this.params.seed, 12, p, e, week);
    const factor = this.params.spikes.get(`${p}:${week}`) ?? 1;
    const monday = this.params.firstMonday + week * 7 * DAY_MS;
    const weekday = rng.chance(0.85) ? profile.payWeekday : rng.int(0, 4);
    const payMs = monday + weekday * DAY_MS;
    const paymentDate = isoDate(payMs);
    const weekStart = isoDate(monday);
    const lastWeek = this.params.weeks - 1;
    const parts = realism && rr.chance(traits.split) ? (rr.chance(0.25) ? 3 : 2) : 1;
    const somePart = () => (parts > 1 ? rr.int(0, parts - 1) : 0);
    const claims: { claim: ClaimModel; part: number }[] = [];
    const plb: { pair: PlbPair; part: number }[] = [];
    let seq = 0;
    const icn = () => `${payer.icnPrefix}${pad(week, 5)}${pad(e, 2)}${pad(seq++, 5)}`;

    const truth = this.truth;
    const counts = truth?.realism;
    const record = (
      provider: string,
      cause: TruthCause | null,
      update: (b: Bucket) => void,
      at = weekStart,
    ) => {
      truth?.add({ payerId: payer.id, weekStart: at, provider, cause }, update);
    };
    let takeback = 0;
    const recordPlb = (
      pair: PlbPair,
      provider: string,
      cause: TruthCause | null,
      link: PlbLink,
      part = somePart(),
    ) => {
      plb.push({ pair, part });
      const recovery = RECOVERY_CODES.has(pair.code);
      if (recovery) takeback += pair.amount;
      record(provider, recovery ? cause : null, (b) => {
        b.plbPairs++;
        if (recovery) {
          b.plbRecovery += pair.amount;
          b.plbRecoveryPairs++;
        }
        if (pair.code === '72') b.refunds -= pair.amount;
        else if (pair.code === 'L6') b.interest -= pair.amount;
        else if (pair.code === 'FB') b.outstandingFb -= pair.amount;
      });
      if (recovery && truth !== null) {
        truth.plbEvents.push({
          payerId: payer.id,
          payeeNpi: payee.npi,
          pair,
          claim: link?.claim ?? null,
          rule: link?.rule ?? null,
          cause: cause ?? 'unspecified',
        });
        if (counts && realism && link !== null) {
          const byIcn = link.rule === 'icn' || link.rule === 'composite_icn';
          if (link.composite === true) {
            if (byIcn) counts.plb_references_composite_icn++;
            else counts.plb_references_composite_claim_id++;
          } else if (byIcn) counts.plb_references_icn++;
          else counts.plb_references_claim_id++;
        }
      }
    };
    const recordCorrection = (
      c: ClaimModel,
      provider: string,
      cause: TruthCause,
      reversalWeekStart: string,
      part: number,
    ) => {
      claims.push({ claim: c, part });
      record(provider, null, (b) => {
        b.paid += c.paid;
        b.claims++;
      });
      // Correction repaid belongs to the reversal's takeback: its week, provider and cause.
      record(
        provider,
        cause,
        (b) => {
          b.correctionRepaid += c.paid;
          b.corrections++;
        },
        reversalWeekStart,
      );
      if (counts && realism) {
        if (c.originalReference !== null) counts.corrections_with_f8++;
        if (traits.newIcnOnCorrection) counts.corrections_new_icn++;
        else counts.corrections_same_icn++;
      }
    };
    const take = (): PoolEntry | undefined => {
      if (pool.length === 0) return undefined;
      const i = rng.int(0, pool.length - 1);
      const entry = pool[i];
      const last = pool.pop();
      if (last !== undefined && i < pool.length) pool[i] = last;
      return entry;
    };
    /** How a PLB reference names a claim: ICN or CLP01, alone or followed by a member id. */
    const claimReference = (entry: PoolEntry, byClaimId: boolean): { reference: string; link: PlbLink } => {
      const c = entry.claim;
      // A CLP01 reused by another visit of this payee would name two claims: then the ICN.
      const account = entry.account;
      const claimId = byClaimId && (account === null || account.uses === 1);
      if (claimId && account !== null) account.locked = true;
      const token = claimId ? c.clp01 : c.icn;
      if (realism && rr.chance(traits.composite)) {
        const member = memberId(rr, rr.pick(traits.memberIds));
        return {
          reference: `${token}${traits.delimiter}${member}`,
          link: { claim: c.ref, rule: claimId ? 'claim_id' : 'icn', composite: true },
        };
      }
      return { reference: token, link: { claim: c.ref, rule: claimId ? 'claim_id' : 'icn' } };
    };

    // Corrections announced by last week's reversals, and deferred WO coming due.
    const corrections = this.dueCorrections[key] ?? [];
    for (const due of corrections.filter((d) => d.week === week))
      recordCorrection(due.item, due.provider, due.cause, due.reversalWeekStart, somePart());
    this.dueCorrections[key] = corrections.filter((d) => d.week !== week);

    const count = 1 + rng.poisson(CLAIMS_PER_REMIT * this.params.scale * profile.volume - 1);
    const fresh: PoolEntry[] = [];
    for (let i = 0; i < count; i++) {
      const clp01 = `PC${pad(e, 2)}${pad(p, 2)}${pad(week, 5)}${pad(seq + 1, 5)}`;
      const held: { account: Account | null } = { account: null };
      const claim = this.makeClaim(rng, payer, payee, payMs, icn(), (serviceMs) => {
        if (!realism) return clp01;
        held.account = this.accountFor(rr, p, e, serviceMs, clp01);
        return held.account.clp01;
      });
      claims.push({ claim, part: somePart() });
      const provider = claim.renderingNpi ?? payee.npi;
      record(provider, null, (b) => {
        b.paid += claim.paid;
        b.claims++;
      });
      if (claim.paid > 0) fresh.push({ claim, provider, account: held.account });
    }

    const reverse = (entry: PoolEntry) => {
      const original = entry.claim;
      const reversal = reverseClaim(original);
      const r = rng.next();
      const plan =
        r < profile.correctionSame
          ? 'same'
          : r < profile.correctionSame + profile.correctionNext
            ? 'next'
            : 'none';
      const arrives = plan === 'same' || (plan === 'next' && week < lastWeek);
      const cause: TruthCause = arrives ? rng.weighted(profile.causes) : 'pending';
      const reversalPart = somePart();
      claims.push({ claim: reversal, part: reversalPart });
      takeback += original.paid;
      record(entry.provider, cause, (b) => {
        b.reversalTakeback -= reversal.paid;
        b.reversals++;
        b.claims++;
      });
      let repaid = 0;
      let correction: ClaimModel | null = null;
      if (cause !== 'pending') {
        correction = this.makeCorrection(rng, original, cause, icn(), realism ? traits : null);
        repaid = correction.paid;
        if (plan === 'same') {
          // A payment date split across 835s: the correction mostly lands in another one.
          let part = reversalPart;
          if (parts > 1 && rr.chance(0.75)) part = (reversalPart + rr.int(1, parts - 1)) % parts;
          if (part !== reversalPart && counts) counts.corrections_same_day_other_835++;
          recordCorrection(correction, entry.provider, cause, weekStart, part);
        } else
          this.dueCorrections[key]?.push({
            week: week + 1,
            item: correction,
            cause,
            provider: entry.provider,
            reversalWeekStart: weekStart,
          });
      }
      truth?.reversalEvents.push({
        payerId: payer.id,
        payeeNpi: payee.npi,
        reversal: reversal.ref,
        original: original.ref,
        correction: correction?.ref ?? null,
        rule: correction === null ? null : correctionRule(correction, reversal),
        cause,
        takeback: original.paid,
        repaid,
        double: false,
      });
      let deferred = false;
      if (rng.chance(profile.deferral) && original.paid - repaid > 0) {
        // RFI 227: the recovery is deferred now (WO −x) and taken later (WO +x, same reference).
        deferred = true;
        const x = Math.max(1, Math.floor(((original.paid - repaid) * rng.int(50, 100)) / 100));
        const { reference, link } = claimReference(entry, realism && rr.chance(profile.woByPatientControl));
        recordPlb(
          { provider: payee.npi, code: 'WO', reference, amount: -x },
          entry.provider,
          cause,
          link,
          reversalPart,
        );
        this.dueWo[key]?.push({
          week: week + rng.int(2, 6),
          item: { provider: payee.npi, code: 'WO', reference, amount: x },
          cause,
          provider: entry.provider,
          link,
        });
      }
      // Over-recoupment: weeks later the payer reverses the same original again. Never for a
      // claim a PLB names (which reversal a later PLB meant would be a guess).
      if (realism && !deferred && week + 2 <= lastWeek && rr.chance(traits.doubleReversal)) {
        this.dueDoubles[key]?.push({ week: Math.min(lastWeek, week + rr.int(2, 8)), entry });
      }
    };
    let missing = 0;
    const reversals = rng.poisson(profile.reversal * count * factor);
    for (let i = 0; i < reversals; i++) {
      const entry = take();
      if (entry === undefined) missing++;
      else reverse(entry);
    }

    const doubles = this.dueDoubles[key] ?? [];
    for (const due of doubles.filter((d) => d.week === week)) {
      const original = due.entry.claim;
      const again = reverseClaim(original);
      claims.push({ claim: again, part: somePart() });
      takeback += original.paid;
      record(due.entry.provider, 'pending', (b) => {
        b.reversalTakeback -= again.paid;
        b.reversals++;
        b.claims++;
        b.doubleReversals++;
        b.overRecoupment += original.paid;
      });
      if (counts) counts.double_reversals++;
      truth?.reversalEvents.push({
        payerId: payer.id,
        payeeNpi: payee.npi,
        reversal: again.ref,
        original: original.ref,
        correction: null,
        rule: null,
        cause: 'pending',
        takeback: original.paid,
        repaid: 0,
        double: true,
      });
    }
    this.dueDoubles[key] = doubles.filter((d) => d.week !== week);

    const offsets = rng.poisson(profile.woOffset * count * factor);
    for (let i = 0; i < offsets; i++) {
      const entry = take();
      if (entry === undefined) {
        missing++;
        continue;
      }
      const c = entry.claim;
      const amount = Math.max(1, Math.floor((c.paid * rng.int(25, 100)) / 100));
      const { reference, link } = claimReference(entry, rng.chance(profile.woByPatientControl));
      recordPlb({ provider: payee.npi, code: 'WO', reference, amount }, entry.provider, 'unspecified', link);
    }

    // In a spike, takebacks the pool cannot back become unlinkable recoveries.
    const unlinkable = rng.poisson(profile.unlinkable * count * factor) + (factor > 1 ? missing : 0);
    for (let i = 0; i < unlinkable; i++) {
      const code = rng.chance(0.7) ? 'WO' : 'WU';
      const provider = rng.chance(0.7) ? payee.npi : rng.pick(payee.renderingNpis);
      const amount = rng.int(2500, 60000);
      recordPlb({ provider, code, reference: `RA${rng.digits(10)}`, amount }, provider, 'unspecified', null);
    }

    if (rng.chance(profile.clawback * factor)) {
      // A recovery larger than the week's payments: the transaction must carry a forwarding balance.
      const paidNow = sumPaid(claims.map((c) => c.claim));
      const amount = Math.max(10000, Math.floor((paidNow * rng.int(110, 250)) / 100));
      recordPlb(
        { provider: payee.npi, code: 'WO', reference: `RA${rng.digits(10)}`, amount },
        payee.npi,
        'unspecified',
        null,
      );
    }

    const history = this.history[key] ?? { takeback: 0, remits: 0 };
    if (factor > 1) {
      // A spike: reversals (a recovery sweep) until the remittance takes back `factor` times this
      // payer's usual amount; what the pool cannot back becomes one unlinkable recovery.
      const usual =
        history.remits > 0 ? history.takeback / history.remits : sumPaid(claims.map((c) => c.claim)) / 5;
      const target = Math.round(factor * Math.max(usual, 1000));
      while (takeback < target) {
        const entry = take();
        if (entry === undefined) {
          const amount = target - takeback;
          recordPlb(
            { provider: payee.npi, code: 'WO', reference: `RA${rng.digits(10)}`, amount },
            payee.npi,
            'unspecified',
            null,
          );
          break;
        }
        reverse(entry);
      }
    } else {
      history.takeback += takeback;
      history.remits++;
      this.history[key] = history;
    }

    const refunds = rng.poisson(profile.refundPair * count);
    for (let i = 0; i < refunds; i++) {
      const entry = take();
      if (entry === undefined) break;
      const c = entry.claim;
      const amount = Math.max(1, Math.floor((c.paid * rng.int(30, 100)) / 100));
      const { reference, link } = claimReference(entry, realism && rr.chance(profile.woByPatientControl));
      const part = somePart();
      recordPlb(
        { provider: payee.npi, code: 'WO', reference, amount },
        entry.provider,
        'unspecified',
        link,
        part,
      );
      recordPlb(
        { provider: payee.npi, code: '72', reference, amount: -amount },
        entry.provider,
        'unspecified',
        link,
        part,
      );
    }

    const affiliate = rng.poisson(profile.affiliateOffset * count * factor);
    for (let i = 0; i < affiliate; i++) {
      const amount = rng.int(5000, 40000);
      recordPlb(
        { provider: payee.npi, code: 'OB', reference: `AF${rng.digits(9)}`, amount },
        payee.npi,
        'unspecified',
        null,
      );
    }

    const deferredWo = this.dueWo[key] ?? [];
    for (const due of deferredWo.filter((d) => d.week === week))
      recordPlb(due.item, due.provider, due.cause, due.link);
    this.dueWo[key] = deferredWo.filter((d) => d.week !== week);

    const interest = rng.poisson(profile.interest * count);
    for (let i = 0; i < interest; i++) {
      recordPlb(
        { provider: payee.npi, code: 'L6', reference: null, amount: -rng.int(50, 4000) },
        payee.npi,
        null,
        null,
      );
    }

    // One transaction per part (one unless the payment date is split), each balanced on its own.
    const baseTrace = `${pad(10 + (p % 90), 2)}${pad(week, 5)}${pad(e, 3)}`;
    const balances = this.forwardBalances[key] ?? [];
    const out: RemitModel[] = [];
    for (let part = 0; part < parts; part++) {
      const partClaims = claims.filter((c) => c.part === part).map((c) => c.claim);
      if (partClaims.length === 0 && !plb.some((x) => x.part === part)) continue;
      const trace = part === 0 ? baseTrace : `${baseTrace}${part}`;
      // Forwarding balance: never let BPR02 go negative; carry the debt and apply it later.
      let amount = sumPaid(partClaims);
      for (const x of plb) if (x.part === part) amount -= x.pair.amount;
      while (amount > 0 && balances.length > 0) {
        const owed = balances[0];
        if (owed === undefined) break;
        const applied = Math.min(owed.amount, amount);
        recordPlb(
          { provider: payee.npi, code: 'FB', reference: owed.reference, amount: applied },
          payee.npi,
          null,
          null,
          part,
        );
        amount -= applied;
        owed.amount -= applied;
        if (owed.amount === 0) balances.shift();
      }
      if (amount < 0) {
        const reference = `FB${trace}`;
        recordPlb({ provider: payee.npi, code: 'FB', reference, amount }, payee.npi, null, null, part);
        balances.push({ reference, amount: -amount });
        amount = 0;
      }
      // PLB pairs in the order they are written (grouped by PLB01), so a pair's place is its index.
      const byProvider = new Map<string, PlbPair[]>();
      for (const x of plb) {
        if (x.part !== part) continue;
        const list = byProvider.get(x.pair.provider);
        if (list === undefined) byProvider.set(x.pair.provider, [x.pair]);
        else list.push(x.pair);
      }
      const partPlb = [...byProvider.values()].flat();
      partClaims.forEach((c, i) => {
        c.ref.trace = trace;
        c.ref.index = i + 1;
        c.ref.paymentDate = paymentDate;
      });
      partPlb.forEach((pair, i) => {
        pair.ref = { trace, index: i + 1, paymentDate };
      });
      truth?.addTransaction(payer.id, weekStart);
      const productionMs = payMs - (part === 0 ? rng.int(1, 3) : rr.int(0, 3)) * DAY_MS;
      out.push({
        payer,
        payee,
        week,
        part,
        paymentDate,
        productionDate: isoDate(productionMs),
        trace,
        method: part === 0 ? (rng.chance(0.8) ? 'ACH' : 'CHK') : rr.chance(0.8) ? 'ACH' : 'CHK',
        claims: partClaims,
        plb: partPlb,
        amount,
      });
    }
    this.forwardBalances[key] = balances;
    if (out.length > 1 && counts) {
      counts.split_payment_dates++;
      counts.split_transactions += out.length;
    }

    for (const entry of fresh) pool.push(entry);
    while (pool.length > (this.params.poolLimit ?? POOL_LIMIT)) {
      const i = rng.int(0, pool.length - 1);
      const last = pool.pop();
      if (last !== undefined && i < pool.length) pool[i] = last;
    }
    this.pools[key] = pool;
    return out;
  }

  /** An original claim, balanced at line and claim level (DOMAIN.md §3). */
  private makeClaim(
    rng: Rng,
    payer: Payer,
    payee: Payee,
    payMs: number,
    icn: string,
    clp01For: (serviceMs: number) => string,
  ): ClaimModel {
    const profile = payer.profile;
    const status = rng.chance(profile.secondary) ? '2' : rng.chance(0.04) ? '19' : '1';
    const npis = payee.renderingNpis;
    const rendering = rng.chance(profile.renderingOmitted)
      ? null
      : (npis[Math.floor(npis.length * rng.next() ** 1.6)] ?? null);
    const serviceMs = payMs - rng.int(14, 75) * DAY_MS;
    const serviceDate = x12Date(serviceMs);
    const clp01 = clp01For(serviceMs);
    const lineCount = rng.chance(profile.noLines)
      ? 0
      : rng.weighted([
          [1, 5],
          [2, 3],
          [3, 2],
          [4, 1],
        ] as const);
    const lines: ServiceLine[] = [];
    const claimCas: Cas[] = [];
    let charge = 0;
    let linePaid = 0;
    let patientResp = 0;
    const adjudicate = (cas: Cas[], code: string): [Cents, Cents] => {
      const [, fee, units] = rng.pick(PROCEDURES);
      let lineCharge = Math.floor((fee * units * rng.int(90, 130)) / 100);
      if (rng.chance(0.5)) lineCharge -= lineCharge % 100;
      const allowed = Math.floor((lineCharge * rng.int(profile.allowed[0], profile.allowed[1])) / 1000);
      if (lineCharge > allowed) cas.push({ group: 'CO', reason: '45', amount: lineCharge - allowed });
      let left = allowed;
      if (rng.chance(0.12)) {
        const d = Math.min(left, rng.int(20, 150) * 100);
        if (d > 0) cas.push({ group: 'PR', reason: '1', amount: d });
        left -= d;
      }
      if (rng.chance(0.35)) {
        const c = Math.floor(left / 5);
        if (c > 0) cas.push({ group: 'PR', reason: '2', amount: c });
        left -= c;
      } else if (code.startsWith('99') && rng.chance(0.4)) {
        const c = Math.min(left, rng.pick([1500, 2000, 2500, 4000]));
        if (c > 0) cas.push({ group: 'PR', reason: '3', amount: c });
        left -= c;
      }
      for (const c of cas) if (c.group === 'PR') patientResp += c.amount;
      if (rng.chance(0.03) && left > 0) {
        cas.push({ group: 'CO', reason: '97', amount: left });
        left = 0;
      }
      return [lineCharge, left];
    };
    if (lineCount === 0) {
      const [c, paid] = adjudicate(claimCas, '');
      charge = c;
      linePaid = paid;
    }
    for (let i = 0; i < lineCount; i++) {
      const [code, , units] = rng.pick(PROCEDURES);
      const cas: Cas[] = [];
      const [c, paid] = adjudicate(cas, code);
      charge += c;
      linePaid += paid;
      lines.push({
        code,
        charge: c,
        paid,
        units,
        date: serviceDate,
        control: `${icn.slice(-8)}${i + 1}`,
        cas,
        remarks: [],
      });
    }
    let paid = linePaid;
    if (status === '2' && paid > 0) {
      const prior = Math.floor((paid * rng.int(30, 80)) / 100);
      if (prior > 0) addCas(claimCas, 'OA', '23', prior);
      paid -= prior;
    }
    if (profile.sequestration && paid > 0) {
      const seq = Math.floor((paid * 2) / 100);
      if (seq > 0) addCas(claimCas, 'CO', '253', seq);
      paid -= seq;
    }
    return {
      clp01,
      status,
      charge,
      paid,
      patientResp,
      filing: rng.weighted(profile.filing),
      icn,
      frequency: '1',
      renderingNpi: rendering,
      from: serviceDate,
      to: serviceDate,
      claimCas,
      lines,
      remarks: [],
      originalReference: null,
      ref: unplaced(),
    };
  }

  /**
   * The corrected claim: same CLP01 and service dates, CLP09 7, a new ICN, and one more CAS with
   * the cause's CARC (or, for contract_rate, a larger CO 45) that lowers the payment. Realism high:
   * the payer's habits decide REF*F8 (the original's ICN), whether the ICN changes, and CLP09.
   */
  private makeCorrection(
    rng: Rng,
    original: ClaimModel,
    cause: Exclude<TruthCause, 'unspecified' | 'pending'>,
    icn: string,
    traits: RealismTraits | null,
  ): ClaimModel {
    const c = copyClaim(original);
    c.icn = icn;
    c.frequency = '7';
    if (traits !== null) {
      if (!traits.newIcnOnCorrection) c.icn = original.icn;
      if (traits.sendsF8) c.originalReference = original.icn;
      c.frequency = traits.correctionFrequency;
    }
    const spec = CAUSE_CARCS[cause];
    let group = spec.group;
    let reason = rng.pick(spec.reasons);
    const n432 = cause === 'audit' && rng.chance(0.5);
    if (n432) {
      // The remark alone makes it an audit; the CARC (129, prior processing incorrect) names no cause.
      group = 'PI';
      reason = '129';
    }
    const full = rng.chance(spec.full);
    let cut = full ? c.paid : Math.max(1, Math.floor((c.paid * rng.int(20, 70)) / 100));
    c.paid -= cut;
    if (c.lines.length === 0) {
      addCas(c.claimCas, group, reason, cut);
      if (n432) c.remarks.push('N432');
      return c;
    }
    const order = [...c.lines].sort((a, b) => b.paid - a.paid);
    let remarked = false;
    for (const line of order) {
      if (cut === 0) break;
      const r = Math.min(line.paid, cut);
      if (r <= 0) continue;
      line.paid -= r;
      cut -= r;
      addCas(line.cas, group, reason, r);
      if (n432 && !remarked) {
        if (rng.chance(0.5)) line.remarks.push('N432');
        else c.remarks.push('N432');
        remarked = true;
      }
    }
    if (cut !== 0) throw new Error(`correction of ${original.clp01} could not place ${cut} cents`);
    return c;
  }
}
