/** Recoupment by payment month: a payer's development triangle as a heat map, and its cohort rates. */
import { axisCommon, baseOption, type ItemParams, makeChart } from './charts.ts';
import { card, chartBox, el, notice, table } from './dom.ts';
import { esc, money, monthLabel, pct } from './format.ts';
import { data, payerOrder, payerSelect, state } from './payers.ts';
import type { CohortRow } from './types.ts';

/** A heat map cell: [week after payment, month's row, cumulative share]. */
type Cell = [number, number, number];

export function renderCohorts(): void {
  const c = data.cohorts?.available ? data.cohorts.data : null;
  let payer = payerOrder.find((p) => c?.rows.some((r) => r.payer_id === p)) || state.selectedPayer;
  const body = card(
    'cohorts',
    'Recoupment by payment month',
    `Each row is a month of payments; each cell the share of that month's paid taken back within so many weeks of payment (a development triangle). Cells still developing are paler.${c?.maturity_weeks ? ` A month's cohort rate is its share after ${c.maturity_weeks} weeks.` : ''}`,
    c
      ? payerSelect('cohort-payer', 'Payer', false, payer, (v) => {
          payer = v;
          draw();
        })
      : null,
  );
  if (!c) {
    notice(body, `Cohorts not available: ${data.cohorts?.reason || 'no data'}.`);
    return;
  }
  const cohorts = c;
  const box = chartBox(
    'tall heatmap',
    'Development triangle: cumulative share of each payment month taken back by week',
  );
  const rates = el('div', { class: 'table-wrap' });
  body.append(box, el('h3', { class: 'chart-title spaced', text: 'Cohort rates' }), rates);
  const chart = makeChart(box);
  function draw() {
    const rows = cohorts.rows.filter((r) => r.payer_id === payer);
    const months = rows.map((r) => r.cohort_month);
    const weeks = Math.max(0, ...rows.map((r) => (r.shares || []).length));
    const cells: { value: Cell; itemStyle?: { opacity: number } }[] = [];
    let max = 0;
    rows.forEach((r, y) => {
      (r.shares || []).forEach((v, x) => {
        if (v === null || v === undefined) return;
        max = Math.max(max, Number(v));
        cells.push({
          value: [x, y, Number(v)],
          itemStyle: x > r.complete_weeks ? { opacity: 0.45 } : undefined,
        });
      });
    });
    chart.setOption(
      {
        ...baseOption,
        tooltip: {
          ...baseOption.tooltip,
          trigger: 'item',
          formatter: (i: ItemParams<Cell, unknown>) =>
            `<b>${esc(monthLabel(months[i.value[1]]!))}</b><br>after ${i.value[0]} week${i.value[0] === 1 ? '' : 's'}: <b>${esc(pct(i.value[2], 2))}</b> of paid`,
        },
        grid: { left: 8, right: 16, top: 16, bottom: 56, containLabel: true },
        xAxis: {
          type: 'category',
          name: 'weeks after payment',
          nameLocation: 'middle',
          nameGap: 28,
          data: Array.from({ length: weeks }, (_, i) => String(i)),
          ...axisCommon,
        },
        yAxis: {
          type: 'category',
          data: months,
          inverse: true,
          ...axisCommon,
          axisLabel: { ...axisCommon.axisLabel, formatter: monthLabel },
        },
        visualMap: {
          min: 0,
          max: max > 0 ? max : 0.01,
          calculable: false,
          orient: 'horizontal',
          left: 'center',
          bottom: 0,
          itemHeight: 120,
          text: [pct(max > 0 ? max : 0.01, 1), '0%'],
          inRange: { color: ['#f7fbff', '#6baed6', '#08306b'] },
        },
        series: [{ type: 'heatmap', data: cells, progressive: 0 }],
      },
      true,
    );
    rates.replaceChildren(
      table<CohortRow>(
        [
          { label: 'Month', render: (r) => monthLabel(r.cohort_month) },
          { label: 'Paid', num: true, render: (r) => money(r.cohort_paid) },
          { label: 'Taken back so far', num: true, render: (r) => pct((r.shares || []).at(-1), 2) },
          {
            label: 'Cohort rate',
            num: true,
            render: (r) => (r.cohort_rate === null ? 'maturing' : pct(r.cohort_rate, 2)),
          },
          {
            label: 'Net cohort rate',
            num: true,
            render: (r) => (r.net_cohort_rate === null ? '—' : pct(r.net_cohort_rate, 2)),
          },
        ],
        rows,
      ),
    );
  }
  draw();
}
