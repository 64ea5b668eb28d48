import { describe, expect, it, vi } from 'vitest';
import { COMPUTED_COLUMNS, ELEMENT_MAP, type ElementEntry } from '../functions/core/era/elementMap.ts';
import { parse835 } from '../functions/core/era/parse835.ts';
import { LAKE_SCHEMA, LAKE_TABLES, type LakeTable } from '../functions/core/lake/schema.ts';
import type { NormalizedRemit } from '../functions/core/types.ts';
import { readFixture, sourceFor } from './helpers/fixtures.ts';
import { splitOnly } from './helpers/splitOnly.ts';

const ENTRIES: readonly ElementEntry[] = ELEMENT_MAP;

/** `REF*F8 02 → claims.original_reference (claim)`. */
function label(e: ElementEntry): string {
  const element = `${String(e.position).padStart(2, '0')}${e.component ? `-${e.component}` : ''}`;
  return `${e.segment}${e.qualifier ? `*${e.qualifier}` : ''} ${element} → ${e.table}.${e.column} (${e.level})`;
}

describe('the element map and the lake schema agree', () => {
  const schemaType = (table: LakeTable, column: string) =>
    (LAKE_SCHEMA[table] as readonly { name: string; type: string }[]).find((c) => c.name === column)?.type;

  it('every mapped column is a lake column, of the type the map gives it', () => {
    for (const e of ENTRIES) expect(schemaType(e.table, e.column), label(e)).toBe(e.type);
  });

  it('every lake column is filled from the map or listed as computed', () => {
    for (const table of LAKE_TABLES) {
      for (const column of LAKE_SCHEMA[table]) {
        const mapped = ENTRIES.some((e) => e.table === table && e.column === column.name);
        const computed = column.name in COMPUTED_COLUMNS[table];
        expect(mapped || computed, `${table}.${column.name}`).toBe(true);
      }
    }
  });

  it('every computed column is a lake column (none left behind)', () => {
    for (const table of LAKE_TABLES) {
      for (const name of Object.keys(COMPUTED_COLUMNS[table])) {
        expect(schemaType(table, name), `${table}.${name}`).toBeDefined();
      }
    }
  });
});

// Every map entry, proved on a fixture that carries every mapped element: its element is given
// a value found nowhere else, and that value must land in its column, by the lexer and by the
// split path alike.
const BASE = readFixture('cases', 'every-element.835');
const SEGMENT_END = '~\n';

/** A value of the entry's type that the fixture holds nowhere, as written in the 835 and as the lake keeps it. */
function distinctValue(e: ElementEntry): [string, unknown] {
  switch (e.type) {
    case 'money':
      return ['7.77', 777];
    case 'date':
      return ['20240229', '2024-02-29'];
    case 'double':
      return ['7', 7];
    default:
      return ['Q7MAP', 'Q7MAP'];
  }
}

/** Where an element lands only when another one is absent: the fixture without it. */
const WITHOUT: Record<string, string[]> = {
  'TRN 03 → remittances.payer_id (remittance)': ['REF*2U*'],
  'N1*PR 04 → remittances.payer_id (remittance)': ['REF*2U*'],
  'N1*PE 04 → remittances.payee_tin (remittance)': ['REF*TJ*'],
  'DTM*472 02 → claims.service_date (service)': ['DTM*232*'],
  'DTM*150 02 → claims.service_date (service)': ['DTM*232*', 'DTM*472*'],
};

/** The fixture with the entry's element (in the loop it names) set to `value`, or null when it holds no such segment. */
function withElement(e: ElementEntry, value: string): string | null {
  const without = WITHOUT[label(e)] ?? [];
  const segments = BASE.split(SEGMENT_END).filter((s) => !without.some((prefix) => s.startsWith(prefix)));
  let loop: ElementEntry['level'] = 'remittance';
  for (let i = 0; i < segments.length; i++) {
    const el = (segments[i] as string).split('*');
    if (el[0] === 'CLP') loop = 'claim';
    else if (el[0] === 'SVC') loop = 'service';
    else if (el[0] === 'PLB') loop = 'provider';
    if (el[0] !== e.segment || loop !== e.level || (e.qualifier !== undefined && el[1] !== e.qualifier))
      continue;
    while (el.length <= e.position) el.push('');
    if (e.where !== undefined) el[e.where.position] = e.where.value;
    if (e.component !== undefined) {
      const parts = (el[e.position] as string).split(':');
      while (parts.length < e.component) parts.push('');
      parts[e.component - 1] = value;
      el[e.position] = parts.join(':');
    } else el[e.position] = value;
    segments[i] = el.join('*');
    return segments.join(SEGMENT_END);
  }
  return null;
}

