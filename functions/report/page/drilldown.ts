/**
 * The drill-down: a payer's takebacks (or all payers'), searchable, exported as CSV; and the
 * selection of a payer, which the scorecard and the alert cards drive.
 */
import { causeText } from './causes.ts';
import { drillCsv } from './csv.ts';
import { type Child, type Column, card, el, notice, table } from './dom.ts';
import { cents, decimalOf, money, titleCase } from './format.ts';
import { data, names, payerLabel, payerName, payerSelect, state } from './payers.ts';
import type { DrillRow } from './types.ts';

/** "PLB WO" or "Reversal": the Kind column's text. */
function kindLabel(r: DrillRow): string {
  return r.kind === 'plb' ? `PLB ${r.reason_code || ''}`.trim() : titleCase(r.kind);
}

/** Lower case, one space between words: how the search box and the rows are compared. */
function searchable(text: unknown): string {
  return String(text).toLowerCase().replace(/\s+/g, ' ').trim();
}

/** What a drill-down row can be found by: the text of its columns (and raw amounts), one per line. */
function drillSearchText(r: DrillRow): string {
  const parts = [
    r.payer_id,
    names.get(r.payer_id),
    r.payment_date,
    kindLabel(r),
    r.kind,
    money(r.amount, true),
    r.amount,
    r.claim_id,
    r.payer_claim_control,
    r.payer_claim_control ? `ICN ${r.payer_claim_control}` : null,
    r.reference_id,
    r.original_payment_date,
    r.original_paid === null || r.original_paid === undefined ? null : money(r.original_paid, true),
    r.correction_payment_date,
    r.correction_payer_claim_control,
    r.correction_repaid === null || r.correction_repaid === undefined
      ? null
      : money(r.correction_repaid, true),
    r.lag_days === null || r.lag_days === undefined ? null : String(r.lag_days),
    titleCase(r.cause),
    r.cause_reason_code ? `CARC ${r.cause_reason_code}` : null,
    r.provider_npi,
  ];
  return parts
    .filter((p) => p !== null && p !== undefined && p !== '')
    .map(searchable)
    .join('\n');
}

/** Draws the table for the selected payer (set once the section is drawn). */
let drawDrill = () => {};
/** The drill-down rows the table shows now (after payer and search), for the CSV export. */
let shownDrillRows: DrillRow[] = [];

