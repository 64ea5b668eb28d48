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

/** Hive partition keys shared by every lake table, outermost first. */
export const PARTITION_KEYS = ['payer_id', 'payment_month'] as const;

const remittances: Column<RemittanceRow>[] = [
  { name: 'remit_id', type: 'varchar' },
  { name: 'source_key', type: 'varchar' },
  { name: 'source_sha256', type: 'varchar' },
  { name: 'payer_id', type: 'varchar', partition: true },
  { name: 'payer_name', type: 'varchar' },
  { name: 'payee_id', type: 'varchar' },
  { name: 'payee_npi', type: 'varchar' },
  { name: 'payee_tin', type: 'varchar' },
  { name: 'payee_name', type: 'varchar' },
  { name: 'handling_code', type: 'varchar' },
  { name: 'payment_amount', type: 'money' },
  { name: 'credit_debit', type: 'varchar' },
  { name: 'payment_method', type: 'varchar' },
  { name: 'payment_date', type: 'date' },
  { name: 'payment_month', type: 'varchar', partition: true },
  { name: 'trace_number', type: 'varchar' },
  { name: 'production_date', type: 'date' },
  { name: 'x12_version', type: 'varchar' },
  { name: 'interchange_control', type: 'varchar' },
  { name: 'transaction_control', type: 'varchar' },
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
  { name: 'claim_id', type: 'varchar' },
  { name: 'status_code', type: 'varchar' },
  { name: 'charge_amount', type: 'money' },
  { name: 'paid_amount', type: 'money' },
  { name: 'patient_responsibility', type: 'money' },
  { name: 'filing_indicator', type: 'varchar' },
  { name: 'payer_claim_control', type: 'varchar' },
  { name: 'facility_code', type: 'varchar' },
  { name: 'frequency_code', type: 'varchar' },
  { name: 'drg_code', type: 'varchar' },
  { name: 'rendering_npi', type: 'varchar' },
  { name: 'payee_npi', type: 'varchar' },
  { name: 'provider_npi', type: 'varchar' },
  { name: 'service_date', type: 'date' },
  { name: 'statement_from', type: 'date' },
  { name: 'statement_to', type: 'date' },
  { name: 'payment_date', type: 'date' },
  { name: 'payment_month', type: 'varchar', partition: true },
  { name: 'is_reversal', type: 'boolean' },
  { name: 'remark_codes', type: 'varchar' },
  { name: 'service_count', type: 'integer' },
  { name: 'balanced', type: 'boolean' },
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
  { name: 'procedure_code', type: 'varchar' },
  { name: 'group_code', type: 'varchar' },
  { name: 'reason_code', type: 'varchar' },
  { name: 'reference_id', type: 'varchar' },
  { name: 'amount', type: 'money' },
  { name: 'quantity', type: 'double' },
  { name: 'category', type: 'varchar' },
  { name: 'cause', type: 'varchar' },
  { name: 'provider_npi', type: 'varchar' },
  { name: 'fiscal_period_date', type: 'date' },
  { name: 'payment_date', type: 'date' },
  { name: 'payment_month', type: 'varchar', partition: true },
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
