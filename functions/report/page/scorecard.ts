/** The payer scorecard, and how the window's takebacks were linked. */
import { type Column, card, el, notice, table } from './dom.ts';
import { selectPayer } from './drilldown.ts';
import { dateLong, days, money, pct } from './format.ts';
import { data, payerLabel, payerName, scorecardRows } from './payers.ts';
import type { ScorecardRow } from './types.ts';

export function renderScorecard(): void {
  const body = card(
    'scorecard',
    'Payer scorecard',
    data.totals?.window_start
      ? `Trailing window ${dateLong(data.totals.window_start)} – ${dateLong(data.totals.window_end)}, ranked by recoupment rate (1 = highest). The arrow compares the rate with the window before. A payer with no remittance in the window is marked inactive and scored on its own last weeks, ranked after the active payers. Select a payer to see its takebacks.`
      : 'Ranked by recoupment rate (1 = highest). Select a payer to see its takebacks.',
  );
  if (!data.scorecard.available) {
    notice(body, `Scorecard not available: ${data.scorecard.reason}.`);
    return;
  }
  if (scorecardRows.length === 0) {
    notice(body, 'No payer has payments or takebacks in the window.');
    return;
  }
  const maxRate = Math.max(0.0001, ...scorecardRows.map((r) => Number(r.recoupment_rate) || 0));
  const arrow = (t: ScorecardRow['trend']) => {
    if (t === 'up') return el('span', { class: 'trend up', title: 'rate up vs previous window', text: '▲' });
    if (t === 'down')
      return el('span', { class: 'trend down', title: 'rate down vs previous window', text: '▼' });
    if (t === 'flat')
      return el('span', { class: 'trend flat', title: 'about the same as previous window', text: '▬' });
    return el('span', { class: 'muted', text: '—' });
  };
  const columns: Column<ScorecardRow>[] = [
    {
      label: 'Rank',
      render: (r) => el('span', { class: 'rank', text: r.rank === null ? '—' : String(r.rank) }),
    },
    {
      label: 'Payer',
      cls: 'payer-cell',
      render: (r) => [
        el('button', {
          type: 'button',
          text: payerName(r.payer_id),
          'aria-label': `Show takebacks of ${payerLabel(r.payer_id)}`,
          onclick: (e) => {
            e.stopPropagation();
            selectPayer(r.payer_id, true);
          },
        }),
        el('span', { class: 'payer-id', text: r.payer_id }),
        r.active === false
          ? el('span', {
              class: 'status-chip inactive',
              title: `No remittance in the trailing window; scored on ${dateLong(r.window_start)} – ${dateLong(r.window_end)}`,
              text: `inactive · last paid ${dateLong(r.last_payment_date)}`,
            })
          : null,
      ],
    },
    { label: 'Paid', num: true, render: (r) => money(r.paid) },
    { label: 'Takeback', num: true, render: (r) => money(r.takeback), help: 'reversals + PLB recoveries' },
    {
      label: 'Net',
      num: true,
      render: (r) => money(r.net_takeback),
      help: 'takeback − corrections repaid',
    },
    {
      label: 'Rate',
      num: true,
      help: 'takeback ÷ paid',
      render: (r) => [
        pct(r.recoupment_rate),
        // More taken back than paid in the window: takebacks of earlier payments, worth a look.
        Number(r.recoupment_rate) > 1
          ? el('span', {
              class: 'status-chip over-100',
              title: 'More was taken back than paid in the window: takebacks of payments made before it',
              text: 'over 100%',
            })
          : null,
        el('span', {
          class: 'rate-bar',
          'aria-hidden': 'true',
          style: `width:${Math.round((Math.max(0, Number(r.recoupment_rate) || 0) / maxRate) * 40)}px`,
        }),
      ],
    },
    { label: 'Net rate', num: true, render: (r) => pct(r.net_recoupment_rate) },
    {
      label: 'Trend',
      cls: 'nowrap',
      render: (r) => [
        arrow(r.trend),
        r.previous_recoupment_rate !== null
          ? el('span', {
              class: 'small muted',
              title: 'rate in the previous window',
              text: ` was ${pct(r.previous_recoupment_rate)}`,
            })
          : null,
      ],
    },
    {
      label: 'Median lag',
      num: true,
      help: 'days from original payment to takeback',
      render: (r) => (r.median_lag_days === null ? '—' : `${days(r.median_lag_days)} d`),
    },
    {
      label: 'Linked',
      num: true,
      help: 'share of takebacks linked to a claim',
      render: (r) => pct(r.linked_share, 0),
    },
    { label: 'Refunds', num: true, render: (r) => money(r.refunds) },
    { label: 'Interest', num: true, render: (r) => money(r.interest) },
    {
      label: 'Outstanding FB',
      num: true,
      help: 'forwarding balance still carried (−Σ PLB FB)',
      render: (r) => money(r.outstanding_fb),
    },
  ];
  const t: Partial<typeof data.totals> = data.totals || {};
  const totals: Record<string, string> = {
    Payer: 'All payers',
    Paid: money(t.paid),
    Takeback: money(t.takeback),
    Net: money(t.net_takeback),
    Rate: pct(t.recoupment_rate),
    Refunds: money(t.refunds),
    Interest: money(t.interest),
    'Outstanding FB': money(t.outstanding_fb),
  };
  const tableNode = table(columns, scorecardRows, {
    rowAttrs: (r) => ({
      class: r.active === false ? 'payer-row inactive' : 'payer-row',
      'data-payer': r.payer_id,
      onclick: () => selectPayer(r.payer_id, true),
    }),
    footer: (c) => totals[c.label] || '',
  });
  body.append(el('div', { class: 'table-wrap' }, tableNode));
  body.append(
    el('p', {
      class: 'small muted',
      text: '▲ rate rose by more than half a point vs the previous window (worse), ▼ fell, ▬ about the same.',
    }),
  );
}

