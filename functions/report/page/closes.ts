/** Closed months: which were restated since they were closed, by how much and why. */
import { card, el, notice, table } from './dom.ts';
import { money, monthLabel, titleCase } from './format.ts';
import { data, payerName } from './payers.ts';
import type { ClosedPeriodRow, RestatementRow } from './types.ts';

const REASON_LABEL: Record<string, string> = {
  late_payment: 'late payment',
  late_takeback: 'late takeback',
  late_correction: 'late correction',
  cause_changed: 'cause changed',
  amount_changed: 'amount changed',
  no_longer_found: 'no longer in the lake',
  unexplained: 'unexplained',
};

/** Months closed and restated since, as their first day (the monthly trend marks them). */
export const restatedMonths = new Set(
  (data.closes?.data?.periods || []).filter((p) => p.restated).map((p) => `${p.period}-01`),
);

export function renderCloses(): void {
  const c = data.closes;
  const body = card(
    'closes',
    'Closed months',
    'Months frozen by `recoup close` as they were reported, and what changed in them since: each change with its reason and the late file that caused it.',
  );
  // No month closed yet is not a fault: say so plainly, not as a warning.
  if (!c || (!c.available && c.data.periods.length === 0)) {
    body.append(el('p', { class: 'empty', text: `No restatements to show: ${c?.reason || 'no data'}.` }));
    return;
  }
  if (!c.available) notice(body, `Restatements not available: ${c.reason}.`);
  body.append(
    el(
      'div',
      { class: 'table-wrap' },
      table<ClosedPeriodRow>(
        [
          { label: 'Month', render: (r) => monthLabel(`${r.period}-01`) },
          { label: 'Closed', render: (r) => String(r.closed_at).replace('T', ' ').slice(0, 16) },
          {
            label: 'Status',
            render: (r) =>
              el('span', {
                class: r.restated ? 'status-chip restated' : 'status-chip',
                'data-restated': r.restated ? 'true' : 'false',
                text: r.restated ? 'Restated' : 'As reported',
              }),
          },
          { label: 'Late files', num: true, render: (r) => String(r.late_files) },
        ],
        c.data.periods,
        { rowAttrs: (r) => ({ class: r.restated ? 'restated-period' : null }) },
      ),
    ),
  );
  const totals = c.data.restatements.reduce((m, r) => {
    const k = `${r.period}|${r.payer_id}|${r.metric}`;
    if (!m.has(k)) m.set(k, r);
    return m;
  }, new Map<string, RestatementRow>());
  if (totals.size > 0) {
    body.append(
      el('h3', { class: 'chart-title spaced', text: 'Restated figures' }),
      el(
        'div',
        { class: 'table-wrap' },
        table<RestatementRow>(
          [
            { label: 'Month', render: (r) => monthLabel(`${r.period}-01`) },
            { label: 'Payer', render: (r) => payerName(r.payer_id) },
            { label: 'Figure', render: (r) => titleCase(r.metric) },
            { label: 'Reported', num: true, render: (r) => money(r.reported_value, true) },
            { label: 'Now', num: true, render: (r) => money(r.current_value, true) },
          ],
          [...totals.values()].filter((r) => r.reported_value !== r.current_value),
        ),
      ),
      el('h3', { class: 'chart-title spaced', text: 'Why' }),
      el(
        'div',
        { class: 'table-wrap' },
        table<RestatementRow>(
          [
            { label: 'Month', render: (r) => monthLabel(`${r.period}-01`) },
            { label: 'Payer', render: (r) => payerName(r.payer_id) },
            { label: 'Figure', render: (r) => titleCase(r.metric) },
            { label: 'Cause', render: (r) => (r.cause ? titleCase(r.cause) : '—') },
            { label: 'Reason', render: (r) => REASON_LABEL[r.reason] || r.reason },
            { label: 'Change', num: true, render: (r) => money(r.delta, true) },
            { label: 'Late file', render: (r) => r.source_key || '—' },
          ],
          c.data.restatements,
        ),
      ),
    );
  }
}
