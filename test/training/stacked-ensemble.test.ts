import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { classificationMetrics } from '../../models/training/classification-metrics.js';
import { fitStackedEnsemble } from '../../models/training/fit-stacked-ensemble.js';
import { mulberry32 } from '../../models/training/seeded-rng.js';
import { outOfFoldProbabilities } from '../../models/training/stacked-ensemble.js';
import type { Matrix } from '../../models/training/train-mlp.js';

const COLS = 4;

/** Class by |x0| (non-linear) with a linear tilt from x1, 10 % label noise. */
function data(rows: number, seed: number): Matrix {
  const rng = mulberry32(seed);
  const x = new Float32Array(rows * COLS).map(() => 2 * rng() - 1);
  const y = Int32Array.from({ length: rows }, (_, r) => {
    if (rng() < 0.1) return Math.floor(rng() * 3);
    const a = Math.abs(x[r * COLS] as number) + 0.3 * (x[r * COLS + 1] as number);
    return a < 0.35 ? 0 : a < 0.75 ? 1 : 2;
  });
  return { x, y, rows };
}

describe('stacked ensemble', () => {
  it('out-of-fold predictions come only from models trained on earlier rows, less the purge', async () => {
    const seen: { train: number[]; predict: number[] }[] = [];
    const oof = await outOfFoldProbabilities(100, 4, 3, [
      (train, predict) => {
        seen.push({ train: Array.from(train), predict: Array.from(predict) });
        return Promise.resolve(new Float32Array(predict.length * 2).fill(0.5));
      },
    ], 2);
    expect(oof.folds).toEqual([
      { train: [0, 22], predict: [25, 50] },
      { train: [0, 47], predict: [50, 75] },
      { train: [0, 72], predict: [75, 100] },
    ]);
    for (const s of seen) expect(Math.max(...s.train) + 3).toBeLessThan(Math.min(...s.predict));
    expect(Array.from(oof.rows)).toEqual(Array.from({ length: 75 }, (_, i) => 25 + i));
    expect(oof.x).toHaveLength(75 * 2);
  }, 180_000);

  it('LR + MLP bases and a logistic meta-learner: one ONNX graph equal to tfjs to 1e-5, and better than its linear base', async () => {
    const fit = data(2400, 1);
    const val = data(500, 2);
    const test = data(800, 3);
    const ens = await fitStackedEnsemble(fit, val, COLS, { bases: [[], [16, 8]], classes: 3, seed: 4, epochs: 15, folds: 3, learningRate: 0.01, batchSize: 128, patience: 3 });
    try {
      const tfjs = ens.predict(test.x, test.rows);
      const session = await InferenceSession.create(ens.onnx);
      let onnx: Float32Array;
      try {
        onnx = (await session.run({ features: new Tensor('float32', test.x, [test.rows, COLS]) }))['probs']?.data as Float32Array;
      } finally {
        await session.release();
      }
      let diff = 0;
      for (let i = 0; i < tfjs.length; i++) diff = Math.max(diff, Math.abs((onnx[i] as number) - (tfjs[i] as number)));
      expect(diff).toBeLessThan(1e-5);

      expect(ens.meta.inDim).toBe(6);
      expect(ens.bases.map((b) => b.length)).toEqual([1, 3]);
      const scores = (p: Float32Array): number => classificationMetrics(p, test.y, 3).logLoss;
      const ensembleLoss = scores(tfjs);
      // The linear base alone cannot fit |x0|: the stack must have learnt to lean on the MLP.
      const { predictProbabilities, trainDenseClassifier } = await import('../../models/training/train-mlp.js');
      const lrOnly = await trainDenseClassifier(fit, val, COLS, { hidden: [], classes: 3, seed: 4, epochs: 15, learningRate: 0.01, batchSize: 128, patience: 3 });
      try {
        const lrLoss = scores(predictProbabilities(lrOnly.model, test.x, test.rows, COLS));
        console.log(`stacked ensemble test log loss ${ensembleLoss.toFixed(4)} vs logistic base alone ${lrLoss.toFixed(4)}`);
        expect(ensembleLoss).toBeLessThan(lrLoss - 0.05);
      } finally {
        lrOnly.model.dispose();
      }
    } finally {
      ens.dispose();
    }
  }, 180_000);

  it('a five-class task gets a five-class meta-learner (the stack was fixed at three classes)', async () => {
    const rng = mulberry32(9);
    const mk = (rows: number): Matrix => {
      const x = new Float32Array(rows * COLS).map(() => 2 * rng() - 1);
      const y = Int32Array.from({ length: rows }, (_, r) => Math.min(4, Math.floor(((x[r * COLS] as number) + 1) * 2.5)));
      return { x, y, rows };
    };
    const fit = mk(300);
    const val = mk(100);
    const ens = await fitStackedEnsemble(fit, val, COLS, { bases: [[], [8]], classes: 5, seed: 4, epochs: 2, folds: 2, learningRate: 0.01, batchSize: 64, patience: 2 });
    try {
      expect(ens.meta.inDim).toBe(10);
      expect(ens.meta.outDim).toBe(5);
      const p = ens.predict(val.x, val.rows);
      expect(p).toHaveLength(val.rows * 5);
      // Every row is a distribution over the five classes, so labels 3 and 4 are scored, not dropped.
      for (let r = 0; r < val.rows; r++) expect(p.subarray(r * 5, r * 5 + 5).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    } finally {
      ens.dispose();
    }
  }, 180_000);
});
