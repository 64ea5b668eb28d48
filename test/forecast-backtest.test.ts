import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDb, sqlString } from '../functions/adapters/duckdb/openDuckDb.ts';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import { BacktestError, type BacktestResult, runBacktest } from '../functions/forecast/runBacktest.ts';
import { type BacktestWeek, scoreBacktest } from '../functions/forecast/scoreBacktest.ts';
import { buildGeneratedLake, type ModelLake } from './fixtures/models/modelLake.ts';

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

describe('runBacktest on generated remittances', () => {
  let built: ModelLake;
  let result: BacktestResult;

  beforeAll(async () => {
    built = await buildGeneratedLake({ seed: 7, weeks: 52, payers: 5, scale: 3 });
    result = await runBacktest({ db: built.db, lakeDir: built.lake, weeks: 8 });
  });
  afterAll(() => built?.close());

  it('cuts 8 weeks before the latest payment week and scores every payer-week after it', () => {
    expect(result.weeks).toBe(8);
    expect(new Date(`${result.as_of}T00:00:00Z`).getUTCDay()).toBe(0);
    const payers = new Set(result.detail.map((d) => d.payer_id));
    expect(payers.size).toBe(5);
    expect(result.detail).toHaveLength(5 * 8);
    expect(
      result.detail.every((d) => d.week_start > result.as_of && d.week_start <= result.latest_week),
    ).toBe(true);
  });

  it('beats the trailing 8-week mean and keeps most payer-weeks inside p10-p90', () => {
    expect(result.total.wape).not.toBeNull();
    expect(result.total.wape!).toBeLessThan(result.total.baseline_wape!);
    expect(result.total.coverage).toBeGreaterThanOrEqual(0.7);
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
      await expect(runBacktest({ db, lakeDir: built.lake, weeks: 14 })).rejects.toBeInstanceOf(BacktestError);
    } finally {
      db.closeSync();
    }
  });
});
