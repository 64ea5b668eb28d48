import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCommand } from '../functions/cli/commands/generate.ts';
import {
  DEFAULTS,
  type GeneratedFile,
  type GenerateOptions,
  generateDataset,
  type Truth,
  writeDataset,
  writeLargeFile,
} from '../functions/generate/index.ts';
import { jsonChunks } from '../functions/generate/jsonChunks.ts';

// An independent reader of the generated text: it shares no code with the generator, so a
// generator bug cannot hide behind the same bug in the checker.

/** Integer cents of an X12 amount ("12", "-3.5", "10.25"). */
function cents(text: string | undefined): number {
  if (text === undefined || !/^-?\d+(\.\d{1,2})?$/.test(text)) throw new Error(`not an amount: ${text}`);
  const negative = text.startsWith('-');
  const [whole = '0', fraction = ''] = text.replace('-', '').split('.');
  const value = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  return negative ? -value : value;
}

function money(c: number): string {
  const abs = Math.abs(c);
  return `${c < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

function luhnNpi(npi: string): boolean {
  if (!/^\d{10}$/.test(npi)) return false;
  const digits = `80840${npi}`;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

interface ParsedClaim {
  clp01: string;
  status: string;
  charge: number;
  paid: number;
  icn: string;
  frequency: string;
  rendering: string | null;
  /** REF*F8 */
  f8: string | null;
  /** DTM*232 */
  from: string;
  /** 1-based place among the transaction's CLPs. */
  index: number;
  cas: { reason: string; amount: number }[];
  remarks: string[];
}

interface ParsedPlb {
  provider: string;
  code: string;
  reference: string | null;
  amount: number;
  /** 1-based place among the transaction's PLB pairs. */
  index: number;
}

interface ParsedRemit {
  payerId: string;
  payeeNpi: string;
  trace: string;
  amount: number;
  paymentDate: string;
  claims: ParsedClaim[];
  plb: ParsedPlb[];
}

/** Splits a file into interchanges, checks envelopes and balancing, returns its transactions. */
function readFile(raw: string, problems: string[], name: string): ParsedRemit[] {
  const text = raw.startsWith('\uFEFF') ? raw.slice(1) : raw;
  const remits: ParsedRemit[] = [];
  let at = text.indexOf('ISA');
  while (at >= 0) {
    const element = text[at + 3] ?? '';
    let pos = at;
    for (let n = 0; n < 16; n++) pos = text.indexOf(element, pos + 1);
    const component = text[pos + 1] ?? '';
    const terminator = text[pos + 2] ?? '';
    const end = text.indexOf(`IEA${element}`, at);
    const stop = text.indexOf(terminator, end);
    const segments = text
      .slice(at, stop)
      .split(terminator)
      .map((s) => s.replace(/^[\r\n]+/, ''))
      .filter((s) => s.length > 0)
      .map((s) => s.split(element));
    remits.push(...readInterchange(segments, component, problems, name));
    at = text.indexOf('ISA', stop);
  }
  return remits;
}

function readInterchange(
  segments: string[][],
  component: string,
  problems: string[],
  name: string,
): ParsedRemit[] {
  const out: ParsedRemit[] = [];
  let groups = 0;
  let sets = 0;
  let stIndex = 0;
  let remit: ParsedRemit | null = null;
  let claim: (ParsedClaim & { casSum: number }) | null = null;
  let line: { charge: number; paid: number; casSum: number } | null = null;
  const closeLine = () => {
    if (line !== null && line.charge - line.casSum !== line.paid) problems.push(`${name}: SVC unbalanced`);
    line = null;
  };
  const closeClaim = () => {
    closeLine();
    if (claim !== null && claim.charge - claim.casSum !== claim.paid)
      problems.push(`${name}: CLP ${claim.clp01} unbalanced`);
    claim = null;
  };
  segments.forEach((el, i) => {
    const id = el[0];
    const e = (n: number) => el[n] ?? '';
    switch (id) {
      case 'GS':
        groups++;
        sets = 0;
        break;
      case 'GE':
        if (Number(e(1)) !== sets) problems.push(`${name}: GE01 ${e(1)} != ${sets}`);
        break;
      case 'IEA':
        if (Number(e(1)) !== groups) problems.push(`${name}: IEA01 ${e(1)} != ${groups}`);
        break;
      case 'ST':
        sets++;
        stIndex = i;
        remit = { payerId: '', payeeNpi: '', trace: '', amount: 0, paymentDate: '', claims: [], plb: [] };
        break;
      case 'BPR':
        if (remit) {
          remit.amount = cents(e(2));
          remit.paymentDate = e(16);
        }
        break;
      case 'TRN':
        if (remit) remit.trace = e(2);
        break;
      case 'REF':
        if (remit && e(1) === '2U') remit.payerId = e(2);
        if (claim && line === null && e(1) === 'F8') claim.f8 = e(2);
        break;
      case 'DTM':
        if (claim && line === null && e(1) === '232') claim.from = e(2);
        break;
      case 'N1':
        if (remit && e(1) === 'PE') remit.payeeNpi = e(4);
        break;
      case 'CLP':
        closeClaim();
        claim = {
          clp01: e(1),
          status: e(2),
          charge: cents(e(3)),
          paid: cents(e(4)),
          icn: e(7),
          frequency: e(9),
          rendering: null,
          f8: null,
          from: '',
          index: (remit?.claims.length ?? 0) + 1,
          cas: [],
          remarks: [],
          casSum: 0,
        };
        remit?.claims.push(claim);
        break;
      case 'NM1':
        if (claim && e(1) === '82') claim.rendering = e(9);
        break;
      case 'MOA':
        if (claim) for (let n = 3; n <= 7; n++) if (e(n)) claim.remarks.push(e(n));
        break;
      case 'LQ':
        if (claim) claim.remarks.push(e(2));
        break;
      case 'SVC':
        closeLine();
        if (!e(1).includes(component)) problems.push(`${name}: SVC01 without component separator`);
        line = { charge: cents(e(2)), paid: cents(e(3)), casSum: 0 };
        break;
      case 'CAS':
        for (let n = 2; n < el.length; n += 3) {
          if (!e(n)) continue;
          const amount = cents(e(n + 1));
          if (claim === null) break;
          claim.casSum += amount;
          claim.cas.push({ reason: e(n), amount });
          if (line !== null) (line as { casSum: number }).casSum += amount;
        }
        break;
      case 'PLB':
        closeClaim();
        if ((el.length - 3) / 2 > 6) problems.push(`${name}: more than 6 PLB pairs`);
        for (let n = 3; n < el.length; n += 2) {
          const [code = '', reference] = e(n).split(component);
          remit?.plb.push({
            provider: e(1),
            code,
            reference: reference ?? null,
            amount: cents(e(n + 1)),
            index: (remit?.plb.length ?? 0) + 1,
          });
        }
        break;
      case 'SE': {
        closeClaim();
        if (Number(e(1)) !== i - stIndex + 1) problems.push(`${name}: SE01 ${e(1)} != ${i - stIndex + 1}`);
        if (remit) {
          let total = 0;
          for (const c of remit.claims) total += c.paid;
          for (const p of remit.plb) total -= p.amount;
          if (total !== remit.amount) problems.push(`${name}: BPR02 ${remit.amount} != ${total}`);
          if (remit.amount < 0) problems.push(`${name}: negative BPR02`);
          out.push(remit);
        }
        remit = null;
        break;
      }
    }
  });
  return out;
}

const CAUSES: Record<string, string> = {};
for (const [cause, codes] of Object.entries({
  duplicate: '18 B13',
  coding: '4 5 6 7 8 9 10 11 97 125 146 181 182 189 234 236',
  eligibility: '26 27 31 32 33 140 177 200',
  documentation: '16 226 227 251 252',
  coordination_of_benefits: '22 23 109',
  prior_authorization: '15 39 197 198 243',
  non_covered: '96 204 49 50 55 56 119 149 167',
  audit: '150 151 133',
  incorrect_payee: '100 B7 185 170 171 206 207 208 B20',
  contract_rate: '45 59 94 104 131 24 253 256',
}))
  for (const code of codes.split(' ')) CAUSES[code] = cause;

interface Sums {
  paid: number;
  reversal: number;
  plb: number;
  repaid: number;
  refunds: number;
  interest: number;
  fb: number;
  claims: number;
  doubles: number;
  over: number;
}
const zero = (): Sums => ({
  paid: 0,
  reversal: 0,
  plb: 0,
  repaid: 0,
  refunds: 0,
  interest: 0,
  fb: 0,
  claims: 0,
  doubles: 0,
  over: 0,
});

/** A claim where it is in the files. */
interface Located {
  r: ParsedRemit;
  c: ParsedClaim;
}

/** Where `other` is relative to `at`: the same 835 orders by position, other 835s by BPR16. */
function relation(at: Located, other: Located): 'before' | 'after' | 'same_day' {
  if (at.r === other.r) return other.c.index < at.c.index ? 'before' : 'after';
  if (other.r.paymentDate < at.r.paymentDate) return 'before';
  if (other.r.paymentDate > at.r.paymentDate) return 'after';
  return 'same_day';
}

const place = (l: Located) => ({ trace: l.r.trace, claim: l.c.index, payment_date: isoOf(l.r.paymentDate) });
const isoOf = (d: string) => `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`;

/** The cause of a reversal from its correction (DOMAIN.md §7): the CARC whose amount grew most; N432 = audit. */
function causeOf(reversal: ParsedClaim, correction: ParsedClaim): string {
  const change = new Map<string, number>();
  for (const a of [...correction.cas, ...reversal.cas])
    change.set(a.reason, (change.get(a.reason) ?? 0) + a.amount);
  let best = 0;
  let cause = 'other';
  for (const [reason, amount] of change) {
    const mapped = CAUSES[reason];
    if (mapped !== undefined && amount > best) {
      best = amount;
      cause = mapped;
    }
  }
  return correction.remarks.includes('N432') ? 'audit' : cause;
}

const CORRECTION_RULES = ['original_reference', 'payer_claim_control', 'claim_id_service_dates'] as const;

/**
 * Links reversals and PLB recoveries by DESIGN.md's rules, from the files alone. Reversal →
 * original: same payer and ICN, earlier (or the same day), the amounts negated. Reversal →
 * correction: a later (or same-day) paid claim that names it by REF*F8, else the same ICN, else
 * the same payee, CLP01 and service date; one correction per reversal, reversals in time order.
 * PLB → claim: the reference's first token (split at space, "-", "/") is an ICN, else a CLP01 of
 * the payee.
 */
function link(remits: ParsedRemit[]) {
  const ordered = [...remits].sort((a, b) => a.paymentDate.localeCompare(b.paymentDate));
  const all: Located[] = ordered.flatMap((r) => r.claims.map((c) => ({ r, c })));
  const paidByPayer = new Map<string, Located[]>();
  for (const l of all) {
    if (l.c.status === '22') continue;
    const list = paidByPayer.get(l.r.payerId) ?? [];
    list.push(l);
    paidByPayer.set(l.r.payerId, list);
  }
  const used = new Set<ParsedClaim>();
  const reversals: {
    at: Located;
    original: Located | null;
    correction: Located | null;
    rule: string | null;
    cause: string;
    double: boolean;
  }[] = [];
  const reversalsOf = new Map<ParsedClaim, number>();
  const reversalOfOriginal = new Map<ParsedClaim, (typeof reversals)[number]>();
  for (const at of all) {
    if (at.c.status !== '22') continue;
    const paid = paidByPayer.get(at.r.payerId) ?? [];
    const originals = paid.filter(
      (o) =>
        o.c.icn === at.c.icn &&
        o.c.paid === -at.c.paid &&
        o.c.charge === -at.c.charge &&
        relation(at, o) !== 'after',
    );
    const original = originals[originals.length - 1] ?? null;
    let best: { l: Located; rank: number; gap: number } | null = null;
    for (const n of paid) {
      if (n === original || used.has(n.c) || relation(at, n) === 'before') continue;
      const rank =
        n.c.f8 !== null && n.c.f8 === at.c.icn
          ? 0
          : n.c.icn === at.c.icn
            ? 1
            : n.r.payeeNpi === at.r.payeeNpi && n.c.clp01 === at.c.clp01 && n.c.from === at.c.from
              ? 2
              : -1;
      if (rank < 0) continue;
      const gap = Math.abs(Number(n.r.paymentDate) - Number(at.r.paymentDate)) + (n.r === at.r ? 0 : 0.5);
      if (best === null || rank < best.rank || (rank === best.rank && gap < best.gap))
        best = { l: n, rank, gap };
    }
    if (best !== null) used.add(best.l.c);
    const times = original === null ? 0 : (reversalsOf.get(original.c) ?? 0);
    if (original !== null) reversalsOf.set(original.c, times + 1);
    const row = {
      at,
      original,
      correction: best?.l ?? null,
      rule: best === null ? null : (CORRECTION_RULES[best.rank] ?? null),
      cause: best === null ? 'pending' : causeOf(at.c, best.l.c),
      double: times > 0,
    };
    reversals.push(row);
    if (original !== null && !reversalOfOriginal.has(original.c)) reversalOfOriginal.set(original.c, row);
  }
  const plb: {
    r: ParsedRemit;
    p: ParsedPlb;
    claim: Located | null;
    rule: string | null;
    /** Written with a member id after the claim's token. */
    composite: boolean;
    cause: string;
  }[] = [];
  for (const r of ordered) {
    for (const p of r.plb) {
      if (!['WO', 'WU', 'OB', '72'].includes(p.code)) continue;
      const tokens = (p.reference ?? '').split(/[ /-]/).filter((t) => t.length > 0);
      const composite = tokens.length > 1;
      const first = tokens[0] ?? '';
      const paid = paidByPayer.get(r.payerId) ?? [];
      let claim = paid.find((l) => l.c.icn === first) ?? null;
      // The reader drops a member id after the claim's token: the lake links by the token alone.
      let rule: string | null = claim === null ? null : 'icn';
      if (claim === null) {
        const visits = paid.filter((l) => l.c.clp01 === first && l.r.payeeNpi === r.payeeNpi);
        // A CLP01 reference is only fair when the account number is one visit of this payee.
        if (new Set(visits.map((l) => l.c.from)).size > 1)
          throw new Error(`ambiguous PLB reference ${first}`);
        claim = visits[0] ?? null;
        if (claim !== null) rule = 'claim_id';
      }
      const reversal = claim === null ? undefined : reversalOfOriginal.get(claim.c);
      plb.push({ r, p, claim, rule, composite, cause: reversal?.cause ?? 'unspecified' });
    }
  }
  return { reversals, plb };
}

/** Recomputes the DESIGN.md metrics from the files alone, counting each remittance once. */
function recompute(files: GeneratedFile[], dedupe = true) {
  const problems: string[] = [];
  const seen = new Set<string>();
  const remits: ParsedRemit[] = [];
  for (const f of files) {
    for (const r of readFile(f.text, problems, f.name)) {
      const key = [r.payerId, r.payeeNpi, r.trace, r.amount, r.paymentDate].join('|');
      if (dedupe && seen.has(key)) continue;
      seen.add(key);
      remits.push(r);
    }
  }
  const links = link(remits);
  const byPayer = new Map<string, Sums>();
  const byProvider = new Map<string, Sums>();
  const byPayerCause = new Map<string, Sums>();
  const get = (m: Map<string, Sums>, k: string) => {
    let s = m.get(k);
    if (s === undefined) {
      s = zero();
      m.set(k, s);
    }
    return s;
  };
  const provider = (l: Located) => l.c.rendering ?? l.r.payeeNpi;
  for (const r of remits) {
    for (const c of r.claims) {
      const targets = [get(byPayer, r.payerId), get(byProvider, c.rendering ?? r.payeeNpi)];
      for (const s of targets) {
        s.claims++;
        if (c.status !== '22') s.paid += c.paid;
      }
    }
    for (const p of r.plb) {
      if (p.code === '72' || p.code === 'L6' || p.code === 'FB') {
        const s = get(byPayer, r.payerId);
        if (p.code === '72') s.refunds -= p.amount;
        if (p.code === 'L6') s.interest -= p.amount;
        if (p.code === 'FB') s.fb -= p.amount;
      }
    }
  }
  for (const x of links.reversals) {
    const targets = [
      get(byPayer, x.at.r.payerId),
      get(byProvider, provider(x.at)),
      get(byPayerCause, `${x.at.r.payerId}|${x.cause}`),
    ];
    for (const s of targets) {
      s.reversal -= x.at.c.paid;
      if (x.correction !== null) s.repaid += x.correction.c.paid;
      if (x.double) {
        s.doubles++;
        s.over -= x.at.c.paid;
      }
    }
  }
  for (const x of links.plb) {
    const targets = [
      get(byPayer, x.r.payerId),
      get(byProvider, x.claim === null ? x.p.provider : provider(x.claim)),
      get(byPayerCause, `${x.r.payerId}|${x.cause}`),
    ];
    for (const s of targets) s.plb += x.p.amount;
  }
  return { problems, remits, links, byPayer, byProvider, byPayerCause };
}

function generate(options: GenerateOptions): { files: GeneratedFile[]; truth: Truth } {
  const files: GeneratedFile[] = [];
  const truth = generateDataset(options, (f) => files.push(f));
  return { files, truth };
}

/** The files, read and linked independently, give truth's numbers by payer, provider and cause. */
function expectTruthReproduced(data: { files: GeneratedFile[]; truth: Truth }): void {
  const { byPayer, byProvider, byPayerCause } = recompute(data.files);
  for (const row of data.truth.by_payer) {
    const s = byPayer.get(row.payer_id) ?? zero();
    expect({
      payer_id: row.payer_id,
      paid: money(s.paid),
      reversal_takeback: money(s.reversal),
      plb_recovery: money(s.plb),
      correction_repaid: money(s.repaid),
      refunds: money(s.refunds),
      interest: money(s.interest),
      outstanding_fb: money(s.fb),
      claims: s.claims,
      double_reversals: s.doubles,
      over_recoupment: money(s.over),
    }).toEqual({
      payer_id: row.payer_id,
      paid: row.paid,
      reversal_takeback: row.reversal_takeback,
      plb_recovery: row.plb_recovery,
      correction_repaid: row.correction_repaid,
      refunds: row.refunds,
      interest: row.interest,
      outstanding_fb: row.outstanding_fb,
      claims: row.claims,
      double_reversals: row.double_reversals,
      over_recoupment: row.over_recoupment,
    });
  }
  for (const row of data.truth.by_provider) {
    const s = byProvider.get(row.provider_npi) ?? zero();
    expect([row.provider_npi, money(s.paid), money(s.reversal), money(s.plb), money(s.repaid)]).toEqual([
      row.provider_npi,
      row.paid,
      row.reversal_takeback,
      row.plb_recovery,
      row.correction_repaid,
    ]);
  }
  const causes = new Set(data.truth.by_payer_cause.map((r) => `${r.payer_id}|${r.cause}`));
  for (const key of byPayerCause.keys()) expect(causes, key).toContain(key);
  for (const row of data.truth.by_payer_cause) {
    const s = byPayerCause.get(`${row.payer_id}|${row.cause}`) ?? zero();
    expect([row.payer_id, row.cause, money(s.reversal), money(s.plb), money(s.repaid)]).toEqual([
      row.payer_id,
      row.cause,
      row.reversal_takeback,
      row.plb_recovery,
      row.correction_repaid,
    ]);
  }
}

/** The event log of truth.json is what the independent linker finds in the files, link by link. */
function expectLinksReproduced(data: { files: GeneratedFile[]; truth: Truth }): void {
  const { links } = recompute(data.files);
  const reversals = links.reversals.map((x) => ({
    payer_id: x.at.r.payerId,
    payee_npi: x.at.r.payeeNpi,
    reversal: place(x.at),
    original: x.original === null ? null : place(x.original),
    correction: x.correction === null ? null : place(x.correction),
    link_rule: x.rule,
    cause: x.cause,
    takeback: money(-x.at.c.paid),
    correction_repaid: money(x.correction?.c.paid ?? 0),
    double_reversal: x.double,
  }));
  const key = (r: { reversal: { trace: string; claim: number } }) =>
    `${r.reversal.trace}|${r.reversal.claim}`;
  const sortBy = <T>(list: T[], k: (t: T) => string) => [...list].sort((a, b) => k(a).localeCompare(k(b)));
  expect(sortBy(reversals, key)).toEqual(sortBy(data.truth.links.reversals, key));
  const plb = links.plb.map((x) => ({
    payer_id: x.r.payerId,
    payee_npi: x.r.payeeNpi,
    plb: { trace: x.r.trace, pair: x.p.index, payment_date: isoOf(x.r.paymentDate) },
    reason_code: x.p.code,
    amount: money(x.p.amount),
    claim: x.claim === null ? null : place(x.claim),
    link_rule: x.rule,
    cause: x.cause,
  }));
  const plbKey = (r: { payer_id: string; plb: { trace: string; pair: number } }) =>
    `${r.payer_id}|${r.plb.trace}|${r.plb.pair}`;
  expect(sortBy(plb, plbKey)).toEqual(sortBy(data.truth.links.plb, plbKey));
}

const base = generate({ seed: 11 });

describe('synthetic 835 generator', () => {
  const temp: string[] = [];
  afterAll(() => {
    for (const dir of temp) rmSync(dir, { recursive: true, force: true });
  });

  it('is deterministic for a seed', () => {
    // Prepare / Act
    const again = generate({ seed: 11 });
    const other = generate({ seed: 12, weeks: 4 });
    // Assess
    expect(again.files.map((f) => f.name)).toEqual(base.files.map((f) => f.name));
    expect(again.files.map((f) => f.text)).toEqual(base.files.map((f) => f.text));
    expect(again.truth).toEqual(base.truth);
    expect(other.files[0]?.text).not.toEqual(base.files[0]?.text);
  });

  it('writes a few thousand claims at scale 1, over the default 52 weeks and 5 payers', () => {
    expect(base.truth.params.weeks).toBe(52);
    expect(base.truth.by_payer).toHaveLength(5);
    expect(base.truth.counts.claims).toBeGreaterThan(2000);
    expect(base.truth.counts.claims).toBeLessThan(6000);
    expect(new Date(`${base.truth.params.last_week}T00:00:00Z`).getUTCDay()).toBe(1);
  });

  it('balances every claim, line and transaction, with correct envelope counts', () => {
    const { problems, remits } = recompute(base.files);
    expect(problems).toEqual([]);
    expect(remits).toHaveLength(base.truth.counts.transactions);
  });

  it('mixes delimiters, terminators, envelopes and BOMs', () => {
    const starts = new Set(base.files.map((f) => f.text.replace('\uFEFF', '').slice(0, 4)));
    expect(starts).toEqual(new Set(['ISA*', 'ISA|']));
    expect(base.files.some((f) => f.text.startsWith('\uFEFF'))).toBe(true);
    expect(base.files.some((f) => f.text.includes('~\r\n'))).toBe(true);
    expect(base.files.some((f) => !f.text.includes('~'))).toBe(true);
    expect(base.files.some((f) => f.text.split('ISA').length > 2)).toBe(true);
    expect(base.files.some((f) => (f.text.match(/ST[*|]835/g) ?? []).length > 1)).toBe(true);
  });

  it('uses valid NPIs everywhere', () => {
    expect(luhnNpi('1234567893')).toBe(true);
    const npis = new Set<string>();
    for (const f of base.files) for (const m of f.text.matchAll(/[*|]XX[*|](\d+)/g)) if (m[1]) npis.add(m[1]);
    for (const p of base.truth.payees) npis.add(p.payee_npi);
    expect(npis.size).toBeGreaterThan(20);
    expect([...npis].filter((n) => !luhnNpi(n))).toEqual([]);
  });

  it('never writes patient names beyond the fixed dummy', () => {
    for (const f of base.files) {
      for (const m of f.text.matchAll(/NM1[*|]QC[*|][^~\n]*/g)) expect(m[0]).toMatch(/^NM1.QC.1.DOE.J$/);
    }
  });

  it('has truth that the files reproduce to the cent, by payer, provider and cause', () => {
    expectTruthReproduced(base);
  });

  it('has an event log that an independent linker reproduces, link by link', () => {
    expectLinksReproduced(base);
  });

  it('covers every kind of takeback the warehouse tells apart', () => {
    const t = base.truth;
    const causes = new Set(t.by_cause.map((c) => c.cause));
    for (const c of [
      'audit',
      'coding',
      'duplicate',
      'eligibility',
      'contract_rate',
      'pending',
      'unspecified',
    ])
      expect(causes).toContain(c);
    const text = base.files.map((f) => f.text).join('');
    expect(text).toMatch(/[*|]22[*|]-/); // reversal with negated charge
    expect(text).toMatch(/FB[:>^]\w+[*|]-/); // forwarding balance carried
    expect(text).toMatch(/72[:>^]\w+[*|]-/); // refund acknowledged
    expect(text).toMatch(/WO[:>^]\w+[*|]-/); // deferred recovery
    expect(text).toMatch(/L6[*|]-/); // interest
    expect(text).toMatch(/N432/);
    expect(t.totals.reversals).toBeGreaterThan(50);
    expect(t.totals.corrections).toBeLessThan(t.totals.reversals);
  });

  it('keeps truth internally consistent across slices', () => {
    const t = base.truth;
    const sum = (rows: Record<string, unknown>[], field: string) =>
      money(rows.reduce((n, r) => n + cents(r[field] as string), 0));
    const count = (rows: Record<string, unknown>[], field: string) =>
      rows.reduce((n, r) => n + (r[field] as number), 0);
    const all = [
      'paid',
      'reversal_takeback',
      'plb_recovery',
      'takeback',
      'correction_repaid',
      'net_takeback',
    ];
    const money6 = [...all, 'refunds', 'interest', 'outstanding_fb'];
    for (const rows of [t.by_payer, t.by_provider, t.by_payer_week] as unknown as Record<
      string,
      unknown
    >[][]) {
      for (const f of money6) expect(sum(rows, f)).toBe(t.totals[f as keyof typeof t.totals]);
      for (const f of ['claims', 'reversals', 'corrections', 'plb_pairs'])
        expect(count(rows, f)).toBe(t.totals[f as keyof typeof t.totals]);
    }
    for (const rows of [t.by_cause, t.by_payer_cause] as unknown as Record<string, unknown>[][]) {
      for (const f of all.slice(1)) expect(sum(rows, f)).toBe(t.totals[f as keyof typeof t.totals]);
    }
    for (const p of t.by_payer) {
      const rows = t.by_payer_cause.filter((r) => r.payer_id === p.payer_id) as unknown as Record<
        string,
        unknown
      >[];
      expect(sum(rows, 'takeback')).toBe(p.takeback);
      expect(sum(rows, 'net_takeback')).toBe(p.net_takeback);
    }
    for (const r of [t.totals, ...t.by_payer, ...t.by_provider, ...t.by_payer_week]) {
      expect(money(cents(r.reversal_takeback) + cents(r.plb_recovery))).toBe(r.takeback);
      expect(money(cents(r.takeback) - cents(r.correction_repaid))).toBe(r.net_takeback);
    }
    expect(t.by_payer_week).toHaveLength(52 * 5);
    expect(t.counts.transactions).toBe(52 * 5 * t.payees.length);
  });

  it('raises the spiked payer-week takeback well above its usual level', () => {
    const spiked = generate({ seed: 11, spikes: [{ payer: 0, week: 30 }] });
    const payer = spiked.truth.payers[0]?.payer_id;
    const week = spiked.truth.by_payer_week.filter((r) => r.payer_id === payer);
    const at = cents(week[30]?.takeback);
    const before = cents(base.truth.by_payer_week.filter((r) => r.payer_id === payer)[30]?.takeback);
    const others = week
      .filter((_, i) => i !== 30)
      .map((r) => cents(r.takeback))
      .sort((a, b) => a - b);
    const median = others[Math.floor(others.length / 2)] ?? 0;
    expect(spiked.truth.params.spikes).toEqual([
      { payer_id: payer, week_start: week[30]?.week_start, factor: DEFAULTS.spikeFactor },
    ]);
    expect(at).toBeGreaterThan(2.5 * before);
    expect(at).toBeGreaterThan(4 * median);
    expect(at).toBeGreaterThan(others[others.length - 1] ?? 0);
    // Other payers' weeks before the spike are untouched.
    expect(spiked.truth.by_payer_week.slice(52, 52 + 30)).toEqual(
      base.truth.by_payer_week.slice(52, 52 + 30),
    );
  });

  it('re-delivers some files without changing truth', () => {
    const plain = generate({ seed: 11, duplicates: false });
    const t = base.truth;
    expect(t.counts.duplicate_files).toBeGreaterThanOrEqual(2);
    expect(new Set(t.duplicates.map((d) => d.kind))).toEqual(new Set(['byte_copy', 'rewrapped']));
    expect(plain.truth.counts.duplicate_files).toBe(0);
    const strip = (x: Truth) => ({
      ...x,
      counts: { ...x.counts, files: 0, bytes: 0, duplicate_files: 0 },
      duplicates: [],
      params: { ...x.params, duplicates: true },
    });
    expect(strip(t)).toEqual(strip(plain.truth));
    // Read back, the duplicates double-count unless remittances are deduplicated by their key.
    const raw = recompute(base.files, false);
    const rawPaid = [...raw.byPayer.values()].reduce((n, s) => n + s.paid, 0);
    expect(money(rawPaid)).not.toBe(t.totals.paid);
    const rewrapped = t.duplicates.find((d) => d.kind === 'rewrapped');
    const copy = base.files.find((f) => f.name === rewrapped?.file)?.text ?? '';
    const original = base.files.find((f) => f.name === rewrapped?.original)?.text ?? '';
    expect(copy.slice(0, 106)).not.toEqual(original.replace('\uFEFF', '').slice(0, 106));
  });

  it('writes files and truth.json through the CLI command', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recoup-generate-'));
    temp.push(dir);
    const out = join(dir, 'data');
    const write = process.stdout.write;
    let printed = '';
    process.stdout.write = ((chunk: string) => {
      printed += chunk;
      return true;
    }) as typeof process.stdout.write;
    let code: number;
    try {
      code = await generateCommand(['--out', out, '--weeks', '6', '--seed', '5', '--spike', '1:3', '--json']);
    } finally {
      process.stdout.write = write;
    }
    expect(code).toBe(0);
    const summary = JSON.parse(printed) as { files: number; claims: number };
    const truth = JSON.parse(readFileSync(join(out, 'truth.json'), 'utf8')) as Truth;
    const names = readdirSync(out).filter((f) => f.endsWith('.835'));
    expect(names).toHaveLength(summary.files);
    expect(truth.counts.files).toBe(summary.files);
    expect(truth.params.spikes).toHaveLength(1);
    expect(truth.definitions.paid).toContain('CLP04');
    await expect(generateCommand(['--out', out])).rejects.toThrow(/already holds/);
    await expect(generateCommand(['--out', out, '--spike', 'nope'])).rejects.toThrow(/PAYER:WEEK/);
  });

  it('streams one large balanced file of a target size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recoup-large-'));
    temp.push(dir);
    const path = join(dir, 'big.835');
    const bytes = await writeLargeFile(path, 1_500_000, 3);
    const text = readFileSync(path, 'utf8');
    expect(bytes).toBe(text.length);
    expect(bytes).toBeGreaterThanOrEqual(1_500_000);
    const { problems, remits } = recompute([{ name: 'big.835', text, bytes }]);
    expect(problems).toEqual([]);
    expect(remits.length).toBeGreaterThan(10);
  });
});

// Realism high: the habits of real payers (issue 24). The files are checked by the same
// independent reader and linker; the linker follows DESIGN.md's rules, the generator knows the truth.
const real = generate({ seed: 11, weeks: 20, providers: 10, scale: 3, realism: 'high' });

/** Σ (size − 1) over the groups of a key: how many times something repeats. */
function repeats<T>(items: T[], key: (t: T) => string, member: (t: T) => string): number {
  const groups = new Map<string, Set<string>>();
  for (const t of items) {
    const k = key(t);
    const set = groups.get(k) ?? new Set<string>();
    set.add(member(t));
    groups.set(k, set);
  }
  let n = 0;
  for (const set of groups.values()) n += set.size - 1;
  return n;
}

describe('synthetic 835 generator, realism high', () => {
  const read = recompute(real.files);
  const claims = read.remits.flatMap((r) => r.claims.map((c) => ({ r, c })));

  it('is deterministic and balances every claim, line and transaction', () => {
    const again = generate({ seed: 11, weeks: 20, providers: 10, scale: 3, realism: 'high' });
    expect(again.files.map((f) => f.text)).toEqual(real.files.map((f) => f.text));
    expect(read.problems).toEqual([]);
    expect(read.remits).toHaveLength(real.truth.counts.transactions);
    expect(real.truth.params.realism).toBe('high');
    expect(base.truth.params.realism).toBe('standard');
    expect(Object.values(base.truth.realism).every((n) => n === 0)).toBe(true);
  });

  it('writes each habit of real payers, as often as truth counts it', () => {
    const t = real.truth.realism;
    // A later visit reuses the account number with a later service date; another payee reuses it too.
    const sameAccount = repeats(
      claims,
      ({ r, c }) => `${r.payerId}|${r.payeeNpi}|${c.clp01}`,
      ({ c }) => c.from,
    );
    const otherPayee = repeats(
      claims,
      ({ r, c }) => `${r.payerId}|${c.clp01}`,
      ({ r }) => r.payeeNpi,
    );
    // One payment date, several 835s (each its own TRN02 and BPR02).
    const byDate = new Map<string, number>();
    for (const r of read.remits) {
      const k = `${r.payerId}|${r.payeeNpi}|${r.paymentDate}`;
      byDate.set(k, (byDate.get(k) ?? 0) + 1);
    }
    const split = [...byDate.values()].filter((n) => n > 1);
    const corrections = read.links.reversals.filter((x) => x.correction !== null);
    const sameDayOther = corrections.filter(
      (x) => x.correction?.r !== x.at.r && x.correction?.r.paymentDate === x.at.r.paymentDate,
    );
    const sameIcn = corrections.filter((x) => x.correction?.c.icn === x.at.c.icn);
    const reversals = claims.filter(({ c }) => c.status === '22');
    const doubles = repeats(
      reversals.map((x, i) => ({ ...x, i })),
      ({ r, c }) => `${r.payerId}|${c.icn}`,
      ({ i }) => String(i),
    );
    const forms = (rule: string, composite = false) =>
      read.links.plb.filter((x) => x.rule === rule && x.composite === composite).length;
    const counted = {
      reused_claim_ids_same_payee: sameAccount,
      reused_claim_ids_other_payee: otherPayee,
      split_payment_dates: split.length,
      split_transactions: split.reduce((a, b) => a + b, 0),
      corrections_same_day_other_835: sameDayOther.length,
      corrections_with_f8: claims.filter(({ c }) => c.f8 !== null).length,
      corrections_new_icn: corrections.length - sameIcn.length,
      corrections_same_icn: sameIcn.length,
      plb_references_icn: forms('icn'),
      plb_references_claim_id: forms('claim_id'),
      plb_references_composite_icn: forms('icn', true),
      plb_references_composite_claim_id: forms('claim_id', true),
      double_reversals: doubles,
    };
    expect(counted).toEqual(t);
    for (const [name, n] of Object.entries(counted)) expect(n, name).toBeGreaterThanOrEqual(2);
    // F8 names the original's ICN; corrections echo CLP09 1 for one payer, 7 for the others.
    for (const x of corrections)
      if (x.correction?.c.f8 != null) expect(x.correction.c.f8).toBe(x.original?.c.icn);
    expect(new Set(corrections.map((x) => x.correction?.c.frequency))).toEqual(new Set(['1', '7']));
    // Composite references: the claim token, a space, "-" or "/", then an MBI, a HICN or a member number.
    const composite = read.links.plb.filter((x) => x.composite);
    const members = composite.map((x) => (x.p.reference ?? '').split(/[ /-]/)[1] ?? '');
    const shapes = {
      mbi: /^[1-9][AC-HJKMNP-RT-Y][0-9AC-HJKMNP-RT-Y]\d[AC-HJKMNP-RT-Y][0-9AC-HJKMNP-RT-Y]\d[AC-HJKMNP-RT-Y]{2}\d\d$/,
      hic: /^\d{9}[A-Z]\d?$/,
      member: /^[A-Z]{1,3}\d{9}$/,
    };
    for (const m of members)
      expect(
        Object.values(shapes).some((re) => re.test(m)),
        m,
      ).toBe(true);
    for (const [kind, re] of Object.entries(shapes))
      expect(
        members.some((m) => re.test(m)),
        kind,
      ).toBe(true);
    expect(new Set(composite.map((x) => (x.p.reference ?? '').match(/[ /-]/)?.[0]))).toEqual(
      new Set([' ', '-', '/']),
    );
  });

  it('has truth that the files reproduce to the cent, by payer, provider and cause', () => {
    expectTruthReproduced(real);
  });

  it('has an event log that an independent linker reproduces, with every link rule', () => {
    expectLinksReproduced(real);
    const rules = new Set(real.truth.by_payer_link_rule.map((r) => `${r.kind}:${r.link_rule}`));
    for (const rule of [
      'reversal:original_reference',
      'reversal:payer_claim_control',
      'reversal:claim_id_service_dates',
      'reversal:null',
      'plb:icn',
      'plb:claim_id',
      'plb:null',
    ])
      expect(rules).toContain(rule);
  });

  it('adds up: payers to totals, link rules to payers, double reversals to over-recoupment', () => {
    const t = real.truth;
    const sum = (rows: Record<string, unknown>[], field: string) =>
      money(rows.reduce((n, r) => n + cents(r[field] as string), 0));
    const rows = t.by_payer as unknown as Record<string, unknown>[];
    for (const f of ['paid', 'takeback', 'correction_repaid', 'net_takeback', 'over_recoupment'])
      expect(sum(rows, f), f).toBe(t.totals[f as keyof typeof t.totals]);
    expect(t.totals.double_reversals).toBe(t.realism.double_reversals);
    for (const p of t.by_payer) {
      const mine = t.by_payer_link_rule.filter((r) => r.payer_id === p.payer_id) as unknown as Record<
        string,
        unknown
      >[];
      expect(sum(mine, 'takeback')).toBe(p.takeback);
      expect(sum(mine, 'correction_repaid')).toBe(p.correction_repaid);
      const doubles = t.links.reversals.filter((r) => r.payer_id === p.payer_id && r.double_reversal);
      expect(doubles).toHaveLength(p.double_reversals);
      expect(money(doubles.reduce((n, r) => n + cents(r.takeback), 0))).toBe(p.over_recoupment);
      // A double reversal takes back what its first reversal already took: the same original.
      for (const d of doubles) {
        const first = t.links.reversals.find(
          (r) => !r.double_reversal && JSON.stringify(r.original) === JSON.stringify(d.original),
        );
        expect(first?.takeback).toBe(d.takeback);
        expect(d.cause).toBe('pending');
      }
    }
  });

  it('defeats linking by payer + CLP01 alone and exact PLB references', () => {
    // The pre-issue rule: the first paid claim of the same payer and CLP01 in the same 835 after
    // the reversal or in a later 835, before the next reversal of that CLP01.
    const truthBy = new Map(
      real.truth.links.reversals.map((r) => [`${r.reversal.trace}|${r.reversal.claim}`, r]),
    );
    const ordered = [...read.remits].sort((a, b) => a.paymentDate.localeCompare(b.paymentDate));
    const all = ordered.flatMap((r) => r.claims.map((c) => ({ r, c })));
    let wrong = 0;
    let missedSameDay = 0;
    let otherVisitOrPayee = 0;
    for (const [i, at] of all.entries()) {
      if (at.c.status !== '22') continue;
      const later = all.slice(i + 1).filter((o) => o.r.payerId === at.r.payerId && o.c.clp01 === at.c.clp01);
      const stop = later.findIndex((o) => o.c.status === '22');
      const naive = (stop < 0 ? later : later.slice(0, stop)).find(
        (o) => o.r === at.r || o.r.paymentDate > at.r.paymentDate,
      );
      const truth = truthBy.get(`${at.r.trace}|${at.c.index}`);
      const naivePlace = naive === undefined ? null : place(naive);
      if (JSON.stringify(naivePlace) !== JSON.stringify(truth?.correction ?? null)) wrong++;
      if (naive === undefined && truth?.correction?.payment_date === truth?.reversal.payment_date)
        missedSameDay++;
      if (naive !== undefined && (naive.c.from !== at.c.from || naive.r.payeeNpi !== at.r.payeeNpi))
        otherVisitOrPayee++;
    }
    expect(wrong).toBeGreaterThan(0);
    expect(missedSameDay).toBeGreaterThan(0);
    expect(otherVisitOrPayee).toBeGreaterThan(0);
    // A composite reference equals no ICN and no CLP01: only its first token names the claim.
    const ids = new Set(claims.flatMap(({ c }) => [c.icn, c.clp01]));
    const composite = read.links.plb.filter((x) => x.composite);
    expect(composite.length).toBeGreaterThan(0);
    expect(composite.filter((x) => ids.has(x.p.reference ?? ''))).toEqual([]);
  });

  it('is written by the CLI with --realism high, which --help documents', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recoup-generate-real-'));
    try {
      const out = join(dir, 'data');
      const write = process.stdout.write;
      let printed = '';
      process.stdout.write = ((chunk: string) => {
        printed += chunk;
        return true;
      }) as typeof process.stdout.write;
      let code: number;
      try {
        code = await generateCommand(['--out', out, '--weeks', '8', '--scale', '2', '--realism', 'high']);
        await expect(generateCommand(['--help'])).rejects.toMatchObject({ exitCode: 0 });
      } finally {
        process.stdout.write = write;
      }
      expect(code).toBe(0);
      expect(printed).toMatch(/realism high: \d+ split payment dates/);
      expect(printed).toMatch(/--realism LEVEL\s+standard \(default\)/);
      const truth = JSON.parse(readFileSync(join(out, 'truth.json'), 'utf8')) as Truth;
      expect(truth.params.realism).toBe('high');
      expect(truth.links.reversals.length).toBeGreaterThan(0);
      await expect(generateCommand(['--out', join(dir, 'x'), '--realism', 'extreme'])).rejects.toThrow(
        /--realism must be standard or high/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the truth written in pieces', () => {
  it('is JSON.stringify(value, null, 2) to the character, for nested objects, arrays and scalars', () => {
    const value = {
      format: 'recoup-truth/1',
      empty: {},
      none: [],
      skipped: undefined,
      nested: { a: [1, 2.5, -3, { b: null, c: 'x"y\\z\n' }], d: [[], [{}], ['é', true, false]] },
      list: Array.from({ length: 5 }, (_, i) => ({ id: `c${i}`, amount: `${i}.50`, gone: undefined })),
    };
    expect([...jsonChunks(value)].join('')).toBe(JSON.stringify(value, null, 2));
    expect([...jsonChunks([undefined, 1])].join('')).toBe(JSON.stringify([undefined, 1], null, 2));
    expect([...jsonChunks('only a string')].join('')).toBe(JSON.stringify('only a string', null, 2));
  });

  it('writes truth.json that parses back to the truth the generator returned', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recoup-truth-'));
    try {
      const summary = await writeDataset(dir, { seed: 3, weeks: 4, payers: 2, providers: 3 });
      expect(JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8'))).toEqual(
        JSON.parse(JSON.stringify(summary.truth)),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