/** The scorecard's counts and shares of the links by rule. */
type LinkKey = {
  [K in keyof ScorecardRow]-?: K extends `${string}_count` | `${string}_share${string}` ? K : never;
}[keyof ScorecardRow];

// How the window's takebacks were linked: the share of reversals whose correction each rule found,
// the share of PLB recoveries whose claim each rule found, and the over-recoupments flagged.
export function renderLinkRules(): void {
  if (!scorecardRows.some((r) => r.reversal_count !== null || r.plb_recovery_count !== null)) return;
  const body = card(
    'links',
    'How takebacks were linked',
    'In the scorecard window: the share of reversals whose correction each rule found, the share of PLB recoveries whose claim each rule found, and the takebacks flagged as over-recoupment.',
  );
  const share = (key: LinkKey) => (r: ScorecardRow) =>
    r[key] === null || r[key] === undefined ? '—' : pct(r[key], 0);
  const count = (key: LinkKey) => (r: ScorecardRow) =>
    r[key] === null || r[key] === undefined ? '—' : String(r[key]);
  const columns: Column<ScorecardRow>[] = [
    { label: 'Payer', cls: 'payer-cell', render: (r) => payerName(r.payer_id) },
    { label: 'Reversals', num: true, render: count('reversal_count') },
    {
      label: 'Corrected',
      num: true,
      help: 'share of reversals linked to a correction',
      render: share('corrected_share'),
    },
    {
      label: 'by F8',
      num: true,
      help: 'REF*F8 names the reversed claim',
      render: share('correction_share_original_reference'),
    },
    {
      label: 'by ICN',
      num: true,
      help: 'same payer claim control number (CLP07)',
      render: share('correction_share_payer_claim_control'),
    },
    {
      label: 'by CLP01 + dates',
      num: true,
      help: 'same payee, account number and service dates',
      render: share('correction_share_claim_id_service_dates'),
    },
    {
      label: 'by CLP01 + charge',
      num: true,
      help: 'same payee, account number and charge; dates unknown',
      render: share('correction_share_claim_id_charge'),
    },
    {
      label: 'by CLP01 only',
      num: true,
      help: 'the one claim of that payee and account number',
      render: share('correction_share_claim_id'),
    },
    { label: 'PLB recoveries', num: true, render: count('plb_recovery_count') },
    {
      label: 'Linked',
      num: true,
      help: 'share of PLB recoveries linked to a claim',
      render: share('plb_linked_share'),
    },
    { label: 'by ICN', num: true, render: share('plb_share_icn') },
    { label: 'by CLP01', num: true, render: share('plb_share_claim_id') },
    {
      label: 'by ICN in reference',
      num: true,
      help: 'a token of a composite reference is the ICN',
      render: share('plb_share_composite_icn'),
    },
    {
      label: 'by CLP01 in reference',
      num: true,
      help: 'a token of a composite reference is the account number',
      render: share('plb_share_composite_claim_id'),
    },
    {
      label: 'Over-recouped',
      num: true,
      help: 'takebacks beyond what the original paid, or a second reversal of it',
      render: (r) =>
        r.over_recoupment_count ? `${r.over_recoupment_count} · ${money(r.over_recoupment_amount)}` : '—',
    },
  ];
  body.append(el('div', { class: 'table-wrap' }, table(columns, scorecardRows)));
}
