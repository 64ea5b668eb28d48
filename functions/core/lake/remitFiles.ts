import { adjustmentProvider } from '../era/remitRows.ts';
import { CATEGORIES, CAUSES, LEVELS } from '../era/taxonomy.ts';
import { daysOfIsoDate } from '../money.ts';
import type { RemitColumns } from '../types.ts';
import { type ColumnData, columnsOfRows, encodeParquet } from './parquetEncoder.ts';
import { type Column, LAKE_TABLES, type LakeTable, tableColumns } from './schema.ts';

/** Columns stored inside the Parquet files: partition columns live in the Hive path. */
export const FILE_COLUMNS: Record<LakeTable, Column<Record<string, unknown>>[]> = {
  remittances: tableColumns('remittances').filter((c) => c.partition !== true),
  claims: tableColumns('claims').filter((c) => c.partition !== true),
  adjustments: tableColumns('adjustments').filter((c) => c.partition !== true),
};

/**
 * The lake files of one transaction: one Parquet file per table that has rows, encoded straight
 * from the reader's columns (values the same on every row are written as constants).
 */
export function encodeRemitFiles(remit: RemitColumns): Partial<Record<LakeTable, Buffer>> {
  const files: Partial<Record<LakeTable, Buffer>> = {};
  for (const table of LAKE_TABLES) {
    const rows =
      table === 'remittances' ? 1 : table === 'claims' ? remit.claims.length : remit.adjustments.length;
    if (rows === 0) continue;
    files[table] = encodeParquet(FILE_COLUMNS[table], fileColumnData(remit, table), rows);
  }
  return files;
}

/** The data of each file column of a table, in the schema's order (exported for the writer benchmark). */
export function fileColumnData(remit: RemitColumns, table: LakeTable): ColumnData[] {
  const r = remit.remittance;
  if (table === 'remittances')
    return columnsOfRows(FILE_COLUMNS.remittances, [r as unknown as Record<string, unknown>]);
  const source = (table === 'claims' ? remit.claims : remit.adjustments) as unknown as Record<
    string,
    ArrayLike<number> | readonly (string | null)[]
  >;
  const paymentDate = r.payment_date === null ? null : daysOfIsoDate(r.payment_date);
  return FILE_COLUMNS[table].map((column): ColumnData => {
    switch (column.name) {
      case 'remit_id':
        return { kind: 'constant', value: r.remit_id };
      case 'payee_npi':
        return { kind: 'constant', value: r.payee_npi };
      case 'payment_date':
        return { kind: 'constant', value: paymentDate };
      case 'level':
        return { kind: 'codes', codes: remit.adjustments.level, names: LEVELS };
      case 'category':
        return { kind: 'codes', codes: remit.adjustments.category, names: CATEGORIES };
      case 'cause':
        return { kind: 'codes', codes: remit.adjustments.cause, names: CAUSES };
    }
    if ((table === 'claims' && column.name === 'claim_seq') || column.name === 'adjustment_seq')
      return { kind: 'sequence' };
    if (table === 'claims' && (column.name === 'claim_id' || column.name === 'payer_claim_control'))
      return { kind: 'strings', values: remit.claims[column.name], unique: true };
    if (table === 'adjustments' && (column.name === 'claim_id' || column.name === 'payer_claim_control'))
      return { kind: 'lookup', values: remit.claims[column.name], at: remit.adjustments.claim_seq };
    // An adjustment's claim status is its claim's (null on a PLB row that names no claim).
    if (table === 'adjustments' && column.name === 'claim_status')
      return { kind: 'lookup', values: remit.claims.status_code, at: remit.adjustments.claim_seq };
    if (table === 'adjustments' && column.name === 'provider_npi') return adjustmentProviders(remit);
    const values = source[column.name];
    if (values === undefined) throw new Error(`no values for ${table}.${column.name}`);
    return column.type === 'varchar'
      ? { kind: 'strings', values: values as readonly (string | null)[] }
      : { kind: 'numbers', values: values as ArrayLike<number> };
  });
}

/**
 * An adjustment's provider: its claim's, or, on a PLB row that names no claim of the remittance,
 * the PLB's own. Looked up from the claims when no such PLB row has one (most files), else one
 * value a row.
 */
function adjustmentProviders(remit: RemitColumns): ColumnData {
  const a = remit.adjustments;
  let own = false;
  for (let i = 0; i < a.length && !own; i++) own = Number.isNaN(a.claim_seq[i]) && a.provider_npi[i] != null;
  if (!own) return { kind: 'lookup', values: remit.claims.provider_npi, at: a.claim_seq };
  const values = new Array<string | null>(a.length);
  for (let i = 0; i < a.length; i++) values[i] = adjustmentProvider(remit, i);
  return { kind: 'strings', values };
}