export function renderDrill(): void {
  const body = card(
    'drilldown',
    'Takebacks of a payer',
    'Each takeback with the claim it took back, the correction that followed, days from the original payment and the cause. Largest first. Search any column; the CSV holds the rows shown.',
    payerSelect('drill-payer', 'Payer', true, state.selectedPayer, (v) => selectPayer(v, false)),
    'long',
  );
  if (!data.drill.available) {
    notice(body, `Drill-down not available: ${data.drill.reason}.`);
    return;
  }
  const drill = data.drill.data;
  const summary = el('p', { class: 'small muted', id: 'drill-summary' });
  const search = el('input', {
    type: 'search',
    id: 'drill-search',
    class: 'search',
    placeholder: 'Claim, ICN, PLB reference, code, cause…',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-controls': 'drill-table',
    'aria-describedby': 'drill-count',
  });
  const count = el('span', { class: 'drill-count', id: 'drill-count', role: 'status' });
  const csvButton = el('button', {
    type: 'button',
    id: 'drill-csv',
    class: 'action',
    text: 'Download CSV',
    title: 'The rows shown, as CSV (no patient control numbers)',
    onclick: () => downloadDrillCsv(),
  });
  const tools = el('div', { class: 'controls drill-tools' }, [
    el('label', { for: 'drill-search', text: 'Search takebacks' }),
    search,
    count,
    csvButton,
  ]);
  const tableBox = el('div', { class: 'scroll-table', id: 'drill-table' });
  body.append(summary, tools, tableBox);
  const totals = new Map(drill.totals.map((t) => [t.payer_id, t]));
  // The selected payer's rows, each with its table row and search text (built on a payer change).
  let entries: { row: DrillRow; tr: Element; text: string }[] = [];
  let tbody: HTMLTableSectionElement | null = null;
  // Said when nothing matches and the report holds only the largest takebacks.
  let capNote = '';
  const noMatch = el('p', { class: 'empty', id: 'drill-no-match', hidden: true });
  const filter = () => {
    const query = searchable(search.value);
    const shown = query === '' ? entries : entries.filter((e) => e.text.includes(query));
    shownDrillRows = shown.map((e) => e.row);
    if (tbody) tbody.replaceChildren(...shown.map((e) => e.tr));
    count.textContent = `${shown.length} of ${entries.length} rows`;
    noMatch.hidden = !(query !== '' && shown.length === 0 && entries.length > 0);
    noMatch.textContent = `No listed takeback matches “${search.value.trim()}”.${capNote}`;
    csvButton.disabled = shown.length === 0;
  };
  search.addEventListener('input', filter);
  drawDrill = () => {
    const all = state.selectedPayer === '';
    const rows = all ? drill.rows : drill.rows.filter((r) => r.payer_id === state.selectedPayer);
    const chosen = all ? drill.totals : [totals.get(state.selectedPayer)].filter((t) => t !== undefined);
    const takebacks = chosen.reduce((n, t) => n + Number(t.takeback_count), 0);
    const sum = chosen.reduce((c, t) => c + (cents(t.takeback) ?? 0n), 0n);
    const who = all ? 'All payers' : payerLabel(state.selectedPayer);
    capNote =
      takebacks > rows.length
        ? ` This report holds the ${rows.length} largest of ${takebacks.toLocaleString('en-US')} takebacks; \`recoup query\` on takeback_links finds the others.`
        : '';
    summary.textContent =
      chosen.length > 0
        ? `${who}: ${takebacks.toLocaleString('en-US')} takebacks totalling ${money(decimalOf(sum), true)}${takebacks > rows.length ? `; the ${rows.length} largest${all ? ' of each payer' : ''} are listed` : ''}.`
        : `${who}: no takebacks.`;
    if (rows.length === 0) {
      entries = [];
      tbody = null;
      tableBox.replaceChildren(el('p', { class: 'empty', text: 'No takebacks for this payer.' }));
      filter();
      return;
    }
    const claimText = (id: string | null, icn: string | null): Child[] => [
      id || '—',
      icn ? el('span', { class: 'payer-id', text: `ICN ${icn}` }) : null,
    ];
    const columns: (Column<DrillRow> | null)[] = [
      all
        ? {
            label: 'Payer',
            render: (r) => [payerName(r.payer_id), el('span', { class: 'payer-id', text: r.payer_id })],
          }
        : null,
      { label: 'Taken', render: (r) => r.payment_date || '—' },
      { label: 'Kind', render: (r) => el('span', { class: 'pill', text: kindLabel(r) }) },
      { label: 'Amount', num: true, render: (r) => money(r.amount, true) },
      {
        label: 'Original claim',
        help: 'CLP01 and ICN of the claim taken back; for a PLB offset, its PLB reference',
        render: (r) =>
          r.claim_id || r.payer_claim_control || !r.reference_id
            ? [
                ...claimText(r.claim_id, r.payer_claim_control),
                // A PLB offset that names a claim keeps its reference too: the alert cards link to it.
                r.kind === 'plb' && r.reference_id
                  ? el('span', { class: 'payer-id' }, [
                      'PLB reference ',
                      el('span', { class: 'plb-ref', text: r.reference_id }),
                    ])
                  : null,
              ]
            : [
                el('span', { class: 'plb-ref', text: r.reference_id }),
                el('span', { class: 'payer-id', text: 'PLB reference' }),
              ],
      },
      {
        label: 'Originally paid',
        render: (r) => [
          r.original_payment_date || '—',
          r.original_paid !== null && r.original_paid !== undefined
            ? el('span', { class: 'payer-id', text: money(r.original_paid, true) })
            : null,
        ],
      },
      {
        label: 'Correction',
        render: (r) =>
          r.correction_payment_date
            ? [
                r.correction_payment_date,
                r.correction_payer_claim_control
                  ? el('span', { class: 'payer-id', text: `ICN ${r.correction_payer_claim_control}` })
                  : null,
              ]
            : el('span', { class: 'muted', text: r.kind === 'reversal' ? 'pending' : '—' }),
      },
      {
        label: 'Repaid',
        num: true,
        help: 'paid again on the correction',
        render: (r) =>
          r.correction_repaid === null || (r.kind !== 'reversal' && cents(r.correction_repaid) === 0n)
            ? '—'
            : money(r.correction_repaid, true),
      },
      {
        label: 'Lag (days)',
        num: true,
        render: (r) => (r.lag_days === null ? '—' : String(r.lag_days)),
      },
      {
        label: 'Cause',
        render: (r) => [
          causeText(r.cause),
          r.cause_reason_code ? el('span', { class: 'payer-id', text: `CARC ${r.cause_reason_code}` }) : null,
        ],
      },
      { label: 'Provider NPI', render: (r) => r.provider_npi || '—' },
    ];
    const built = table(
      columns.filter((c) => c !== null),
      rows,
      {
        rowAttrs: (r) => ({
          class: 'drill-row',
          'data-kind': r.kind,
          'data-reference': r.kind === 'plb' && r.reference_id ? r.reference_id : null,
        }),
      },
    );
    const body = built.querySelector('tbody')!;
    tbody = body;
    const trs = [...body.children];
    entries = rows.map((row, i) => ({ row, tr: trs[i]!, text: drillSearchText(row) }));
    tableBox.replaceChildren(built, noMatch);
    filter();
  };
  drawDrill();
}

