import type { TensorRows } from './fit-classifier.js';
import type { ModelKind, ModelParams } from './model-params.js';
import type { SearchSpace, Trial } from './search-space.js';

/**
 * One training job as plain data (it is structured-cloned into a worker): the rows, the model
 * and its parameters, and optionally feature selection and a hyper-parameter search before the
 * final fit. Inputs are standardised already; `shape` of the row sets is `[cols]` for the MLP and
 * `[window, cols]` for the GRU.
 */
export type TrainingSpec = Readonly<{
  model: ModelKind;
  params: ModelParams;
  classes: number;
  /** Time steps per row: 1 for the MLP, the window W for the GRU. */
  window: number;
  cols: number;
  fit: Omit<TensorRows, 'shape'>;
  validation: Omit<TensorRows, 'shape'>;
  /** Row sets scored by the final model; their tfjs probabilities come back in the result. */
  evaluate: Readonly<Record<string, Readonly<{ x: Float32Array; rows: number }>>>;
  selectFeatures?: Readonly<{ maxCorrelation: number; minImportance: number; repeats: number; seed: number }>;
  search?: Readonly<{ sampler: 'random' | 'tpe'; trials: number; seed: number; space: SearchSpace }>;
  /**
   * The stacked ensemble's out-of-fold scheme (model `ensemble`): forward-chaining folds over the
   * time-ordered fit rows, and the rows left out before each predicted fold (labels overlapping it).
   */
  ensemble?: Readonly<{ folds: number; purgeRows: number }>;
  export: Readonly<{ inputName: string; outputName: string; graphName: string; metadata: Readonly<Record<string, string>> }>;
  /**
   * A warm start: the final fit begins from these weights (`getWeights()` order: each layer's
   * kernel, then its bias) instead of seeded random ones — continual learning from an earlier
   * model. MLP only, without feature selection or a search; the shapes must match `params.hidden`.
   */
  init?: Readonly<{ weights: readonly Float32Array[] }>;
}>;

export type SelectionReport = Readonly<{ kept: readonly number[]; importance: readonly number[]; baseLogLoss: number; correlated: readonly Readonly<{ column: number; keptInstead: number; correlation: number }>[]; unimportant: readonly number[] }>;

export type TrainingResult = Readonly<{
  onnx: Uint8Array;
  /** The parameters of the final fit (the search's best, when there was a search). */
  params: ModelParams;
  backend: string;
  epochsRun: number;
  bestEpoch: number;
  valLogLoss: readonly number[];
  /** Input columns the model reads (all of them without feature selection), ascending. */
  columns: readonly number[];
  selection?: SelectionReport;
  search?: Readonly<{ sampler: string; trials: readonly Trial[]; best: Trial }>;
  predictions: Readonly<Record<string, Float32Array>>;
}>;

/**
 * What a job reports while it runs. An `epoch` of the stacked ensemble's final fit is its
 * meta-learner's (`learner: 'meta-learner'`): those are the epochs its result reports.
 */
export type TrainingProgress =
  | Readonly<{ type: 'epoch'; phase: 'selection' | 'search' | 'final'; trial?: number; learner?: 'meta-learner'; epoch: number; valLogLoss: number; bestEpoch: number }>
  | Readonly<{ type: 'trial'; trial: Trial }>
  | Readonly<{ type: 'phase'; phase: 'selection' | 'search' | 'final' }>;
