/**
 * Charts: the ECharts build the report inlines (window.echarts, SVG renderer), its colours and the
 * options every chart shares.
 */
import { moneyShort } from './format.ts';

/** The part of an ECharts instance the page uses. Options are ECharts' own (echarts.apache.org). */
export interface Chart {
  setOption(option: object, notMerge?: boolean): void;
  resize(): void;
}

declare global {
  interface Window {
    /** The ECharts build inlined ahead of the page script. */
    echarts: { init(box: HTMLElement, theme: null, options: { renderer: 'svg' }): Chart };
  }
}

/** One item of an axis tooltip (trigger 'axis'), with the data item the page gave the point. */
export interface AxisItem<D> {
  axisValue: string;
  dataIndex: number;
  marker: string;
  seriesName: string;
  value: number;
  data: D;
}

/** The item of an item tooltip or label (trigger 'item'). */
export interface ItemParams<V, D> {
  name: string;
  value: V;
  data: D;
}

// Colour-blind-safe categorical palette (Okabe–Ito, yellow swapped for a darker tone).
export const PALETTE = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#6A3D9A',
  '#8C6D31',
  '#4D4D4D',
];
export const BAND = 'rgba(0, 114, 178, 0.18)';
export const INK = '#1b2430';
export const INK_3 = '#6b7585';
const GRID = '#eef1f5';
export const BAD = '#b42318';

/** Every chart drawn, resized with the window. */
export const charts: Chart[] = [];

export function makeChart(box: HTMLElement): Chart {
  const chart = window.echarts.init(box, null, { renderer: 'svg' });
  charts.push(chart);
  return chart;
}

export const axisCommon = {
  axisLine: { lineStyle: { color: '#c9d1dc' } },
  axisTick: { show: false },
  axisLabel: { color: INK_3, fontSize: 11 },
  splitLine: { lineStyle: { color: GRID } },
};
export const moneyAxis = {
  type: 'value',
  ...axisCommon,
  axisLabel: {
    color: INK_3,
    fontSize: 11,
    formatter: (v: number) => moneyShort(v.toFixed(2)),
  },
};
export const baseOption = {
  animation: false,
  textStyle: { fontFamily: getComputedStyle(document.body).fontFamily, color: INK },
  tooltip: {
    trigger: 'axis',
    confine: true,
    borderColor: '#d5dbe3',
    textStyle: { color: INK, fontSize: 12 },
  },
};

/** A round axis maximum above v: 1, 2, 2.5 or 5 times a power of ten. */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