/** Whether `expected` is in the entry's column, in a row of the entry's level. */
function landed(rows: NormalizedRemit[], e: ElementEntry, expected: unknown): boolean {
  const remit = rows[0];
  if (remit === undefined) return false;
  const column = e.column;
  if (e.table === 'remittances')
    return (remit.remittance as unknown as Record<string, unknown>)[column] === expected;
  if (e.table === 'claims') {
    const value = (remit.claims[0] as unknown as Record<string, unknown> | undefined)?.[column];
    return e.read === 'list'
      ? String(value ?? '')
          .split(',')
          .includes(expected as string)
      : value === expected;
  }
  const level = e.level === 'remittance' ? 'claim' : e.level;
  return remit.adjustments.some(
    (a) => a.level === level && (a as unknown as Record<string, unknown>)[column] === expected,
  );
}

describe('every element the map names lands in its column (cases/every-element.835)', () => {
  for (const e of ENTRIES) {
    it(label(e), () => {
      const [written, kept] = distinctValue(e);
      const base = parse835(BASE, sourceFor('every.835', BASE));
      expect(landed(base, e, kept), 'the fixture already holds the value').toBe(false);
      const text = withElement(e, written);
      expect(text, 'the fixture carries the segment in that loop').not.toBeNull();
      const lexed = parse835(text as string, sourceFor('every.835', text as string));
      expect(landed(lexed, e, kept), 'read with the segment lexer').toBe(true);
      expect(landed(splitOnly(text as string, 'every.835') as NormalizedRemit[], e, kept), 'split path').toBe(
        true,
      );
    });
  }
});

describe('a new map entry is all a new kept element needs', () => {
  it('REF*G1 of a claim and AMT*B6 of a line (a segment passed over until mapped) reach the rows, lexed and split alike', async () => {
    const extra: ElementEntry[] = [
      {
        segment: 'REF',
        qualifier: 'G1',
        position: 2,
        level: 'claim',
        table: 'claims',
        column: 'prior_authorization',
        type: 'varchar',
        read: 'first',
        note: 'test',
      },
      {
        segment: 'AMT',
        qualifier: 'B6',
        position: 2,
        level: 'service',
        table: 'adjustments',
        column: 'allowed_text',
        type: 'varchar',
        read: 'first',
        note: 'test',
      },
    ];
    vi.resetModules();
    vi.doMock('../functions/core/era/elementMap.ts', async (importOriginal) => {
      const original = await importOriginal<typeof import('../functions/core/era/elementMap.ts')>();
      return { ...original, ELEMENT_MAP: [...original.ELEMENT_MAP, ...extra] };
    });
    try {
      const { parse835: parseWithExtra } = await import('../functions/core/era/parse835.ts');
      const { Era835Reader } = await import('../functions/core/era/reader835.ts');
      const { remitRows } = await import('../functions/core/era/remitRows.ts');
      const { X12Tokenizer } = await import('../functions/core/x12/tokenizer.ts');
      const text = BASE.replace('REF*1K*OTHERREF~', 'REF*G1*AUTH0605~');
      const lexed = parseWithExtra(text, sourceFor('extra.835', text));
      const split: NormalizedRemit[] = [];
      const reader = new Era835Reader(sourceFor('extra.835', text), (remit) => split.push(remitRows(remit)));
      const tokenizer = new X12Tokenizer('extra.835', (el, index, d) => reader.segment(el, index, d));
      tokenizer.write(text);
      tokenizer.end();
      reader.finish();
      for (const rows of [lexed, split]) {
        const claim = rows[0]?.claims[0] as unknown as Record<string, unknown>;
        expect(claim.prior_authorization).toBe('AUTH0605');
        const lines = rows[0]?.adjustments.map((a) => [
          a.level,
          (a as unknown as Record<string, unknown>).allowed_text,
        ]);
        expect(lines).toEqual([
          ['claim', null],
          ['service', '220'],
          ['service', '220'],
          ['provider', null],
        ]);
      }
      expect(lexed).toEqual(split);
    } finally {
      vi.doUnmock('../functions/core/era/elementMap.ts');
      vi.resetModules();
    }
  });
});
