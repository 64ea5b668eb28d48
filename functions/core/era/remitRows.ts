import { isoDateOfDays } from '../money.ts';
import type {
  AdjustmentColumns,
  AdjustmentRow,
  ClaimColumns,
  ClaimRow,
  NormalizedRemit,
  RemitColumns,
} from '../types.ts';
import { CLAIM_SLOTS, LINE_SLOTS } from './elementRules.ts';
import { CATEGORIES, CAUSES, LEVELS } from './taxonomy.ts';

/** Row objects of one transaction's columns: the shape tests, fixtures and small tools read. */
export function remitRows(remit: RemitColumns): NormalizedRemit {
  const r = remit.remittance;
  const c = remit.claims;
  const a = remit.adjustments;
  const claims: ClaimRow[] = [];
  for (let i = 0; i < c.length; i++) {
    const claim = {
      remit_id: r.remit_id,
      payer_id: r.payer_id,
      claim_seq: i + 1,
      claim_id: c.claim_id[i] as string,
      status_code: c.status_code[i] as string,
      charge_amount: c.charge_amount[i] as number,
      paid_amount: c.paid_amount[i] as number,
      patient_responsibility: numberOrNull(c.patient_responsibility[i]),
      rendering_npi: c.rendering_npi[i] ?? null,
      payee_npi: r.payee_npi,
      provider_npi: c.provider_npi[i] ?? null,
      service_date: dateOrNull(c.service_date[i]),
      statement_from: dateOrNull(c.statement_from[i]),
      statement_to: dateOrNull(c.statement_to[i]),
      payment_date: r.payment_date,
      payment_month: r.payment_month,
      is_reversal: c.is_reversal[i] === 1,
      service_count: c.service_count[i] as number,
      balanced: c.balanced[i] === 1,
    } as ClaimRow;
    // The element map's generic columns, by name.
    for (const name of CLAIM_SLOTS) claim[name] = c[name][i] ?? null;
    claims.push(claim);
  }
  const adjustments: AdjustmentRow[] = [];
  for (let i = 0; i < a.length; i++) {
    // A row's claim columns, its provider included, are its claim's (a PLB row that names no
    // claim of this remittance has none, and its own provider).
    const seq = a.claim_seq[i] as number;
    const claim = Number.isNaN(seq) ? -1 : seq - 1;
    const row = {
      remit_id: r.remit_id,
      payer_id: r.payer_id,
      adjustment_seq: i + 1,
      level: LEVELS[a.level[i] as number] as AdjustmentRow['level'],
      claim_seq: numberOrNull(a.claim_seq[i]),
      claim_id: claim >= 0 ? (c.claim_id[claim] as string) : null,
      claim_status: claim >= 0 ? (c.status_code[claim] as string) : null,
      payer_claim_control: claim >= 0 ? (c.payer_claim_control[claim] ?? null) : null,
      procedure_code: a.procedure_code[i] ?? null,
      group_code: a.group_code[i] ?? null,
      reason_code: a.reason_code[i] as string,
      reference_id: a.reference_id[i] ?? null,
      amount: a.amount[i] as number,
      quantity: numberOrNull(a.quantity[i]),
      category: CATEGORIES[a.category[i] as number] as AdjustmentRow['category'],
      // NO_CAUSE (a reversal's row, a PLB row) is past the end of CAUSES: null.
      cause: (CAUSES[a.cause[i] as number] ?? null) as AdjustmentRow['cause'],
      provider_npi: adjustmentProvider(remit, i),
      fiscal_period_date: dateOrNull(a.fiscal_period_date[i]),
      payment_date: r.payment_date,
      payment_month: r.payment_month,
    } as AdjustmentRow;
    for (const name of LINE_SLOTS) row[name] = a[name][i] ?? null;
    adjustments.push(row);
  }
  return { remittance: r, claims, adjustments };
}

/** Adjustment row i's provider: its claim's, or, on a row that names no claim (a PLB row), its own. */
export function adjustmentProvider(remit: RemitColumns, i: number): string | null {
  const seq = remit.adjustments.claim_seq[i] as number;
  return Number.isNaN(seq)
    ? (remit.adjustments.provider_npi[i] ?? null)
    : (remit.claims.provider_npi[seq - 1] ?? null);
}

function numberOrNull(v: number | undefined): number | null {
  return v === undefined || Number.isNaN(v) ? null : v;
}

function dateOrNull(days: number | undefined): string | null {
  return days === undefined || Number.isNaN(days) ? null : isoDateOfDays(days);
}

/** A copy of a transaction's columns, cut to their length, to keep after the parser's callback. */
export function retainRemit(remit: RemitColumns): RemitColumns {
  return {
    remittance: remit.remittance,
    claims: cut(remit.claims) as unknown as ClaimColumns,
    adjustments: cut(remit.adjustments) as unknown as AdjustmentColumns,
  };
}

function cut(columns: ClaimColumns | AdjustmentColumns): Record<string, unknown> {
  const n = columns.length;
  const out: Record<string, unknown> = { length: n };
  for (const [name, values] of Object.entries(columns)) {
    if (name !== 'length') out[name] = (values as { slice(start: number, end: number): unknown }).slice(0, n);
  }
  return out;
}
