import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCommand } from '../functions/cli/commands/generate.ts';
import {
  type GeneratedFile,
  type GenerateOptions,
  generateDataset,
  type Truth,
  writeLargeFile,
} from '../functions/generate/index.ts';

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
  paid: number;
  icn: string;
  frequency: string;
  rendering: string | null;
  cas: { reason: string; amount: number }[];
  remarks: string[];
}

interface ParsedRemit {
  payerId: string;
  payeeNpi: string;
  trace: string;
  amount: number;
  paymentDate: string;
  claims: ParsedClaim[];
  plb: { provider: string; code: string; reference: string | null; amount: number }[];
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
  let claim: (ParsedClaim & { charge: number; casSum: number }) | null = null;
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
          remit?.plb.push({ provider: e(1), code, reference: reference ?? null, amount: cents(e(n + 1)) });
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
});

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
  // Claims by payer + ICN / CLP01, and reversal causes from their corrections.
  const claimByRef = new Map<string, { provider: string }>();
  const causeByRef = new Map<string, string>();
  const ordered = [...remits].sort((a, b) => a.paymentDate.localeCompare(b.paymentDate));
  const allClaims = ordered.flatMap((r) => r.claims.map((c) => ({ r, c })));
  for (const { r, c } of allClaims) {
    const provider = c.rendering ?? r.payeeNpi;
    if (!claimByRef.has(`${r.payerId}|${c.icn}`)) claimByRef.set(`${r.payerId}|${c.icn}`, { provider });
    if (!claimByRef.has(`${r.payerId}|${c.clp01}`)) claimByRef.set(`${r.payerId}|${c.clp01}`, { provider });
  }
  const causeOfReversal = new Map<ParsedClaim, string>();
  const correctionOf = new Map<ParsedClaim, string>();
  for (const [i, { r, c }] of allClaims.entries()) {
    if (c.status !== '22') continue;
    const next = allClaims
      .slice(i + 1)
      .find((o) => o.r.payerId === r.payerId && o.c.clp01 === c.clp01 && o.c.status !== '22');
    let cause = 'pending';
    if (next !== undefined) {
      const change = new Map<string, number>();
      for (const a of [...next.c.cas, ...c.cas]) change.set(a.reason, (change.get(a.reason) ?? 0) + a.amount);
      let best = 0;
      cause = 'other';
      for (const [reason, amount] of change) {
        const mapped = CAUSES[reason];
        if (mapped !== undefined && amount > best) {
          best = amount;
          cause = mapped;
        }
      }
      if (next.c.remarks.includes('N432')) cause = 'audit';
      correctionOf.set(next.c, cause);
    }
    causeOfReversal.set(c, cause);
    causeByRef.set(`${r.payerId}|${c.icn}`, cause);
    causeByRef.set(`${r.payerId}|${c.clp01}`, cause);
  }
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
  for (const r of remits) {
    for (const c of r.claims) {
      const provider = c.rendering ?? r.payeeNpi;
      const targets = [get(byPayer, r.payerId), get(byProvider, provider)];
      for (const s of targets) s.claims++;
      if (c.status === '22') {
        for (const s of [...targets, get(byPayerCause, `${r.payerId}|${causeOfReversal.get(c)}`)])
          s.reversal -= c.paid;
      } else {
        for (const s of targets) s.paid += c.paid;
        const cause = correctionOf.get(c);
        if (cause !== undefined)
          for (const s of [...targets, get(byPayerCause, `${r.payerId}|${cause}`)]) s.repaid += c.paid;
      }
    }
    for (const p of r.plb) {
      const ref = p.reference === null ? undefined : `${r.payerId}|${p.reference}`;
      const provider = (ref && claimByRef.get(ref)?.provider) || p.provider;
      const targets = [get(byPayer, r.payerId), get(byProvider, provider)];
      if (['WO', 'WU', 'OB', '72'].includes(p.code)) {
        const cause = (ref && causeByRef.get(ref)) || 'unspecified';
        for (const s of [...targets, get(byPayerCause, `${r.payerId}|${cause}`)]) s.plb += p.amount;
      }
      for (const s of targets) {
        if (p.code === '72') s.refunds -= p.amount;
        if (p.code === 'L6') s.interest -= p.amount;
        if (p.code === 'FB') s.fb -= p.amount;
      }
    }
  }
  return { problems, remits, byPayer, byProvider, byPayerCause };
}

function generate(options: GenerateOptions): { files: GeneratedFile[]; truth: Truth } {
  const files: GeneratedFile[] = [];
  const truth = generateDataset(options, (f) => files.push(f));
  return { files, truth };
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
    const { byPayer, byProvider, byPayerCause } = recompute(base.files);
    for (const row of base.truth.by_payer) {
      const s = byPayer.get(row.payer_id) ?? zero();
      expect({
        paid: money(s.paid),
        reversal_takeback: money(s.reversal),
        plb_recovery: money(s.plb),
        correction_repaid: money(s.repaid),
        refunds: money(s.refunds),
        interest: money(s.interest),
        outstanding_fb: money(s.fb),
        claims: s.claims,
      }).toEqual({
        paid: row.paid,
        reversal_takeback: row.reversal_takeback,
        plb_recovery: row.plb_recovery,
        correction_repaid: row.correction_repaid,
        refunds: row.refunds,
        interest: row.interest,
        outstanding_fb: row.outstanding_fb,
        claims: row.claims,
      });
    }
    for (const row of base.truth.by_provider) {
      const s = byProvider.get(row.provider_npi) ?? zero();
      expect([row.provider_npi, money(s.paid), money(s.reversal), money(s.plb)]).toEqual([
        row.provider_npi,
        row.paid,
        row.reversal_takeback,
        row.plb_recovery,
      ]);
    }
    for (const row of base.truth.by_payer_cause) {
      const s = byPayerCause.get(`${row.payer_id}|${row.cause}`) ?? zero();
      expect([row.cause, money(s.reversal), money(s.plb), money(s.repaid)]).toEqual([
        row.cause,
        row.reversal_takeback,
        row.plb_recovery,
        row.correction_repaid,
      ]);
    }
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
      { payer_id: payer, week_start: week[30]?.week_start, factor: 5 },
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
