/** Takeback trends by payer: weekly and monthly line charts, gross or net. */
import {
  type AxisItem,
  axisCommon,
  BAD,
  baseOption,
  INK,
  INK_3,
  makeChart,
  moneyAxis,
  PALETTE,
} from './charts.ts';
import { restatedMonths } from './closes.ts';
import { card, chartBox, el, notice, segmented } from './dom.ts';
import { dateShort, esc, money, monthLabel, num, type Value } from './format.ts';
import { colorOf, data, payerName, payerOrder } from './payers.ts';
import type { TrendRow } from './types.ts';

type Measure = 'takeback' | 'net_takeback';
/** A point of a payer's line: the exact amount for the tooltip, and whether its period is partial. */
interface Point {
  value: number;
  exact: Value;
  partial: boolean;
  symbol?: string;
}

export function renderTrends(): void {
  let measure: Measure = 'takeback';
  const body = card(
    'trends',
    'Takeback trends by payer',
    'Takebacks by the week and month the money was taken (payment date).',
    [
      segmented<Measure>(
        [
          ['takeback', 'Gross'],
          ['net_takeback', 'Net'],
        ],
        measure,
        (v) => {
          measure = v;
          draw();
        },
        'Measure',
      ),
    ],
  );
  if (!data.trend.available) {
    notice(body, `Trends not available: ${data.trend.reason}.`);
    return;
  }
  const weeklyBox = chartBox('tall', 'Weekly takebacks by payer, line chart');
  const monthlyBox = chartBox('tall', 'Monthly takebacks by payer, line chart');
  body.append(
    el('h3', { class: 'chart-title', text: 'Weekly' }),
    weeklyBox,
    el('h3', { class: 'chart-title spaced', text: 'Monthly' }),
    monthlyBox,
    el('p', {
      class: 'small muted',
      id: 'partial-note',
      text: 'Shaded “partial”: a week or month the data covers only in part (the as-of date falls inside it); a hollow point: a payer’s partly covered first or last period. Their totals are of part of a period.',
    }),
  );
  const weekly = makeChart(weeklyBox);
  const monthly = makeChart(monthlyBox);
  function option(rows: TrendRow[], label: (period: string) => string, marks?: Set<string>) {
    const periods = [...new Set(rows.map((r) => r.period))].sort();
    const byPayer = new Map<string, Map<string, TrendRow>>();
    for (const r of rows) {
      if (!byPayer.has(r.payer_id)) byPayer.set(r.payer_id, new Map());
      byPayer.get(r.payer_id)!.set(r.period, r);
    }
    // Periods the data covers only in part for every payer (the as-of date falls inside them):
    // shaded, so a rate on a few days of a month is not read as a month's.
    const partial = periods.filter((d) =>
      rows.filter((r) => r.period === d).every((r) => r.partial === true),
    );
    const first = payerOrder.find((q) => byPayer.has(q));
    const series = payerOrder
      .filter((p) => byPayer.has(p))
      .map((p) => ({
        name: payerName(p),
        type: 'line',
        showSymbol: periods.length < 20,
        symbolSize: 5,
        lineStyle: { width: 2 },
        itemStyle: { color: colorOf.get(p) },
        emphasis: { focus: 'series' },
        markArea:
          partial.length > 0 && p === first
            ? {
                silent: true,
                itemStyle: { color: 'rgba(107, 117, 133, 0.12)' },
                label: { formatter: 'partial', color: INK_3, fontSize: 11, position: 'insideTop' },
                data: partial.map((d) => [{ xAxis: d }, { xAxis: d }]),
              }
            : undefined,
        markLine:
          marks && p === first
            ? {
                symbol: 'none',
                silent: true,
                lineStyle: { color: BAD, type: 'dashed' },
                label: { formatter: 'restated', color: BAD, fontSize: 11 },
                data: periods.filter((d) => marks.has(d)).map((d) => ({ xAxis: d })),
              }
            : undefined,
        data: periods.map((d): Point => {
          const r = byPayer.get(p)!.get(d);
          // A payer's partly covered period (its first, or the as-of one) is a hollow point.
          return {
            value: r ? num(r[measure]) : 0,
            exact: r ? r[measure] : null,
            partial: r?.partial === true,
            symbol: r?.partial === true ? 'emptyCircle' : undefined,
          };
        }),
      }));
    return {
      ...baseOption,
      color: PALETTE,
      legend: {
        top: 0,
        left: 0,
        icon: 'roundRect',
        itemWidth: 14,
        itemHeight: 4,
        itemGap: 18,
        textStyle: { color: INK, fontSize: 12 },
      },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      tooltip: {
        ...baseOption.tooltip,
        formatter: (items: AxisItem<Point> | AxisItem<Point>[]) => {
          const list = ([] as AxisItem<Point>[]).concat(items).sort((a, b) => b.value - a.value);
          const head = list[0] ? label(list[0].axisValue) : '';
          return [`<b>${esc(head)}</b>`]
            .concat(
              list.map(
                (i) =>
                  `${i.marker}${esc(i.seriesName)}&nbsp;&nbsp;<b>${esc(money(i.data.exact, true))}</b>` +
                  (i.data.partial ? ' <i>(part of the period)</i>' : ''),
              ),
            )
            .join('<br>');
        },
      },
      xAxis: {
        type: 'category',
        data: periods,
        ...axisCommon,
        axisLabel: { ...axisCommon.axisLabel, formatter: label },
      },
      yAxis: moneyAxis,
      series,
    };
  }
  function draw() {
    weekly.setOption(option(data.trend.data.weekly, dateShort), true);
    monthly.setOption(option(data.trend.data.monthly, monthLabel, restatedMonths), true);
  }
  draw();
}
