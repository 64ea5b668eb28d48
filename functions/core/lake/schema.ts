import { ELEMENT_MAP } from '../era/elementMap.ts';
import type { AdjustmentRow, ClaimRow, RemittanceRow } from '../types.ts';

/** SQL type of a lake column; `money` is DECIMAL(18,2) and is carried as integer cents in TypeScript. */
export type ColumnType = 'varchar' | 'money' | 'date' | 'boolean' | 'integer' | 'double' | 'timestamp';

export interface Column<Row> {
  name: keyof Row & string;
  type: ColumnType;
  /** Partition columns live in the Hive path, not in the Parquet file. */
  partition?: true;
}

export type LakeTable = 'remittances' | 'claims' | 'adjustments';
export const LAKE_TABLES: readonly LakeTable[] = ['remittances', 'claims', 'adjustments'];

/**
 * A column filled from 835 elements: its type is the element map's (era/elementMap.ts, where
 * every kept element is declared). Throws at load for a column the map does not fill.
 */
function mapped<Row>(table: LakeTable, name: keyof Row & string): Column<Row> {
  const types = new Set(
    ELEMENT_MAP.filter((e) => e.table === table && e.column === name).map((e) => e.type as ColumnType),
  );
  const [type] = types;
  if (type === undefined || types.size > 1)
    throw new Error(`lake schema: ${table}.${name} is not in the element map with one type`);
  return { name, type };
}

/** Folder (under the lake) where marts are written, one sub-folder per mart. */
export const MARTS_DIR = 'marts';

/** Hive partition keys shared by every lake table, outermost first. */
export const PARTITION_KEYS = ['payer_id', 'payment_month'] as const;

const remittances: Column<RemittanceRow>[] = [
  { name: 'remit_id', type: 'varchar' },
  { name: 'remit_key', type: 'varchar' },
  { name: 'content_sha256', type: 'varchar' },
  { name: 'source_key', type: 'varchar' },
  { name: 'source_sha256', type: 'varchar' },
  { name: 'payer_id', type: 'varchar', partition: true },
  mapped<RemittanceRow>('remittances', 'payer_name'),
  { name: 'payee_id', type: 'varchar' },
  mapped<RemittanceRow>('remittances', 'payee_npi'),
  mapped<RemittanceRow>('remittances', 'payee_tin'),
  mapped<RemittanceRow>('remittances', 'payee_name'),
  mapped<RemittanceRow>('remittances', 'handling_code'),
  mapped<RemittanceRow>('remittances', 'payment_amount'),
  mapped<RemittanceRow>('remittances', 'credit_debit'),
  mapped<RemittanceRow>('remittances', 'payment_method'),
  mapped<RemittanceRow>('remittances', 'payment_date'),
  { name: 'payment_month', type: 'varchar', partition: true },
  mapped<RemittanceRow>('remittances', 'trace_number'),
  mapped<RemittanceRow>('remittances', 'production_date'),
  mapped<RemittanceRow>('remittances', 'x12_version'),
  mapped<RemittanceRow>('remittances', 'interchange_control'),
  mapped<RemittanceRow>('remittances', 'transaction_control'),
  { name: 'claim_count', type: 'integer' },
  { name: 'plb_total', type: 'money' },
  { name: 'balance_difference', type: 'money' },
  { name: 'unbalanced_claims', type: 'integer' },
  { name: 'unbalanced_services', type: 'integer' },
  { name: 'balanced', type: 'boolean' },
  { name: 'warnings', type: 'varchar' },
  { name: 'ingested_at', type: 'timestamp' },
];

