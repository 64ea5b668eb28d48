/** The 13-week liquidity forecast of a payer: a fan chart and its table. */
import {
  type AxisItem,
  axisCommon,
  BAD,
  BAND,
  baseOption,
  INK,
  makeChart,
  moneyAxis,
  niceMax,
} from './charts.ts';
import { card, chartBox, el, notice, table } from './dom.ts';
import { cents, dateLong, dateShort, esc, money, moneyShort, num, pct } from './format.ts';
import { data, payerOrder, payerSelect } from './payers.ts';
import type { ForecastRow } from './types.ts';

type MoneyKey = 'expected_payments' | 'takeback_p50' | 'scheduled_offsets' | 'net_cash_p50';

export function renderForecast(): void {
  const rows = data.forecast.available ? data.forecast.data.rows : [];
  const withForecast = payerOrder.filter((p) => rows.some((r) => r.payer_id === p));
  const flaggedFirst = withForecast.find((p) => rows.some((r) => r.payer_id === p && r.flag === true));
  let payer = flaggedFirst || withForecast[0] || '';
  const intro = `Expected takebacks for the next 13 weeks${data.forecast.data?.as_of ? ` after ${dateLong(data.forecast.data.as_of)}` : ''}: the band is the 10th–90th percentile, the line the median. Shaded weeks are flagged: median takebacks plus scheduled offsets exceed 20% of expected payments.`;
  const body = card(
    'forecast',
    '13-week liquidity forecast',
    intro,
    data.forecast.available && withForecast.length > 0
      ? payerSelect('forecast-payer', 'Payer', false, payer, (v) => {
          payer = v;
          draw();
        })
      : null,
  );
  if (!data.forecast.available) {
    notice(body, `Forecast not available: ${data.forecast.reason}.`);
    return;
  }
  if (withForecast.length === 0) {
    notice(body, 'The forecast mart has no rows.');
    return;
  }
  const stats = el('div', { class: 'stats' });
  const box = chartBox('tall', 'Forecast fan chart of weekly takebacks');
  const tableBox = el('div', { class: 'table-wrap' });
  body.append(stats, box, tableBox);
  const chart = makeChart(box);
  function sum(list: ForecastRow[], key: MoneyKey): string {
    let total = 0n;
    for (const r of list) total += cents(r[key]) || 0n;
    const neg = total < 0n;
    const abs = neg ? -total : total;
    return `${neg ? '-' : ''}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
  }
  function draw() {
    const list = rows.filter((r) => r.payer_id === payer);
    const flagged = list.filter((r) => r.flag === true);
    const figures: [string, string, string][] = [
      ['Expected payments', moneyShort(sum(list, 'expected_payments')), ''],
      ['Takebacks, median', moneyShort(sum(list, 'takeback_p50')), ''],
      ['Scheduled offsets', moneyShort(sum(list, 'scheduled_offsets')), ''],
      ['Net cash, median', moneyShort(sum(list, 'net_cash_p50')), ''],
      ['Flagged weeks', `${flagged.length} of ${list.length}`, flagged.length ? 'flag' : ''],
    ];
    stats.replaceChildren(
      ...figures.map(([label, value, cls]) =>
        el('div', { class: `stat ${cls}` }, [
          el('div', { class: 'stat-label', text: label }),
          el('div', { class: 'stat-value', text: value }),
        ]),
      ),
    );
    const weeks = list.map((r) => r.week_start);
    // Flagged weeks are shaded by a full-height background bar (markArea needs two distinct categories).
    const yMax = niceMax(
      Math.max(
        ...list.map((r) =>
          Math.max(
            num(r.takeback_p90),
            num(r.scheduled_offsets),
            num(r.takeback_p50),
            num(r.expected_payments) * 0.2,
          ),
        ),
      ) * 1.08,
    );
    chart.setOption(
      {
        ...baseOption,
        legend: {
          bottom: 0,
          data: [
            'Takebacks p10–p90',
            'Takebacks p50',
            'Scheduled offsets',
            '20% of expected payments',
            'Flagged week',
          ],
          textStyle: { color: INK },
        },
        grid: { left: 8, right: 16, top: 16, bottom: 42, containLabel: true },
        tooltip: {
          ...baseOption.tooltip,
          formatter: (items: AxisItem<unknown> | AxisItem<unknown>[]) => {
            const first = ([] as AxisItem<unknown>[]).concat(items)[0];
            const r = list[first ? first.dataIndex : 0];
            if (!r) return '';
            return [
              `<b>Week of ${esc(dateLong(r.week_start))}</b>${r.flag ? ` <span style="color:${BAD}">● flagged</span>` : ''}`,
              `Expected payments <b>${esc(money(r.expected_payments))}</b>`,
              `Takebacks p10 / p50 / p90 <b>${esc(money(r.takeback_p10))} / ${esc(money(r.takeback_p50))} / ${esc(money(r.takeback_p90))}</b>`,
              `Scheduled offsets <b>${esc(money(r.scheduled_offsets))}</b>`,
              `Net cash (p50) <b>${esc(money(r.net_cash_p50))}</b>`,
              `Takeback share <b>${esc(pct(r.takeback_share))}</b>`,
            ].join('<br>');
          },
        },
        xAxis: [
          {
            type: 'category',
            data: weeks,
            boundaryGap: true,
            ...axisCommon,
            axisLabel: { ...axisCommon.axisLabel, formatter: dateShort },
          },
          { type: 'category', data: weeks, show: false },
        ],
        yAxis: { ...moneyAxis, max: yMax },
        series: [
          {
            name: 'Flagged week',
            type: 'bar',
            xAxisIndex: 1,
            barWidth: '94%',
            z: 0,
            silent: true,
            tooltip: { show: false },
            itemStyle: { color: 'rgba(180, 35, 24, 0.06)' },
            data: list.map((r) => (r.flag ? yMax : '-')),
          },
          {
            name: 'band-base',
            type: 'line',
            stack: 'band',
            symbol: 'none',
            lineStyle: { opacity: 0 },
            tooltip: { show: false },
            data: list.map((r) => num(r.takeback_p10)),
          },
          {
            name: 'Takebacks p10–p90',
            type: 'line',
            stack: 'band',
            symbol: 'none',
            lineStyle: { opacity: 0 },
            itemStyle: { color: BAND },
            areaStyle: { color: BAND },
            data: list.map((r) => Math.max(0, num(r.takeback_p90) - num(r.takeback_p10))),
          },
          {
            name: 'Scheduled offsets',
            type: 'bar',
            barWidth: '40%',
            itemStyle: { color: '#E69F00', opacity: 0.85 },
            data: list.map((r) => num(r.scheduled_offsets)),
          },
          {
            name: 'Takebacks p50',
            type: 'line',
            symbol: 'circle',
            symbolSize: 6,
            lineStyle: { width: 2.5, color: '#0072B2' },
            itemStyle: { color: '#0072B2' },
            data: list.map((r) => ({
              value: num(r.takeback_p50),
              itemStyle: r.flag ? { color: BAD, borderColor: BAD } : undefined,
              symbolSize: r.flag ? 9 : 6,
            })),
          },
          {
            name: '20% of expected payments',
            type: 'line',
            symbol: 'none',
            lineStyle: { type: 'dashed', width: 1.5, color: '#4D4D4D' },
            itemStyle: { color: '#4D4D4D' },
            data: list.map((r) => num(r.expected_payments) * 0.2),
          },
        ],
      },
      true,
    );
    tableBox.replaceChildren(
      table<ForecastRow>(
        [
          { label: 'Week of', render: (r) => dateLong(r.week_start) },
          { label: 'Expected payments', num: true, render: (r) => money(r.expected_payments) },
          { label: 'Takeback p10', num: true, render: (r) => money(r.takeback_p10) },
          { label: 'p50', num: true, render: (r) => money(r.takeback_p50) },
          { label: 'p90', num: true, render: (r) => money(r.takeback_p90) },
          { label: 'Scheduled offsets', num: true, render: (r) => money(r.scheduled_offsets) },
          { label: 'Net cash (p50)', num: true, render: (r) => money(r.net_cash_p50) },
          { label: 'Share', num: true, render: (r) => pct(r.takeback_share) },
          {
            label: '',
            render: (r) => (r.flag ? el('span', { class: 'pill flag', text: 'over 20%' }) : ''),
          },
        ],
        list,
      ),
    );
  }
  draw();
}
