/** Why and from whom: takebacks by cause and by provider, for all payers or one. */
import { CAUSE_HELP } from './causes.ts';
import { axisCommon, baseOption, INK, INK_3, type ItemParams, makeChart, moneyAxis } from './charts.ts';
import { card, chartBox, el, notice } from './dom.ts';
import { cents, decimalOf, esc, money, moneyShort, num, titleCase } from './format.ts';
import { data, payerSelect } from './payers.ts';
import type { CauseRow, ProviderRow } from './types.ts';

type BarRow = CauseRow | ProviderRow;
/** A bar: its value, its label, and the row it stands for. */
interface Bar<R> {
  value: number;
  row: R;
  name: string;
}

export function renderBreakdowns(): void {
  let payer = '';
  const body = card(
    'breakdowns',
    'Why and from whom',
    'Gross takebacks by cause (the adjustment reason on the correction) and by rendering provider, over every period in the report.',
    payerSelect('breakdown-payer', 'Payer', true, '', (v) => {
      payer = v;
      draw();
    }),
  );
  if (!data.causes.available) {
    notice(body, `Cause and provider breakdowns not available: ${data.causes.reason}.`);
    return;
  }
  const causeBox = chartBox('tall', 'Takebacks by cause, bar chart');
  const providerBox = chartBox('tall', 'Takebacks by provider, bar chart');
  body.append(
    el('div', { class: 'grid-2' }, [
      el('div', {}, [el('h3', { class: 'chart-title', text: 'By cause' }), causeBox]),
      el('div', {}, [
        el('h3', { class: 'chart-title', id: 'provider-chart-title', text: 'By provider (top 10)' }),
        providerBox,
        el('p', { class: 'small muted', id: 'billing-note' }),
      ]),
    ]),
  );
  body.append(
    el('dl', { class: 'legend', id: 'cause-legend', 'aria-label': 'What the catch-all causes mean' }, [
      ...Object.entries(CAUSE_HELP).flatMap(([cause, help]) => [
        el('dt', { text: titleCase(cause) }),
        el('dd', { text: help }),
      ]),
    ]),
  );
  const causeChart = makeChart(causeBox);
  const providerChart = makeChart(providerBox);
  function bars<R extends BarRow>(
    rows: R[],
    labelOf: (row: R) => string,
    color: string,
    labelWidth: number,
    helpOf?: (row: R) => string | undefined,
  ) {
    const sorted = rows.slice().sort((a, b) => num(a.takeback) - num(b.takeback));
    return {
      ...baseOption,
      grid: { left: labelWidth + 12, right: 64, top: 6, bottom: 28 },
      tooltip: {
        ...baseOption.tooltip,
        trigger: 'item',
        formatter: (i: ItemParams<number, Bar<R>>) =>
          `<b>${esc(i.name)}</b><br>Gross ${esc(money(i.data.row.takeback, true))}` +
          (helpOf?.(i.data.row) ? `<br><i>${esc(helpOf(i.data.row))}</i>` : '') +
          (i.data.row.net_takeback !== null ? `<br>Net ${esc(money(i.data.row.net_takeback, true))}` : '') +
          (i.data.row.takeback_count !== null ? `<br>${esc(i.data.row.takeback_count)} takebacks` : ''),
      },
      xAxis: { ...moneyAxis, splitNumber: 4 },
      yAxis: {
        type: 'category',
        data: sorted.map(labelOf),
        ...axisCommon,
        splitLine: { show: false },
        axisLabel: { color: INK, fontSize: 12, width: labelWidth, overflow: 'truncate' },
      },
      series: [
        {
          type: 'bar',
          barMaxWidth: 18,
          itemStyle: { color, borderRadius: [0, 3, 3, 0] },
          label: {
            show: true,
            position: 'right',
            color: INK_3,
            fontSize: 11,
            formatter: (i: ItemParams<number, Bar<R>>) => moneyShort(i.data.row.takeback),
          },
          data: sorted.map((r): Bar<R> => ({ value: num(r.takeback), row: r, name: labelOf(r) })),
        },
      ],
    };
  }
  const providerLabel = (r: ProviderRow) =>
    r.provider_name ? `${r.provider_npi} · ${r.provider_name}` : `NPI ${r.provider_npi}`;
  function draw() {
    const causes = payer
      ? data.causes.data.by_payer.filter((r) => r.payer_id === payer)
      : data.causes.data.all;
    const rows = payer
      ? data.providers.data.by_payer.filter((r) => r.payer_id === payer)
      : data.providers.data.all;
    // With roles, the chart ranks rendering providers; billing (payee) NPIs carry the PLB offsets
    // that name no claim and the claims without a rendering NPI, and are summed apart.
    const roles = rows.some((r) => r.provider_role);
    const providers = rows.filter((r) => !roles || r.provider_role === 'rendering').slice(0, 10);
    const billing = rows.filter((r) => roles && r.provider_role === 'billing');
    document.getElementById('provider-chart-title')!.textContent = roles
      ? 'By rendering provider (top 10)'
      : 'By provider (top 10)';
    const billed = billing.reduce((sum, r) => sum + (cents(r.takeback) ?? 0n), 0n);
    document.getElementById('billing-note')!.textContent = roles
      ? billing.length > 0
        ? `Not ranked here: ${money(decimalOf(billed), true)} charged to ${billing.length} billing (payee) NPI${billing.length === 1 ? '' : 's'} (${billing.map((r) => r.provider_npi).join(', ')}): PLB offsets that name no claim and claims without a rendering NPI.`
        : 'No takeback is charged to a billing (payee) NPI.'
      : '';
    causeChart.setOption(
      bars(
        causes,
        (r) => titleCase(r.cause),
        '#0072B2',
        165,
        (r) => (r.cause === null ? undefined : CAUSE_HELP[r.cause]),
      ),
      true,
    );
    providerChart.setOption(bars(providers, providerLabel, '#009E73', 250), true);
  }
  draw();
}
