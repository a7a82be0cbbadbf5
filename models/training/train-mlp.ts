import * as tf from '@tensorflow/tfjs';
import type { LayersModel } from '@tensorflow/tfjs';
import { selectTfjsBackend } from '../runtime/tfjs-backend.js';
import type { TfjsBackendPreference } from '../runtime/tfjs-backend.js';
import { classificationMetrics } from './classification-metrics.js';
import type { EpochReport } from './fit-classifier.js';
import { mulberry32, seededPermutation } from './seeded-rng.js';
import { TrainingCancelledError } from './training-errors.js';

export type DenseClassifierOptions = Readonly<{
  /** Hidden layer widths; `[]` is multinomial logistic regression. */
  hidden: readonly number[];
  classes: number;
  seed: number;
  /** Most passes over the data; early stopping usually ends sooner. */
  epochs: number;
  batchSize?: number;
  learningRate?: number;
  /** Epochs without a better validation log loss before stopping. */
  patience?: number;
  /** L2 penalty on kernels (0 = none). */
  l2?: number;
  /** Default `wasm`: deterministic, and installed everywhere (see models/runtime/tfjs-backend.ts). */
  backend?: TfjsBackendPreference;
  /** Checked between epochs: once aborted, training ends with a `TrainingCancelledError` (nothing is returned). */
  signal?: AbortSignal;
  /** Told after each epoch: its validation log loss and the best epoch so far. */
  onEpoch?: (e: EpochReport) => void;
}>;

export type Matrix = Readonly<{ x: Float32Array; y: Int32Array; rows: number }>;

export type TrainedClassifier = Readonly<{
  model: LayersModel;
  backend: string;
  epochsRun: number;
  /** 1-based epoch whose weights were kept (lowest validation log loss). */
  bestEpoch: number;
  valLogLoss: readonly number[];
}>;

/** Activates the tfjs backend once per thread; returns its name. */
export async function useTfjsBackend(preference: TfjsBackendPreference = 'wasm'): Promise<string> {
  return (await selectTfjsBackend(tf, preference, () => undefined)).backend;
}

/** Row-major class probabilities of `rows × cols` standardised inputs. */
export function predictProbabilities(model: LayersModel, x: Float32Array, rows: number, cols: number): Float32Array {
  return tf.tidy(() => Float32Array.from((model.predict(tf.tensor2d(x, [rows, cols]), { batchSize: 4096 }) as tf.Tensor).dataSync()));
}

/** The kernels and biases of a model, copied out (for determinism checks and reports). */
export function weightsOf(model: LayersModel): Float32Array[] {
  return model.getWeights().map((w) => Float32Array.from(w.dataSync()));
}

/**
 * Trains a dense softmax classifier (ReLU hidden layers) with Adam on sparse cross-entropy.
 * Deterministic for a seed: Glorot-uniform kernels drawn from mulberry32 (tfjs's initialisers
 * use an unseeded generator), zero biases, and each epoch's batch order a seeded permutation.
 * Early stopping watches the log loss of the validation rows and restores the best epoch's
 * weights (tfjs's EarlyStopping callback cannot restore them). An aborted `signal` ends it between
 * epochs with a `TrainingCancelledError`.
 */
export async function trainDenseClassifier(fit: Matrix, validation: Matrix, cols: number, opts: DenseClassifierOptions): Promise<TrainedClassifier> {
  const { hidden, classes, seed, epochs } = opts;
  const batchSize = opts.batchSize ?? 512;
  const patience = opts.patience ?? 3;
  if (fit.rows === 0 || validation.rows === 0) throw new RangeError(`need training and validation rows, got ${fit.rows} and ${validation.rows}`);
  if (!Number.isInteger(epochs) || epochs < 1) throw new RangeError(`epochs must be a positive integer, got ${epochs}`);
  const backend = await useTfjsBackend(opts.backend ?? 'wasm');
  const rng = mulberry32(seed);
  const regularizer = opts.l2 !== undefined && opts.l2 > 0 ? tf.regularizers.l2({ l2: opts.l2 }) : undefined;
  const widths = [...hidden, classes];
  const model = tf.sequential({
    layers: widths.map((units, i) =>
      tf.layers.dense({
        ...(i === 0 ? { inputShape: [cols] } : {}),
        units,
        activation: i === widths.length - 1 ? 'softmax' : 'relu',
        ...(regularizer !== undefined ? { kernelRegularizer: regularizer } : {}),
      }),
    ),
  });
  const init = model.getWeights().map((w) => {
    const [fanIn, fanOut] = w.shape.length === 2 ? (w.shape as [number, number]) : [0, 0];
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const values = new Float32Array(w.size);
    if (w.shape.length === 2) for (let i = 0; i < values.length; i++) values[i] = (2 * rng() - 1) * limit;
    return tf.tensor(values, w.shape);
  });
  model.setWeights(init);
  init.forEach((t) => t.dispose());
  model.compile({ optimizer: tf.train.adam(opts.learningRate ?? 1e-3), loss: 'sparseCategoricalCrossentropy' });

  const xt = tf.tensor2d(fit.x, [fit.rows, cols]);
  const yt = tf.tensor1d(Float32Array.from(fit.y), 'float32');
  let best = Infinity;
  let bestEpoch = 0;
  let bestWeights: tf.Tensor[] = [];
  const valLogLoss: number[] = [];
  let epoch = 0;
  try {
    while (epoch < epochs) {
      if (opts.signal !== undefined) {
        // The epochs run on this thread: a signal's listener (Ctrl-C) runs only when the loop yields
        // to the event loop, which a fit's own awaits do not; not a timer.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (opts.signal.aborted) {
          model.dispose();
          throw new TrainingCancelledError('training cancelled');
        }
      }
      epoch++;
      const perm = tf.tensor1d(seededPermutation(fit.rows, rng), 'int32');
      const xs = tf.gather(xt, perm);
      const ys = tf.gather(yt, perm);
      await model.fit(xs, ys, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
      tf.dispose([perm, xs, ys]);
      const loss = classificationMetrics(predictProbabilities(model, validation.x, validation.rows, cols), validation.y, classes).logLoss;
      valLogLoss.push(loss);
      const improved = loss < best;
      if (improved) {
        best = loss;
        bestEpoch = epoch;
        tf.dispose(bestWeights);
        bestWeights = model.getWeights().map((w) => w.clone());
      }
      opts.onEpoch?.({ epoch, valLogLoss: loss, bestEpoch });
      if (!improved && epoch - bestEpoch >= patience) break;
    }
    // No epoch improved (every validation loss non-finite): nothing to restore, as in fitClassifier.
    if (bestWeights.length > 0) model.setWeights(bestWeights);
  } finally {
    tf.dispose([xt, yt, ...bestWeights]);
  }
  return { model, backend, epochsRun: epoch, bestEpoch, valLogLoss };
}
