import { formatCents } from '../core/money.ts';
import type { Cents } from '../core/types.ts';
import type { Cas, ClaimModel, PlbPair, RemitModel } from './model.ts';

/** Separators of one interchange (ISA04-16 and the character after ISA16). */
export interface Delimiters {
  element: string;
  component: string;
  repetition: string;
  segment: string;
}

/** Delimiter sets seen in real files (DOMAIN.md section 1). */
export const DELIMITER_STYLES: readonly Delimiters[] = [
  { element: '*', component: ':', repetition: '^', segment: '~\n' },
  { element: '|', component: ':', repetition: '^', segment: '~' },
  { element: '*', component: '>', repetition: '^', segment: '\n' },
  { element: '*', component: '^', repetition: '{', segment: '~\r\n' },
  { element: '|', component: '>', repetition: '^', segment: '\n' },
  { element: '*', component: ':', repetition: '^', segment: '~' },
];

/** Amount text: always two decimals, or trimmed like many payers send it ("1222", "-6173.5"). */
export function formatAmount(cents: Cents, trim: boolean): string {
  const text = formatCents(cents);
  if (!trim) return text;
  if (text.endsWith('.00')) return text === '-0.00' ? '0' : text.slice(0, -3);
  if (text.endsWith('0')) return text.slice(0, -1);
  return text;
}

