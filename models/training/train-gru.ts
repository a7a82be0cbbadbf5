import * as tf from '@tensorflow/tfjs';
import type { LayersModel } from '@tensorflow/tfjs';
import type { TfjsBackendPreference } from '../runtime/tfjs-backend.js';
import { fitClassifier, seedWeights } from './fit-classifier.js';
import type { EpochReport, FitResult } from './fit-classifier.js';
import { mulberry32 } from './seeded-rng.js';
import { useTfjsBackend } from './train-mlp.js';
import type { SequenceMatrix } from './sequence-windows.js';

export type GruClassifierOptions = Readonly<{
  /** GRU state width. */
  units: number;
  /** Dense ReLU layers between the GRU's last state and the softmax; default none. */
  hidden?: readonly number[];
  classes: number;
  seed: number;
  epochs: number;
  batchSize?: number;
  learningRate?: number;
  patience?: number;
  l2?: number;
  backend?: TfjsBackendPreference;
  onEpoch?: (e: EpochReport) => void;
  cancelled?: () => boolean;
}>;

export type TrainedSequenceClassifier = FitResult & Readonly<{ model: LayersModel; backend: string }>;

/**
 * The tfjs sequence classifier: `[window, cols]` → GRU (tanh, sigmoid gates, reset gate applied
 * before the recurrent product — tfjs's only GRU form, which is ONNX's `linear_before_reset = 0`)
 * → optional ReLU layers → softmax. Gates use the logistic sigmoid, not tfjs's default hard
 * sigmoid, so the exported ONNX GRU runs its default activations (models/onnx/gru-classifier.ts).
 */
export function buildGruClassifier(window: number, cols: number, opts: Pick<GruClassifierOptions, 'units' | 'hidden' | 'classes' | 'l2'>): LayersModel {
  const regularizer = opts.l2 !== undefined && opts.l2 > 0 ? tf.regularizers.l2({ l2: opts.l2 }) : undefined;
  const reg = regularizer !== undefined ? { kernelRegularizer: regularizer } : {};
  return tf.sequential({
    layers: [
      tf.layers.gru({ inputShape: [window, cols], units: opts.units, activation: 'tanh', recurrentActivation: 'sigmoid', returnSequences: false, ...reg }),
      ...(opts.hidden ?? []).map((units) => tf.layers.dense({ units, activation: 'relu', ...reg })),
      tf.layers.dense({ units: opts.classes, activation: 'softmax', ...reg }),
    ],
  });
}

/** Trains {@link buildGruClassifier} on windows, seeded and with early stopping on validation log loss. */
export async function trainGruClassifier(fit: SequenceMatrix, validation: SequenceMatrix, opts: GruClassifierOptions): Promise<TrainedSequenceClassifier> {
  if (fit.window !== validation.window || fit.cols !== validation.cols) throw new RangeError('training and validation windows differ in shape');
  const backend = await useTfjsBackend(opts.backend ?? 'wasm');
  const rng = mulberry32(opts.seed);
  const model = buildGruClassifier(fit.window, fit.cols, opts);
  seedWeights(model, rng);
  model.compile({ optimizer: tf.train.adam(opts.learningRate ?? 3e-3), loss: 'sparseCategoricalCrossentropy' });
  const shape = [fit.window, fit.cols];
  try {
    const r = await fitClassifier(model, { ...fit, shape }, { ...validation, shape }, {
      classes: opts.classes,
      epochs: opts.epochs,
      batchSize: opts.batchSize ?? 256,
      patience: opts.patience ?? 3,
      rng,
      ...(opts.onEpoch !== undefined ? { onEpoch: opts.onEpoch } : {}),
      ...(opts.cancelled !== undefined ? { cancelled: opts.cancelled } : {}),
    });
    return { ...r, model, backend };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
