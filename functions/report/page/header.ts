/** The masthead's headline figures and subtitle, and the footer's definitions. */
import { el } from './dom.ts';
import { dateLong, dateShort, moneyShort, pct } from './format.ts';
import { data, payerOrder } from './payers.ts';

export function renderHeader(): void {
  const t: Partial<typeof data.totals> = data.totals || {};
  const alerts = data.alerts?.available ? data.alerts.data.current.length : null;
  const flagged = data.forecast?.available
    ? data.forecast.data.rows.filter((r) => r.flag === true).length
    : null;
  const windowNote =
    t.window_start && t.window_end
      ? `${dateShort(t.window_start)} – ${dateLong(t.window_end)}`
      : 'all periods';
  const kpis: [string, string, string, string?][] = [
    ['Paid', moneyShort(t.paid), windowNote],
    ['Takebacks (gross)', moneyShort(t.takeback), 'reversals + PLB recoveries'],
    ['Net takebacks', moneyShort(t.net_takeback), 'after corrections repaid'],
    ['Recoupment rate', pct(t.recoupment_rate), 'takebacks ÷ paid'],
    ['Outstanding FB', moneyShort(t.outstanding_fb), 'forwarding balance carried'],
    [
      'Current alerts',
      alerts === null ? '—' : String(alerts),
      alerts === null ? 'alerts mart missing' : `since ${dateShort(data.alerts.data.current_since)}`,
      alerts ? 'alert' : '',
    ],
    [
      'Flagged forecast weeks',
      flagged === null ? '—' : String(flagged),
      'payer-weeks over 20% of payments',
      flagged ? 'alert' : '',
    ],
  ];
  const box = document.getElementById('kpis')!;
  for (const [label, value, note, cls] of kpis) {
    box.append(
      el('div', { class: `kpi ${cls || ''}` }, [
        el('div', { class: 'kpi-label', text: label }),
        el('div', { class: 'kpi-value', text: value }),
        el('div', { class: 'kpi-note', text: note }),
      ]),
    );
  }
  const sub = document.getElementById('subtitle')!;
  const parts: string[] = [];
  if (data.period?.from) parts.push(`Payments ${dateLong(data.period.from)} – ${dateLong(data.period.to)}`);
  parts.push(`${payerOrder.length} payer${payerOrder.length === 1 ? '' : 's'}`);
  if (data.as_of) parts.push(`as of ${dateLong(data.as_of)}`);
  sub.textContent = parts.join(' · ');
}

export function renderFooter(): void {
  const f = document.getElementById('footer')!;
  f.append(
    el('p', {
      text: 'Definitions: paid = Σ CLP04 of claims not reversed (CLP02 ≠ 22); takeback = reversals (Σ −CLP04 of CLP02 = 22) + PLB recoveries (WO, WU, OB, 72); net = takeback − corrections repaid; rate = takeback ÷ paid. Refunds = −Σ PLB 72, interest = −Σ PLB L6, outstanding FB = −Σ PLB FB. Weeks start Monday; periods by payment date.',
    }),
  );
  const missing = data.marts?.missing.length ? ` Missing marts: ${data.marts.missing.join(', ')}.` : '';
  f.append(
    el('p', {
      text: `Generated ${data.generated_at ? data.generated_at.replace('T', ' ').slice(0, 16) : ''} UTC by recoup from marts: ${data.marts?.present.join(', ') || 'none'}.${missing}`,
    }),
  );
}
