import * as tf from '@tensorflow/tfjs';
import type { LayersModel } from '@tensorflow/tfjs';
import { selectTfjsBackend } from '../../models/runtime/tfjs-backend.js';
import { mulberry32, uniform } from './mulberry32.js';

export const FEATURES = 8;
export const CLASSES = 3;
export const HIDDEN = [16, 12] as const;

export type TrainedMlp = Readonly<{
  model: LayersModel;
  /** Training inputs (raw, before standardisation). */
  x: Float32Array;
  labels: Int32Array;
  rows: number;
  mean: Float32Array;
  std: Float32Array;
  accuracy: number;
}>;

/**
 * A small 3-class MLP trained briefly in tfjs on seeded synthetic data: classes are the argmax
 * of three fixed linear scores of 8 features with per-feature offsets and scales (so that the
 * standardisation step matters). Weights are initialised from mulberry32, the data is in a
 * fixed order and shuffling is off, so the model is the same on every run.
 */
export async function trainSmallMlp(seed = 7): Promise<TrainedMlp> {
  await selectTfjsBackend(tf, 'wasm', () => undefined);
  const rng = mulberry32(seed);
  const rows = 600;
  const offsets = uniform(rng, FEATURES, -5, 5);
  const scales = uniform(rng, FEATURES, 0.5, 20);
  const truth = uniform(rng, FEATURES * CLASSES);
  const x = new Float32Array(rows * FEATURES);
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const z = uniform(rng, FEATURES);
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < CLASSES; c++) {
      let s = 0;
      for (let f = 0; f < FEATURES; f++) s += (z[f] as number) * (truth[f * CLASSES + c] as number);
      if (s > bestScore) [best, bestScore] = [c, s];
    }
    labels[r] = best;
    for (let f = 0; f < FEATURES; f++) x[r * FEATURES + f] = (offsets[f] as number) + (scales[f] as number) * (z[f] as number);
  }
  const mean = new Float32Array(FEATURES);
  const std = new Float32Array(FEATURES);
  for (let f = 0; f < FEATURES; f++) {
    let s = 0;
    for (let r = 0; r < rows; r++) s += x[r * FEATURES + f] as number;
    const m = s / rows;
    let v = 0;
    for (let r = 0; r < rows; r++) v += ((x[r * FEATURES + f] as number) - m) ** 2;
    mean[f] = m;
    std[f] = Math.sqrt(v / rows);
  }
  const xs = standardise(x, rows, mean, std);

  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [FEATURES], units: HIDDEN[0], activation: 'relu' }),
      tf.layers.dense({ units: HIDDEN[1], activation: 'tanh' }),
      tf.layers.dense({ units: CLASSES, activation: 'softmax' }),
    ],
  });
  // Glorot-uniform from the seeded generator (tfjs's own initialisers draw from an unseeded one).
  model.setWeights(
    model.getWeights().map((w) => {
      const [fanIn, fanOut] = w.shape.length === 2 ? (w.shape as [number, number]) : [1, 1];
      const limit = w.shape.length === 2 ? Math.sqrt(6 / (fanIn + fanOut)) : 0;
      return tf.tensor(uniform(rng, w.size, -limit, limit), w.shape);
    }),
  );
  model.compile({ optimizer: tf.train.adam(0.02), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const xt = tf.tensor2d(xs, [rows, FEATURES]);
  const yt = tf.tensor1d(labels, 'float32');
  const history = await model.fit(xt, yt, { epochs: 30, batchSize: 50, shuffle: false, verbose: 0 });
  xt.dispose();
  yt.dispose();
  const acc = history.history['acc'] ?? history.history['accuracy'] ?? [];
  return { model, x, labels, rows, mean, std, accuracy: Number(acc[acc.length - 1]) };
}

export function standardise(x: Float32Array, rows: number, mean: Float32Array, std: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  const cols = mean.length;
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < cols; f++) out[r * cols + f] = Math.fround(Math.fround((x[r * cols + f] as number) - (mean[f] as number)) / (std[f] as number));
  }
  return out;
}

/** tfjs predictions for raw rows (standardised here, as the exported graph does in-graph). */
export function predictTfjs(t: TrainedMlp, x: Float32Array, rows: number): Float32Array {
  return tf.tidy(() => (t.model.predict(tf.tensor2d(standardise(x, rows, t.mean, t.std), [rows, FEATURES]), { batchSize: rows }) as tf.Tensor).dataSync() as Float32Array);
}
