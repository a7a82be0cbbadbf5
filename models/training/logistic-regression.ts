import { trainDenseClassifier } from './train-mlp.js';
import type { Matrix, TrainedClassifier } from './train-mlp.js';
import type { EpochReport } from './fit-classifier.js';

export type LogisticRegressionOptions = Readonly<{
  seed: number;
  epochs: number;
  l2?: number;
  learningRate?: number;
  patience?: number;
  /** Classes of the softmax; default 3 (down, flat, up). A stacking meta-learner has its task's. */
  classes?: number;
  /** Ends training between epochs with a `TrainingCancelledError` once aborted. */
  signal?: AbortSignal;
  /** Told after each epoch (`trainDenseClassifier`'s `onEpoch`). */
  onEpoch?: (e: EpochReport) => void;
}>;

/**
 * Multinomial logistic regression on the same standardised inputs: a softmax layer and no hidden
 * one, trained by the same loop (Adam, early stopping on the validation log loss). The linear
 * baseline the MLP has to beat for its hidden layers to be worth serving.
 */
export function trainLogisticRegression(fit: Matrix, validation: Matrix, cols: number, opts: LogisticRegressionOptions): Promise<TrainedClassifier> {
  return trainDenseClassifier(fit, validation, cols, {
    hidden: [],
    classes: opts.classes ?? 3,
    seed: opts.seed,
    epochs: opts.epochs,
    learningRate: opts.learningRate ?? 3e-3,
    patience: opts.patience ?? 3,
    l2: opts.l2 ?? 1e-4,
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
    ...(opts.onEpoch !== undefined ? { onEpoch: opts.onEpoch } : {}),
  });
}
