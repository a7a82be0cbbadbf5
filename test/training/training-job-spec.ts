import { DEFAULT_PARAMS } from '../../models/training/model-params.js';
import { mulberry32 } from '../../models/training/seeded-rng.js';
import type { TrainingSpec } from '../../models/training/training-spec.js';

/** A small three-class problem (a nonlinear rule over six uniform columns) and an MLP spec on it. */
export const COLS = 6;

export function rows(n: number, seed: number): { x: Float32Array; y: Int32Array; rows: number } {
  const rng = mulberry32(seed);
  const x = new Float32Array(n * COLS).map(() => 2 * rng() - 1);
  const y = Int32Array.from({ length: n }, (_, r) => {
    const s = (x[r * COLS] as number) + 0.5 * (x[r * COLS + 1] as number) * (x[r * COLS + 2] as number);
    return s < -0.3 ? 0 : s > 0.3 ? 2 : 1;
  });
  return { x, y, rows: n };
}

export function mlpSpec(epochs: number, patience: number): TrainingSpec {
  const test = rows(400, 3);
  return {
    model: 'mlp',
    params: { ...DEFAULT_PARAMS.mlp, hidden: [64, 32], epochs, patience, batchSize: 64, learningRate: 0.01, seed: 1 },
    classes: 3,
    window: 1,
    cols: COLS,
    fit: rows(4000, 1),
    validation: rows(800, 2),
    evaluate: { test: { x: test.x, rows: test.rows } },
    export: { inputName: 'features', outputName: 'probs', graphName: 'job_test', metadata: {} },
  };
}
