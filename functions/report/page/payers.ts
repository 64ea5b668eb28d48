/**
 * The report's data (the embedded JSON) and its payers: their names, their order (the scorecard's
 * ranking), their colours, and the payer selected for the drill-down.
 */
import { PALETTE } from './charts.ts';
import { el } from './dom.ts';
import type { PageData } from './types.ts';

const source = document.getElementById('report-data');
/** The report's data, as renderReportHtml embedded it (loadReportData.ts gives its shape). */
export const data: PageData = JSON.parse(source ? source.textContent || '{}' : '{}');

export const names = new Map((data.payers || []).map((p) => [p.payer_id, p.payer_name]));
export const scorecardRows = data.scorecard?.available ? data.scorecard.data : [];
for (const r of scorecardRows) if (!names.has(r.payer_id)) names.set(r.payer_id, r.payer_name ?? null);
/** Payers in the scorecard's order, then any other. */
export const payerOrder = scorecardRows.length > 0 ? scorecardRows.map((r) => r.payer_id) : [...names.keys()];
for (const p of names.keys()) if (!payerOrder.includes(p)) payerOrder.push(p);

export function payerName(id: string): string {
  return names.get(id) || id;
}

/** "Name (ID)", or the id when the payer has no other name. */
export function payerLabel(id: string): string {
  const n = names.get(id);
  return n && n !== id ? `${n} (${id})` : id;
}

export const colorOf = new Map(payerOrder.map((p, i) => [p, PALETTE[i % PALETTE.length]]));

/** The page's state: the payer whose takebacks the drill-down shows ('' for all). */
export const state = { selectedPayer: payerOrder[0] || '' };

/** A labelled payer picker. */
export function payerSelect(
  id: string,
  label: string,
  includeAll: boolean,
  selected: string,
  onChange: (payer: string) => void,
): HTMLElement[] {
  const select = el('select', { id, onchange: (e) => onChange((e.target as HTMLSelectElement).value) });
  if (includeAll) select.append(el('option', { value: '', text: 'All payers' }));
  for (const p of payerOrder) select.append(el('option', { value: p, text: payerLabel(p) }));
  select.value = selected;
  return [el('label', { for: id, text: label }), select];
}