/** Downloads the rows shown as CSV, built here (csv.ts): a Blob, no request. */
function downloadDrillCsv(): void {
  const csv = drillCsv(shownDrillRows, (id) => names.get(id) ?? null);
  const query = (document.getElementById('drill-search') as HTMLInputElement | null)?.value.trim();
  const name = `takebacks-${state.selectedPayer || 'all-payers'}${query ? '-search' : ''}-${data.as_of || 'report'}.csv`;
  // A byte order mark so that spreadsheet programs read the file as UTF-8.
  const url = URL.createObjectURL(new Blob(['\ufeff', csv], { type: 'text/csv;charset=utf-8' }));
  const link = el('a', { href: url, download: name.replace(/[^A-Za-z0-9._-]+/g, '_'), hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started from the URL by then; it is freed a while later, not at once.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Shows a payer's drill-down searched for `query` (an alert card's PLB reference) and moves there. */
export function showInDrill(payer: string, query: string): void {
  const search = document.getElementById('drill-search') as HTMLInputElement | null;
  if (search) search.value = query;
  selectPayer(payer, false);
  const target = document.getElementById('drilldown');
  if (target) target.scrollIntoView({ block: 'start' });
  if (search) search.focus({ preventScroll: true });
}

/** Selects a payer: marks its scorecard row, and shows its takebacks in the drill-down. */
export function selectPayer(payer: string, scroll: boolean): void {
  state.selectedPayer = payer;
  for (const tr of document.querySelectorAll('tr.payer-row'))
    tr.classList.toggle('selected', tr.getAttribute('data-payer') === payer);
  const select = document.getElementById('drill-payer') as HTMLSelectElement | null;
  if (select) select.value = payer;
  drawDrill();
  const target = document.getElementById('drilldown');
  if (scroll && target) target.scrollIntoView({ behavior: 'smooth', block: 'start' });
}
