import { describe, expect, it } from 'vitest';
import { classificationMetrics } from '../../models/training/classification-metrics.js';
import { trainLogisticRegression } from '../../models/training/logistic-regression.js';
import { mulberry32 } from '../../models/training/seeded-rng.js';
import { predictProbabilities, trainDenseClassifier, weightsOf } from '../../models/training/train-mlp.js';
import type { Matrix } from '../../models/training/train-mlp.js';

const COLS = 4;

/** Seeded 3-class data with a non-linear rule: class by |x0| and the sign of x1 (plus 10 % label noise). */
function data(rows: number, seed: number): Matrix {
  const rng = mulberry32(seed);
  const x = new Float32Array(rows * COLS);
  const y = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < COLS; j++) x[r * COLS + j] = 2 * rng() - 1;
    const a = Math.abs(x[r * COLS]!);
    y[r] = rng() < 0.1 ? Math.floor(rng() * 3) : a < 0.4 ? 1 : x[r * COLS + 1]! > 0 ? 2 : 0;
  }
  return { x, y, rows };
}

const fit = data(3000, 1);
const val = data(600, 2);
const test = data(1000, 3);
const opts = { hidden: [16, 8], classes: 3, seed: 7, epochs: 12, batchSize: 128, learningRate: 0.01, patience: 3 };

describe('dense classifier training', () => {
  it('is deterministic: the same seed gives bit-identical weights and predictions', async () => {
    const short = { ...opts, epochs: 4 };
    const a = await trainDenseClassifier(fit, val, COLS, short);
    const b = await trainDenseClassifier(fit, val, COLS, short);
    const c = await trainDenseClassifier(fit, val, COLS, { ...short, seed: 8 });
    try {
      expect(weightsOf(b.model)).toEqual(weightsOf(a.model));
      expect(b.valLogLoss).toEqual(a.valLogLoss);
      expect(predictProbabilities(b.model, test.x, test.rows, COLS)).toEqual(predictProbabilities(a.model, test.x, test.rows, COLS));
      expect(weightsOf(c.model)).not.toEqual(weightsOf(a.model));
    } finally {
      [a, b, c].forEach((t) => t.model.dispose());
    }
  });

  it('learns a non-linear rule the linear baseline cannot, and keeps the best validation epoch', async () => {
    const mlp = await trainDenseClassifier(fit, val, COLS, opts);
    const lr = await trainLogisticRegression(fit, val, COLS, { seed: 7, epochs: 12, learningRate: 0.01 });
    try {
      const mlpTest = classificationMetrics(predictProbabilities(mlp.model, test.x, test.rows, COLS), test.y, 3);
      const lrTest = classificationMetrics(predictProbabilities(lr.model, test.x, test.rows, COLS), test.y, 3);
      expect(mlpTest.accuracy).toBeGreaterThan(0.8);
      expect(mlpTest.accuracy).toBeGreaterThan(lrTest.accuracy + 0.1);
      expect(mlpTest.logLoss).toBeLessThan(lrTest.logLoss);
      // The weights kept are the best epoch's: their validation log loss is the minimum seen.
      const restored = classificationMetrics(predictProbabilities(mlp.model, val.x, val.rows, COLS), val.y, 3).logLoss;
      expect(restored).toBeCloseTo(Math.min(...mlp.valLogLoss), 10);
      expect(mlp.valLogLoss[mlp.bestEpoch - 1]).toBe(Math.min(...mlp.valLogLoss));
      expect(lr.model.layers).toHaveLength(1);
    } finally {
      mlp.model.dispose();
      lr.model.dispose();
    }
  });

  it('stops early once validation loss stops improving', async () => {
    // A tiny, noisy validation set and a high learning rate: the loss turns up well before 40 epochs.
    const noisy = await trainDenseClassifier(data(300, 4), data(60, 5), COLS, { ...opts, hidden: [64], epochs: 40, learningRate: 0.05, patience: 2 });
    try {
      expect(noisy.epochsRun).toBeLessThan(40);
      expect(noisy.epochsRun - noisy.bestEpoch).toBe(2);
    } finally {
      noisy.model.dispose();
    }
  });

  it('no epoch with a finite validation loss: stops after the patience and keeps the trained weights (as fitClassifier)', async () => {
    const small = data(200, 6);
    const blind: Matrix = { ...data(40, 7), x: new Float32Array(40 * COLS).fill(Number.NaN) };
    const r = await trainDenseClassifier(small, blind, COLS, { ...opts, hidden: [], epochs: 10, patience: 2 });
    try {
      expect([r.bestEpoch, r.epochsRun]).toEqual([0, 2]);
      expect(r.valLogLoss.every(Number.isNaN)).toBe(true);
      expect(Array.from(predictProbabilities(r.model, test.x, test.rows, COLS)).every(Number.isFinite)).toBe(true);
    } finally {
      r.model.dispose();
    }
  });
});
