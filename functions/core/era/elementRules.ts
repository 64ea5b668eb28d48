/**
 * The element map (elementMap.ts) as the reader and the segment lexer use it: the generic entries
 * as rules by segment, the slots that hold their values while a claim or a line is read, and which
 * segments are read in which part of a transaction (the rest is passed over). Derived when the
 * module loads; a map entry the reader cannot apply generically fails here, at load.
 */
import { ELEMENT_MAP, type ElementEntry, type GenericColumn } from './elementMap.ts';

/** A generic map entry as the reader applies it. */
export interface ElementRule {
  readonly segment: string;
  /** Element 01 must be this (null: any). */
  readonly qualifier: string | null;
  readonly position: number;
  /** Component of the element, 1-based; 0 for the whole element. */
  readonly component: number;
  /** Read while a service line is open (true) or while a claim is open and no line is (false). */
  readonly service: boolean;
  /** The value goes to a line slot (adjustments rows of the line) rather than a claim slot. */
  readonly line: boolean;
  readonly slot: number;
  /** Every value is kept (a list slot), not the first only. */
  readonly list: boolean;
  /** Interned by the segment lexer (CLP elements only). */
  readonly code: boolean;
}

/** The key of a segment id of two or three characters: the first in the low byte (the lexer's `segmentKey`). */
export function segmentKey(id: string): number {
  let key = 0;
  for (let i = id.length - 1; i >= 0; i--) key = (key << 8) | id.charCodeAt(i);
  return key;
}

/** The most CLP elements the lexer's CLP record holds (CLP has 14 in 5010). */
export const MAX_CLP_ELEMENTS = 16;

const GENERIC = ELEMENT_MAP.filter((e: ElementEntry) => e.read !== 'reader');

function fail(entry: ElementEntry, why: string): never {
  throw new Error(
    `element map: ${entry.segment}${entry.qualifier ? `*${entry.qualifier}` : ''} → ${entry.table}.${entry.column}: ${why}`,
  );
}

/** Columns of `claims` held per claim while it is read, in map order. */
export const CLAIM_SLOTS: readonly GenericColumn<'claims'>[] = [];
/** Whether each claim slot is a list (`list` entries) rather than a first value. */
export const CLAIM_SLOT_LISTS: readonly boolean[] = [];
/** Columns of `adjustments` held per service line while it is read, in map order. */
export const LINE_SLOTS: readonly GenericColumn<'adjustments'>[] = [];

const rules: ElementRule[] = [];
for (const entry of GENERIC as readonly ElementEntry[]) {
  if (entry.level !== 'claim' && entry.level !== 'service')
    fail(entry, 'generic entries are read in a claim or a service line');
  if (entry.type !== 'varchar') fail(entry, 'generic entries are text (varchar)');
  if (entry.position < 1 || (entry.segment === 'CLP' && entry.position > MAX_CLP_ELEMENTS))
    fail(entry, 'no such position');
  if (entry.segment === 'CLP' && entry.level !== 'claim') fail(entry, 'CLP is read at claim level');
  if (entry.code === true && entry.segment !== 'CLP') fail(entry, 'only CLP elements are interned');
  const line = entry.table === 'adjustments';
  if (line && entry.level !== 'service')
    fail(entry, 'adjustments take generic values from a service line only');
  if (!line && entry.table !== 'claims') fail(entry, 'generic values land in claims or adjustments');
  const list = entry.read === 'list';
  let slot: number;
  if (line) {
    if (list) fail(entry, 'a line value is read first, not listed');
    slot = (LINE_SLOTS as string[]).indexOf(entry.column);
    if (slot < 0) slot = (LINE_SLOTS as string[]).push(entry.column) - 1;
  } else {
    slot = (CLAIM_SLOTS as string[]).indexOf(entry.column);
    if (slot < 0) {
      slot = (CLAIM_SLOTS as string[]).push(entry.column) - 1;
      (CLAIM_SLOT_LISTS as boolean[]).push(list);
    } else if (CLAIM_SLOT_LISTS[slot] !== list) fail(entry, 'every entry of a column is read the same way');
  }
  rules.push({
    segment: entry.segment,
    qualifier: entry.qualifier ?? null,
    position: entry.position,
    component: entry.component ?? 0,
    service: entry.level === 'service',
    line,
    slot,
    list,
    code: entry.code === true,
  });
}

