import * as tf from '@tensorflow/tfjs';
import type { LayersModel } from '@tensorflow/tfjs';
import { classificationMetrics } from './classification-metrics.js';
import { EpochVerdict, earlyStopping } from './early-stopping.js';
import { seededPermutation } from './seeded-rng.js';

/** Row-major inputs of any rank: `shape` is one row's shape (`[cols]`, `[window, cols]`). */
export type TensorRows = Readonly<{ x: Float32Array; y: Int32Array; rows: number; shape: readonly number[] }>;

export type EpochReport = Readonly<{ epoch: number; valLogLoss: number; bestEpoch: number }>;

export type FitOptions = Readonly<{
  classes: number;
  epochs: number;
  batchSize: number;
  patience: number;
  /** Draws each epoch's batch order (seeded). */
  rng: () => number;
  onEpoch?: (e: EpochReport) => void;
  /** Checked between epochs; true ends training with the best weights so far. */
  cancelled?: () => boolean;
}>;

export type FitResult = Readonly<{ epochsRun: number; bestEpoch: number; valLogLoss: readonly number[]; cancelled: boolean }>;

const tensorOf = (m: TensorRows): tf.Tensor => tf.tensor(m.x, [m.rows, ...m.shape]);

/** Row-major class probabilities of `model` on `m`'s inputs. */
export function predictRows(model: LayersModel, m: Pick<TensorRows, 'x' | 'rows' | 'shape'>): Float32Array {
  if (m.rows === 0) return new Float32Array(0);
  return tf.tidy(() => Float32Array.from((model.predict(tf.tensor(m.x, [m.rows, ...m.shape]), { batchSize: 4096 }) as tf.Tensor).dataSync()));
}

/**
 * Adam epochs over `fit` in a seeded order, scoring the validation log loss after each, with
 * patience-based early stopping ({@link earlyStopping}); the best epoch's weights are restored.
 * The model must be compiled. Between epochs the loop yields (each `fit` awaits), so a caller on
 * a worker thread can receive a cancel message and `cancelled()` sees it.
 */
export async function fitClassifier(model: LayersModel, fit: TensorRows, validation: TensorRows, opts: FitOptions): Promise<FitResult> {
  if (fit.rows === 0 || validation.rows === 0) throw new RangeError(`need training and validation rows, got ${fit.rows} and ${validation.rows}`);
  if (!Number.isInteger(opts.epochs) || opts.epochs < 1) throw new RangeError(`epochs must be a positive integer, got ${opts.epochs}`);
  const xt = tensorOf(fit);
  const yt = tf.tensor1d(Float32Array.from(fit.y), 'float32');
  const es = earlyStopping(opts.patience);
  let bestWeights: tf.Tensor[] = [];
  const valLogLoss: number[] = [];
  let cancelled = false;
  try {
    while (es.epochs < opts.epochs) {
      // Lets a worker's message handler run (a cancel) before deciding to go on; not a timer.
      if (opts.cancelled !== undefined) await new Promise<void>((resolve) => setImmediate(resolve));
      if (opts.cancelled?.() === true) {
        cancelled = true;
        break;
      }
      const perm = tf.tensor1d(seededPermutation(fit.rows, opts.rng), 'int32');
      const xs = tf.gather(xt, perm);
      const ys = tf.gather(yt, perm);
      await model.fit(xs, ys, { epochs: 1, batchSize: opts.batchSize, shuffle: false, verbose: 0 });
      tf.dispose([perm, xs, ys]);
      const loss = classificationMetrics(predictRows(model, validation), validation.y, opts.classes).logLoss;
      valLogLoss.push(loss);
      const verdict = es.observe(loss);
      if (verdict === EpochVerdict.improved) {
        tf.dispose(bestWeights);
        bestWeights = model.getWeights().map((w) => w.clone());
      }
      opts.onEpoch?.({ epoch: es.epochs, valLogLoss: loss, bestEpoch: es.bestEpoch });
      if (verdict === EpochVerdict.stop) break;
    }
    if (bestWeights.length > 0) model.setWeights(bestWeights);
  } finally {
    tf.dispose([xt, yt, ...bestWeights]);
  }
  return { epochsRun: es.epochs, bestEpoch: es.bestEpoch, valLogLoss, cancelled };
}

/** Glorot-uniform kernels from a seeded generator, zero biases (tfjs's initialisers are unseeded). */
export function seedWeights(model: LayersModel, rng: () => number): void {
  const init = model.getWeights().map((w) => {
    const values = new Float32Array(w.size);
    if (w.shape.length === 2) {
      const [fanIn, fanOut] = w.shape as [number, number];
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < values.length; i++) values[i] = (2 * rng() - 1) * limit;
    }
    return tf.tensor(values, w.shape);
  });
  model.setWeights(init);
  tf.dispose(init);
}
