import { describe, expect, it } from 'vitest';
import { crossValidateBaseline } from '../../models/validation/cross-validate-baseline.js';
import { crossValidate, cvPlan } from '../../models/validation/cross-validate.js';
import type { Fold } from '../../models/validation/label-intervals.js';
import { randomWalkBars } from '../training/synthetic-bars.js';

const n = 12;
const y = Array.from({ length: n }, (_, i) => i % 3);
const iv = { start: Float64Array.from({ length: n }, (_, i) => i), end: Float64Array.from({ length: n }, (_, i) => i + 2) };
const symbolOf = (r: number): string => (r < 6 ? 'BTC/USDT' : 'DOGE/USDT');
/** One-hot on the true class for rows 0…5, on a wrong class for rows 6…11. */
const predictor = async (fold: Fold): Promise<number[]> =>
  Array.from(fold.test).flatMap((r) => {
    const c = r < 6 ? (y[r] as number) : ((y[r] as number) + 1) % 3;
    return [0, 1, 2].map((k) => (k === c ? 1 : 0));
  });

describe('crossValidate', () => {
  it('purged k-fold: per-fold, mean ± std, pooled and per asset class by hand', async () => {
    const r = await crossValidate(cvPlan(iv, { scheme: 'purged-kfold', folds: 3 }), 'purged-kfold', y, 3, symbolOf, predictor);
    expect(r.perFold.map((f) => f.accuracy)).toEqual([1, 0.5, 0]);
    expect(r.perFold.map((f) => f.brier)).toEqual([0, 1, 2]);
    expect(r.perFold.map((f) => f.train)).toEqual([7, 6, 7]); // the row after / before each test block is purged
    expect(r.mean.accuracy).toBe(0.5);
    expect(r.std.accuracy).toBeCloseTo(0.5, 12);
    expect(r.pooled).toMatchObject({ n: 12, accuracy: 0.5, brier: 1 });
    expect(r.byAssetClass['large-cap']).toMatchObject({ n: 6, accuracy: 1, recall: [1, 1, 1] });
    expect(r.byAssetClass['memecoin']).toMatchObject({ n: 6, accuracy: 0, recall: [0, 0, 0] });
  });

  it('CPCV: scores every backtest path; each path sees every row once', async () => {
    const r = await crossValidate(cvPlan(iv, { scheme: 'cpcv', folds: 4, testGroups: 2 }), 'cpcv', y, 3, symbolOf, predictor);
    expect(r.perFold).toHaveLength(6);
    expect(r.paths).toHaveLength(3);
    for (const p of r.paths!) expect(p).toMatchObject({ n: 12, accuracy: 0.5, brier: 1 });
    expect(r.std.accuracy).toBe(0);
    expect(r.pooled.n).toBe(36);
  });
});

describe('crossValidateBaseline', () => {
  it('cross-validates the baseline MLP and LR on the rows before the holdout, deterministically', async () => {
    const bars = [{ symbol: 'BTC/USDT', bars: randomWalkBars(900, 7) }, { symbol: 'DOGE/USDT', bars: randomWalkBars(900, 8) }];
    const opts = { timeframe: '1h', barMs: 3_600_000, horizon: 4, epochs: 2, hidden: [8] };
    const a = await crossValidateBaseline(bars, opts, { scheme: 'walk-forward', folds: 2, embargo: 24 * 3_600_000 });
    expect(a.folds).toBe(2);
    expect(a.mlp.perFold).toHaveLength(2);
    for (const r of [a.mlp, a.logisticRegression]) {
      expect(r.pooled.logLoss).toBeGreaterThan(0.5);
      expect(r.pooled.logLoss).toBeLessThan(2);
      expect(Object.keys(r.byAssetClass).sort()).toEqual(['large-cap', 'memecoin']);
    }
    const b = await crossValidateBaseline(bars, opts, { scheme: 'walk-forward', folds: 2, embargo: 24 * 3_600_000 });
    expect(b).toEqual(a);
  }, 120_000);
});
