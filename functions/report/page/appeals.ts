/** Appeals due: the takebacks a provider can dispute, most money recoverable first. */
import { type Column, card, el, notice, table } from './dom.ts';
import { dateLong, money, titleCase } from './format.ts';
import { data, payerName } from './payers.ts';
import type { AppealRow } from './types.ts';

const STATUS_LABEL: Record<string, string> = {
  due_7_days: 'Due within 7 days',
  open: 'Open',
  expired: 'Expired',
  repaid_by_correction: 'Repaid by a correction',
};

export function renderAppeals(): void {
  const a = data.appeals?.available ? data.appeals.data : null;
  const body = card(
    'appeals',
    'Appeals due',
    a
      ? `Takebacks the provider can dispute (reversals and offsets; not deferrals, their repayments or refunds), most money recoverable first, net of corrections repaid. Days left as of ${dateLong(a.as_of)}.`
      : 'Takebacks the provider can dispute, most money recoverable first.',
  );
  if (!a) {
    notice(body, `Appeals not available: ${data.appeals?.reason || 'no data'}.`);
    return;
  }
  const tiles = el('div', { class: 'appeal-status' });
  for (const s of a.by_status) {
    tiles.append(
      el('div', { class: `appeal-tile status-${s.status}`, 'data-status': s.status }, [
        el('strong', { text: money(s.recoverable) }),
        el('span', { text: `${STATUS_LABEL[s.status] || titleCase(s.status)} · ${s.appeals}` }),
      ]),
    );
  }
  body.append(tiles);
  if (a.rows.length === 0) {
    body.append(el('p', { class: 'empty', text: 'No appeal is open.' }));
    return;
  }
  const columns: Column<AppealRow>[] = [
    { label: '#', num: true, render: (r) => String(r.rank) },
    {
      label: 'Status',
      render: (r) =>
        el('span', { class: `status-chip status-${r.status}`, text: STATUS_LABEL[r.status] || r.status }),
    },
    { label: 'Days left', num: true, render: (r) => String(r.days_left) },
    { label: 'Deadline', render: (r) => dateLong(r.appeal_deadline) },
    { label: 'Recoverable', num: true, render: (r) => money(r.recoverable_amount, true) },
    { label: 'Taken', num: true, render: (r) => money(r.amount, true) },
    { label: 'Payer', render: (r) => payerName(r.payer_id) },
    { label: 'Kind', render: (r) => (r.kind === 'plb' ? `PLB ${r.reason_code || ''}` : 'Reversal') },
    { label: 'ICN', render: (r) => r.payer_claim_control || '—' },
    {
      label: 'Claim',
      render: (r) => r.claim_id || '—',
      help: 'CLP01, the provider’s patient control number',
    },
    { label: 'Cause', render: (r) => titleCase(r.cause) },
    { label: 'Taken on', render: (r) => dateLong(r.payment_date) },
  ];
  body.append(
    el('div', { class: 'table-wrap' }, table(columns, a.rows, { rowAttrs: () => ({ class: 'appeal-row' }) })),
  );
  body.append(
    el('p', {
      class: 'small muted',
      text: `The ${a.rows.length} open appeals most recoverable${a.rows.length >= a.cap ? ` (of more; \`recoup appeals\` exports them all)` : ''}.`,
    }),
  );
}
