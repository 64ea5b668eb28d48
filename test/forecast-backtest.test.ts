import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import { BacktestError, type BacktestResult, runBacktest } from '../functions/forecast/runBacktest.ts';
import { scoreAlerts } from '../functions/forecast/scoreAlerts.ts';
import { type BacktestWeek, scoreBacktest, scoreBands } from '../functions/forecast/scoreBacktest.ts';
import { sqlString } from '../functions/ports/warehouse.ts';
import { duckDbBacktest } from '../functions/wiring/backtest.ts';
import { buildGeneratedLake } from './fixtures/models/modelLake.ts';

function week(
  payer: string,
  actual: number,
  p50: number,
  baseline: number,
  p10 = 0,
  p90 = 10_000,
): BacktestWeek {
  return { payer_id: payer, week_start: '2024-11-04', actual, p10, p50, p90, baseline };
}

describe('scoreBacktest', () => {
  it('computes WAPE, baseline WAPE and p10-p90 coverage per payer and overall', () => {
    // Prepare: P1 off by 100 and 300 on 1,000 taken; P2 took nothing and was forecast nothing.
    const weeks = [
      week('P1', 400, 500, 600),
      week('P1', 600, 300, 400, 350, 900),
      week('P2', 0, 0, 100),
      week('P2', 0, 0, 100, 50, 80),
    ];

    // Act
    const { payers, total } = scoreBacktest(weeks);

    // Assess
    expect(payers[0]).toMatchObject({ payer_id: 'P1', weeks: 2, actual: 1000, forecast_p50: 800 });
    expect(payers[0]!.wape).toBeCloseTo(0.4, 10);
    expect(payers[0]!.baseline_wape).toBeCloseTo(0.4, 10);
    expect(payers[0]!.coverage).toBe(1);
    expect(payers[1]).toMatchObject({ payer_id: 'P2', wape: null, baseline_wape: null, coverage: 0.5 });
    expect(total.wape).toBeCloseTo(0.4, 10);
    expect(total.baseline_wape).toBeCloseTo(0.6, 10);
    expect(total.coverage).toBe(0.75);
  });
});

describe('scoreBands', () => {
  it('scores the payer-weeks of each horizon band apart, with where the misses fell', () => {
    const at = (h: number, actual: number, p50: number, p10: number, p90: number): BacktestWeek => ({
      ...week('P1', actual, p50, 0, p10, p90),
      horizon_week: h,
    });
    const bands = scoreBands([
      at(1, 100, 100, 50, 150),
      at(4, 200, 100, 50, 150),
      at(5, 10, 100, 50, 150),
      at(13, 100, 50, 0, 200),
    ]);
    expect(bands.map((b) => [b.band, b.weeks, b.coverage, b.below_p10, b.above_p90])).toEqual([
      ['1-4', 2, 0.5, 0, 0.5],
      ['5-8', 1, 0, 1, 0],
      ['9-13', 1, 1, 0, 0],
    ]);
    expect(bands[0]!.wape).toBeCloseTo(100 / 300, 10);
  });
});

describe('scoreAlerts', () => {
  it('matches payer-level alerts to planted spikes by payer and week', () => {
    const spikes = [{ payer_id: 'A', week_start: '2024-06-03' }];
    const alerts = [
      { payer_id: 'B', week_start: '2024-03-04', score: 4, excess: 9000 },
      { payer_id: 'A', week_start: '2024-06-03', score: 7, excess: 30000 },
      { payer_id: 'B', week_start: '2024-09-02', score: 3.6, excess: 6000 },
    ];
    const got = scoreAlerts(alerts, spikes, ['A', 'B', 'C'], 1);
    expect(got).toMatchObject({
      alerts: 3,
      true_alerts: 1,
      detected_spikes: 1,
      recall: 1,
      top_is_spike: true,
      false_by_payer: { A: 0, B: 2, C: 0 },
      max_false_per_payer_year: 2,
    });
    expect(got.precision).toBeCloseTo(1 / 3, 10);
    // A higher-scoring false alert takes the top; a missed spike lowers recall.
    const missed = scoreAlerts([{ ...alerts[0]!, score: 9 }], spikes, ['A', 'B'], 0.5);
    expect(missed).toMatchObject({
      recall: 0,
      precision: 0,
      top_is_spike: false,
      max_false_per_payer_year: 2,
    });
  });
});

describe('runBacktest on generated remittances', () => {
  let built: Awaited<ReturnType<typeof buildGeneratedLake>>;
  let result: BacktestResult;

  beforeAll(async () => {
    built = await buildGeneratedLake({
      seed: 7,
      weeks: 52,
      payers: 5,
      scale: 3,
      spikes: [{ payer: 0, week: 40 }],
    });
    result = await runBacktest({
      ...duckDbBacktest(built.db, built.lake),
      weeks: 8,
      spikes: built.truth.params.spikes,
    });
  });
  afterAll(() => built?.close());

  it('cuts 8 weeks before the latest payment week and scores every payer-week after it', () => {
    expect(result.weeks).toBe(8);
    expect(new Date(`${result.as_of}T00:00:00Z`).getUTCDay()).toBe(0);
    const payers = new Set(result.detail.map((d) => d.payer_id));
    expect(payers.size).toBe(5);
    expect(result.detail).toHaveLength(5 * 8);
    // Each payer's row carries its name, from the lake's own 835s (dim_payers).
    const names = new Map(built.truth.payers.map((p) => [p.payer_id, p.name]));
    expect(result.payers.map((p) => p.payer_name)).toEqual(
      result.payers.map((p) => names.get(String(p.payer_id))),
    );
    expect(
      result.detail.every((d) => d.week_start > result.as_of && d.week_start <= result.latest_week),
    ).toBe(true);
  });

  it('beats the trailing 8-week mean and keeps most payer-weeks inside p10-p90', () => {
    expect(result.total.wape).not.toBeNull();
    expect(result.total.wape!).toBeLessThan(result.total.baseline_wape!);
    expect(result.total.coverage).toBeGreaterThanOrEqual(0.7);
  });

  it('scores each horizon band of the held-back weeks', () => {
    expect(result.bands.map((b) => [b.band, b.weeks])).toEqual([
      ['1-4', 20],
      ['5-8', 20],
    ]);
    expect(result.detail.every((d) => d.horizon_week !== undefined && d.horizon_week <= 8)).toBe(true);
  });

  it('finds the planted spike as the top payer-level alert of the history', () => {
    expect(result.alerts).toMatchObject({ spikes: 1, detected_spikes: 1, recall: 1, top_is_spike: true });
    expect(result.alerts!.max_false_per_payer_year).toBeLessThanOrEqual(1);
  });

  it('writes no mart of the cut into the lake', async () => {
    // The lake's forecast is still the full build's, made after the latest week, not at the cut.
    const db = await openDuckDb();
    try {
      const path = join(built.lake, 'marts', 'liquidity_forecast', 'data.parquet');
      const { rows } = await runQuery(
        db,
        `SELECT DISTINCT as_of::VARCHAR AS as_of FROM read_parquet(${sqlString(path)})`,
      );
      expect(rows).toHaveLength(1);
      expect(String(rows[0]!.as_of) >= result.latest_week).toBe(true);
    } finally {
      db.closeSync();
    }
  });

  it('refuses more held-back weeks than the forecast horizon', async () => {
    const db = await openDuckDb();
    try {
      await expect(runBacktest({ ...duckDbBacktest(db, built.lake), weeks: 14 })).rejects.toBeInstanceOf(
        BacktestError,
      );
    } finally {
      db.closeSync();
    }
  });
});