function isoToX12(iso: string): string {
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}`;
}

/** Joins elements into a segment, dropping trailing empty elements as X12 requires. */
function seg(d: Delimiters, elements: string[]): string {
  let n = elements.length;
  while (n > 1 && elements[n - 1] === '') n--;
  return (n === elements.length ? elements : elements.slice(0, n)).join(d.element);
}

/** CAS segments for a list of triplets: one segment per group, at most six triplets each. */
function pushCas(out: string[], d: Delimiters, cas: readonly Cas[], trim: boolean): void {
  if (cas.length === 0) return;
  const byGroup = new Map<string, Cas[]>();
  for (const c of cas) {
    const list = byGroup.get(c.group);
    if (list === undefined) byGroup.set(c.group, [c]);
    else list.push(c);
  }
  for (const [group, list] of byGroup) {
    for (let i = 0; i < list.length; i += 6) {
      const el = ['CAS', group];
      for (const c of list.slice(i, i + 6)) el.push(c.reason, formatAmount(c.amount, trim), '');
      out.push(seg(d, el));
    }
  }
}

function pushClaim(out: string[], d: Delimiters, c: ClaimModel, trim: boolean): void {
  const e = d.element;
  const f = (x: Cents) => formatAmount(x, trim);
  out.push(
    `CLP${e}${c.clp01}${e}${c.status}${e}${f(c.charge)}${e}${f(c.paid)}${e}${f(c.patientResp)}${e}${c.filing}${e}${c.icn}${e}11${e}${c.frequency}`,
  );
  pushCas(out, d, c.claimCas, trim);
  out.push(`NM1${e}QC${e}1${e}DOE${e}J`);
  if (c.renderingNpi !== null) {
    out.push(`NM1${e}82${e}1${e}PROVIDER${e}R${e}${e}${e}${e}XX${e}${c.renderingNpi}`);
  }
  if (c.remarks.length > 0) out.push(seg(d, ['MOA', '', '', ...c.remarks]));
  if (c.originalReference !== null) out.push(`REF${e}F8${e}${c.originalReference}`);
  out.push(`DTM${e}232${e}${c.from}`, `DTM${e}233${e}${c.to}`);
  for (const line of c.lines) {
    out.push(
      `SVC${e}HC${d.component}${line.code}${e}${f(line.charge)}${e}${f(line.paid)}${e}${e}${line.units}`,
      `DTM${e}472${e}${line.date}`,
    );
    pushCas(out, d, line.cas, trim);
    out.push(`REF${e}6R${e}${line.control}`);
    for (const r of line.remarks) out.push(`LQ${e}HE${e}${r}`);
  }
}

function pushPlb(
  out: string[],
  d: Delimiters,
  pairs: readonly PlbPair[],
  fiscal: string,
  trim: boolean,
): void {
  const byProvider = new Map<string, PlbPair[]>();
  for (const p of pairs) {
    const list = byProvider.get(p.provider);
    if (list === undefined) byProvider.set(p.provider, [p]);
    else list.push(p);
  }
  for (const [provider, list] of byProvider) {
    for (let i = 0; i < list.length; i += 6) {
      const el = ['PLB', provider, fiscal];
      for (const p of list.slice(i, i + 6)) {
        el.push(p.reference === null ? p.code : `${p.code}${d.component}${p.reference}`);
        el.push(formatAmount(p.amount, trim));
      }
      out.push(el.join(d.element));
    }
  }
}

/** Renders one 835 transaction (ST..SE, segments terminated) with a correct SE01 count. */
export function renderTransaction(r: RemitModel, d: Delimiters, control: string): string {
  const e = d.element;
  const trim = r.payer.profile.trimAmounts;
  const f = (x: Cents) => formatAmount(x, trim);
  const pay = isoToX12(r.paymentDate);
  const out: string[] = [`ST${e}835${e}${control}${e}005010X221A1`];
  if (r.amount === 0) {
    out.push(`BPR${e}H${e}0${e}C${e}NON${e.repeat(12)}${pay}`);
  } else if (r.method === 'ACH') {
    out.push(
      [
        'BPR',
        'I',
        f(r.amount),
        'C',
        'ACH',
        'CCP',
        '01',
        '011000015',
        'DA',
        `7${r.payer.id.slice(-6)}`,
        r.payer.id,
        '',
        '01',
        '021000021',
        'DA',
        `3${r.payee.tin.slice(-7)}`,
        pay,
      ].join(e),
    );
  } else {
    out.push(`BPR${e}I${e}${f(r.amount)}${e}C${e}CHK${e.repeat(12)}${pay}`);
  }
  out.push(
    `TRN${e}1${e}${r.trace}${e}${r.payer.id}`,
    `DTM${e}405${e}${isoToX12(r.productionDate)}`,
    `N1${e}PR${e}${r.payer.name}`,
    `N3${e}PO BOX ${1000 + r.payer.index * 17}`,
    `N4${e}SPRINGFIELD${e}IL${e}62701`,
    `REF${e}2U${e}${r.payer.id}`,
    `PER${e}BL${e}PROVIDER SERVICES${e}TE${e}8005550${String(100 + r.payer.index).slice(-3)}`,
    `N1${e}PE${e}${r.payee.name}${e}XX${e}${r.payee.npi}`,
    `N3${e}${100 + r.payee.index} MAIN ST`,
    `N4${e}${r.payee.city}${e}IL${e}60601`,
    `REF${e}TJ${e}${r.payee.tin}`,
  );
  if (r.claims.length > 0) out.push(`LX${e}1`);
  for (const c of r.claims) pushClaim(out, d, c, trim);
  pushPlb(out, d, r.plb, `${r.paymentDate.slice(0, 4)}1231`, trim);
  out.push(`SE${e}${out.length + 1}${e}${control}`);
  return out.join(d.segment) + d.segment;
}

/** Envelope fields of one interchange. */
export interface Envelope {
  sender: string;
  receiver: string;
  /** ISO date and HHMM of the interchange. */
  date: string;
  time: string;
  interchangeControl: number;
  /** Control number of the first functional group; later groups count up. */
  groupControl: number;
}

/**
 * Wraps transactions in ISA/GS…GE/IEA. Each inner array is one functional group; GE01 counts
 * its transactions, IEA01 counts the groups.
 */
export function renderInterchange(
  groups: readonly (readonly string[])[],
  d: Delimiters,
  env: Envelope,
): string {
  const e = d.element;
  const isaControl = String(env.interchangeControl).padStart(9, '0');
  const yymmdd = isoToX12(env.date).slice(2);
  const parts: string[] = [
    `ISA${e}00${e}${' '.repeat(10)}${e}00${e}${' '.repeat(10)}${e}ZZ${e}${env.sender.padEnd(15)}${e}ZZ${e}${env.receiver.padEnd(15)}${e}${yymmdd}${e}${env.time}${e}${d.repetition}${e}00501${e}${isaControl}${e}0${e}P${e}${d.component}${d.segment}`,
  ];
  let gs = env.groupControl;
  for (const group of groups) {
    parts.push(
      `GS${e}HP${e}${env.sender}${e}${env.receiver}${e}${isoToX12(env.date)}${e}${env.time}${e}${gs}${e}X${e}005010X221A1${d.segment}`,
    );
    for (const t of group) parts.push(t);
    parts.push(`GE${e}${group.length}${e}${gs}${d.segment}`);
    gs++;
  }
  parts.push(`IEA${e}${groups.length}${e}${isaControl}${d.segment}`);
  return parts.join('');
}
