import { describe, expect, it } from 'vitest';
import { correlationFilter, correlationMatrix } from '../../models/training/correlation-filter.js';
import { selectFeatures } from '../../models/training/feature-selection.js';
import { permutationImportance } from '../../models/training/permutation-importance.js';
import { mulberry32 } from '../../models/training/seeded-rng.js';
import { predictProbabilities, trainDenseClassifier } from '../../models/training/train-mlp.js';
import type { Matrix } from '../../models/training/train-mlp.js';

const COLS = 5;
const gauss = (rng: () => number): number => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());

/** x0 decides the class, x1 is a noisy copy of x0 (ρ ≈ 0.96), x2 helps a little, x3 and x4 are noise. */
function data(rows: number, seed: number): Matrix {
  const rng = mulberry32(seed);
  const x = new Float32Array(rows * COLS);
  const y = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const x0 = gauss(rng);
    const row = [x0, x0 + 0.3 * gauss(rng), gauss(rng), gauss(rng), gauss(rng)];
    x.set(row, r * COLS);
    const s = 1.5 * x0 + 0.5 * (row[2] as number) + 0.5 * gauss(rng);
    y[r] = s < -0.6 ? 0 : s > 0.6 ? 2 : 1;
  }
  return { x, y, rows };
}

describe('feature selection', () => {
  it('permutation importance is exactly zero for columns the model ignores, per whole window', async () => {
    // A fixed "model" over 3-step windows of 3 columns that reads only column 1 at the last step.
    const steps = 3;
    const cols = 3;
    const rows = 200;
    const rng = mulberry32(3);
    const x = new Float32Array(rows * steps * cols).map(() => 2 * rng() - 1);
    const y = Int32Array.from({ length: rows }, (_, r) => ((x[(r * steps + steps - 1) * cols + 1] as number) > 0 ? 1 : 0));
    const predict = (input: Float32Array, n: number): Float32Array => {
      const out = new Float32Array(n * 2);
      for (let r = 0; r < n; r++) {
        const p = 1 / (1 + Math.exp(-8 * (input[(r * steps + steps - 1) * cols + 1] as number)));
        out[r * 2] = 1 - p;
        out[r * 2 + 1] = p;
      }
      return out;
    };
    const a = await permutationImportance(predict, x, y, { classes: 2, cols, steps, seed: 1, repeats: 4 });
    const b = await permutationImportance(predict, x, y, { classes: 2, cols, steps, seed: 1, repeats: 4 });
    expect(b).toEqual(a);
    expect(a.importance[0]).toBe(0);
    expect(a.importance[2]).toBe(0);
    expect(a.importance[1]).toBeGreaterThan(1);
  });

  it('the correlation filter keeps the more important of a correlated pair', () => {
    const rng = mulberry32(8);
    const rows = 500;
    const x = new Float64Array(rows * 3);
    for (let r = 0; r < rows; r++) {
      const a = gauss(rng);
      x.set([a, -a + 0.05 * gauss(rng), gauss(rng)], r * 3);
    }
    const corr = correlationMatrix(x, 3);
    expect(corr[0 * 3 + 1]).toBeLessThan(-0.99);
    expect(Math.abs(corr[0 * 3 + 2] as number)).toBeLessThan(0.15);
    expect(correlationFilter(corr, 3, [0.1, 0.3, 0.0], 0.9)).toEqual({ kept: [1, 2], dropped: [{ column: 0, keptInstead: 1, correlation: corr[1] }] });
    expect(correlationFilter(corr, 3, [0.3, 0.1, 0.0], 0.9).kept).toEqual([0, 2]);
  });

  it('on a trained model: keeps the informative feature and the weak one, drops the copy and the noise', async () => {
    const fit = data(3000, 1);
    const val = data(1500, 2);
    const lr = await trainDenseClassifier(fit, val, COLS, { hidden: [], classes: 3, seed: 1, epochs: 25, batchSize: 128, learningRate: 0.03, patience: 3 });
    try {
      const sel = await selectFeatures((x, n) => predictProbabilities(lr.model, x, n, COLS), val.x, val.y, fit.x, {
        classes: 3,
        cols: COLS,
        seed: 5,
        repeats: 3,
        maxCorrelation: 0.9,
        minImportance: 0.01,
      });
      const imp = sel.importance.importance;
      expect(imp[0]).toBeGreaterThan(imp[2] as number);
      expect(imp[2]).toBeGreaterThan(0.01);
      expect(Math.abs(imp[3] as number)).toBeLessThan(0.01);
      expect(Math.abs(imp[4] as number)).toBeLessThan(0.01);
      expect(sel.kept).toEqual([0, 2]);
      expect(sel.correlated.map((d) => [d.column, d.keptInstead])).toEqual([[1, 0]]);
      expect([...sel.unimportant].sort()).toEqual([3, 4]);
    } finally {
      lr.model.dispose();
    }
  }, 120_000);
});