const claims: Column<ClaimRow>[] = [
  { name: 'remit_id', type: 'varchar' },
  { name: 'payer_id', type: 'varchar', partition: true },
  { name: 'claim_seq', type: 'integer' },
  mapped<ClaimRow>('claims', 'claim_id'),
  mapped<ClaimRow>('claims', 'status_code'),
  mapped<ClaimRow>('claims', 'charge_amount'),
  mapped<ClaimRow>('claims', 'paid_amount'),
  mapped<ClaimRow>('claims', 'patient_responsibility'),
  mapped<ClaimRow>('claims', 'filing_indicator'),
  mapped<ClaimRow>('claims', 'payer_claim_control'),
  mapped<ClaimRow>('claims', 'facility_code'),
  mapped<ClaimRow>('claims', 'frequency_code'),
  mapped<ClaimRow>('claims', 'drg_code'),
  mapped<ClaimRow>('claims', 'rendering_npi'),
  { name: 'payee_npi', type: 'varchar' },
  { name: 'provider_npi', type: 'varchar' },
  mapped<ClaimRow>('claims', 'service_date'),
  mapped<ClaimRow>('claims', 'statement_from'),
  mapped<ClaimRow>('claims', 'statement_to'),
  { name: 'payment_date', type: 'date' },
  { name: 'payment_month', type: 'varchar', partition: true },
  { name: 'is_reversal', type: 'boolean' },
  mapped<ClaimRow>('claims', 'remark_codes'),
  { name: 'service_count', type: 'integer' },
  { name: 'balanced', type: 'boolean' },
  mapped<ClaimRow>('claims', 'original_reference'),
  mapped<ClaimRow>('claims', 'medical_record_number'),
];

const adjustments: Column<AdjustmentRow>[] = [
  { name: 'remit_id', type: 'varchar' },
  { name: 'payer_id', type: 'varchar', partition: true },
  { name: 'adjustment_seq', type: 'integer' },
  { name: 'level', type: 'varchar' },
  { name: 'claim_seq', type: 'integer' },
  { name: 'claim_id', type: 'varchar' },
  { name: 'claim_status', type: 'varchar' },
  { name: 'payer_claim_control', type: 'varchar' },
  mapped<AdjustmentRow>('adjustments', 'procedure_code'),
  mapped<AdjustmentRow>('adjustments', 'group_code'),
  mapped<AdjustmentRow>('adjustments', 'reason_code'),
  mapped<AdjustmentRow>('adjustments', 'reference_id'),
  mapped<AdjustmentRow>('adjustments', 'amount'),
  mapped<AdjustmentRow>('adjustments', 'quantity'),
  { name: 'category', type: 'varchar' },
  { name: 'cause', type: 'varchar' },
  { name: 'provider_npi', type: 'varchar' },
  mapped<AdjustmentRow>('adjustments', 'fiscal_period_date'),
  { name: 'payment_date', type: 'date' },
  { name: 'payment_month', type: 'varchar', partition: true },
  mapped<AdjustmentRow>('adjustments', 'line_control_number'),
];

/** Column lists of the lake tables, in file order. One source for the writer, the views and Glue. */
export const LAKE_SCHEMA = { remittances, claims, adjustments } as const;

/** The columns of a lake table, untyped by row, for code that handles every table alike. */
export function tableColumns(table: LakeTable): Column<Record<string, unknown>>[] {
  return LAKE_SCHEMA[table] as unknown as Column<Record<string, unknown>>[];
}

/** DuckDB type of a lake column. */
export function duckdbType(type: ColumnType): string {
  switch (type) {
    case 'money':
      return 'DECIMAL(18,2)';
    case 'varchar':
      return 'VARCHAR';
    case 'date':
      return 'DATE';
    case 'boolean':
      return 'BOOLEAN';
    case 'integer':
      return 'INTEGER';
    case 'double':
      return 'DOUBLE';
    case 'timestamp':
      return 'TIMESTAMP';
  }
}

/** Athena/Glue type of a lake column. */
export function glueType(type: ColumnType): string {
  switch (type) {
    case 'money':
      return 'decimal(18,2)';
    case 'varchar':
      return 'string';
    case 'date':
      return 'date';
    case 'boolean':
      return 'boolean';
    case 'integer':
      return 'int';
    case 'double':
      return 'double';
    case 'timestamp':
      return 'timestamp';
  }
}

/** Sanitizes a partition value so it is safe as a Hive path segment on S3 and on disk. */
export function partitionSafe(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return cleaned.length > 0 ? cleaned.slice(0, 80) : 'unknown';
}

/** The object key of one remittance's file in one lake table. */
export function lakeObjectKey(
  table: LakeTable,
  payerId: string,
  paymentMonth: string,
  remitId: string,
): string {
  return `${table}/payer_id=${payerId}/payment_month=${paymentMonth}/${remitId}.parquet`;
}