/** The generic rules of each segment id. */
export const RULES_BY_SEGMENT: ReadonlyMap<string, readonly ElementRule[]> = group(rules, (r) => r.segment);

/** The generic rules of each segment key (see `segmentKey`). */
export const RULES_BY_KEY: ReadonlyMap<number, readonly ElementRule[]> = group(rules, (r) =>
  segmentKey(r.segment),
);

/** The generic rules of CLP, which the lexer's CLP record carries the elements of. */
export const CLP_RULES: readonly ElementRule[] = RULES_BY_SEGMENT.get('CLP') ?? [];

/** Bit k set: CLP element k is a code the lexer interns. */
export const CLP_CODE_POSITIONS: number = CLP_RULES.reduce(
  (mask, r) => (r.code ? mask | (1 << r.position) : mask),
  0,
);

function group<K>(list: readonly ElementRule[], keyOf: (rule: ElementRule) => K): Map<K, ElementRule[]> {
  const out = new Map<K, ElementRule[]>();
  for (const rule of list) {
    const key = keyOf(rule);
    const rules = out.get(key);
    if (rules === undefined) out.set(key, [rule]);
    else rules.push(rule);
  }
  return out;
}

/** The claim slot of a column the reader's own code reads back (a claim's ICN, its remark codes). */
function claimSlot(column: GenericColumn<'claims'>): number {
  const slot = CLAIM_SLOTS.indexOf(column);
  if (slot < 0)
    throw new Error(
      `element map: claims.${column} must be a generic entry (the reader links and explains claims by it)`,
    );
  return slot;
}

/** Slot of CLP07, by which reversals and PLB references are linked. */
export const ICN_SLOT = claimSlot('payer_claim_control');

// Which segments are read where. Inside a transaction a segment is read only where one of these
// bits is set for it, in the part of the transaction being read (before its claims: the header;
// from its first LX or CLP on: its claims); every other segment is passed over, by the lexer and
// by the reader alike.
/** Read in the header (BPR .. the payee's N1 loop). */
export const READ_HEADER = 1;
/** Read among the claims. */
export const READ_CLAIMS = 2;
/** Among the claims, read from the lexer's ELEMENTS record (a generic segment; CLP has a record of its own). */
export const READ_ELEMENTS = 4;

/** Segments the reader reads wherever they are: the envelope, and those that open or close loops (or fail out of place). */
const STRUCTURE = ['ISA', 'GS', 'GE', 'IEA', 'TA1', 'ST', 'SE', 'LX', 'N1', 'CLP', 'CAS', 'SVC', 'PLB'];

/** For each segment key, where it is read (READ_* bits); a segment not listed is passed over inside a transaction. */
export const SEGMENT_READS: ReadonlyMap<number, number> = (() => {
  const reads = new Map<number, number>();
  const add = (id: string, bits: number) => {
    const key = segmentKey(id);
    reads.set(key, (reads.get(key) ?? 0) | bits);
  };
  for (const id of STRUCTURE) add(id, READ_HEADER | READ_CLAIMS);
  for (const entry of ELEMENT_MAP as readonly ElementEntry[]) {
    if (entry.level === 'remittance') add(entry.segment, READ_HEADER);
    else if (entry.level === 'provider') add(entry.segment, READ_HEADER | READ_CLAIMS);
    else add(entry.segment, READ_CLAIMS);
  }
  for (const rule of rules) if (rule.segment !== 'CLP') add(rule.segment, READ_ELEMENTS);
  return reads;
})();
