import type { Params, SearchSpace } from './search-space.js';

/**
 * The models `sextant train --model` can fit. `ensemble`: a stacked ensemble of a logistic
 * regression and an MLP (`hidden`) under a logistic meta-learner, exported as one ONNX graph; a
 * search or feature selection for it tunes the MLP base.
 */
export const ModelKind = { mlp: 'mlp', gru: 'gru', ensemble: 'ensemble' } as const;
export type ModelKind = (typeof ModelKind)[keyof typeof ModelKind];

/** The GRU's input window in bars: what `--window` and the pipeline's options accept. */
export const GRU_WINDOW = { min: 2, max: 256 } as const;

/** Everything that shapes one fit, besides the data. */
export type ModelParams = Readonly<{
  /** Dense ReLU widths (the MLP's hidden layers; the GRU's head before the softmax). */
  hidden: readonly number[];
  /** GRU state width (GRU only). */
  units: number;
  learningRate: number;
  l2: number;
  batchSize: number;
  epochs: number;
  patience: number;
  seed: number;
}>;

export const DEFAULT_PARAMS: Readonly<Record<ModelKind, ModelParams>> = {
  mlp: { hidden: [32, 16], units: 0, learningRate: 1e-3, l2: 1e-4, batchSize: 512, epochs: 30, patience: 4, seed: 42 },
  gru: { hidden: [], units: 16, learningRate: 3e-3, l2: 1e-4, batchSize: 256, epochs: 20, patience: 3, seed: 42 },
  ensemble: { hidden: [32, 16], units: 0, learningRate: 1e-3, l2: 1e-4, batchSize: 512, epochs: 30, patience: 4, seed: 42 },
};

/** `'32-16'` → `[32, 16]`; `''` → `[]` (categorical search values are strings). */
export const parseHidden = (s: string): number[] => (s === '' ? [] : s.split('-').map((w) => Number(w)));

/**
 * The search spaces `--search` explores: learning rate and L2 on log scales, the layer widths as
 * a few shapes. Small on purpose — the budget is a handful of trials on shared CPUs.
 */
export const DEFAULT_SEARCH_SPACE: Readonly<Record<ModelKind, SearchSpace>> = {
  mlp: {
    learningRate: { kind: 'log-uniform', low: 3e-4, high: 3e-2 },
    l2: { kind: 'log-uniform', low: 1e-6, high: 1e-2 },
    hidden: { kind: 'categorical', choices: ['16', '32-16', '64-32'] },
    batchSize: { kind: 'categorical', choices: [256, 512] },
  },
  ensemble: {
    learningRate: { kind: 'log-uniform', low: 3e-4, high: 3e-2 },
    l2: { kind: 'log-uniform', low: 1e-6, high: 1e-2 },
    hidden: { kind: 'categorical', choices: ['16', '32-16', '64-32'] },
    batchSize: { kind: 'categorical', choices: [256, 512] },
  },
  gru: {
    learningRate: { kind: 'log-uniform', low: 1e-3, high: 3e-2 },
    l2: { kind: 'log-uniform', low: 1e-6, high: 1e-2 },
    units: { kind: 'int', low: 4, high: 32 },
    hidden: { kind: 'categorical', choices: ['', '16'] },
  },
};

/** `base` with the searched values put in; unknown keys are refused (a typo would be silently ignored otherwise). */
export function applyParams(base: ModelParams, params: Params): ModelParams {
  const out: { -readonly [K in keyof ModelParams]: ModelParams[K] } = { ...base };
  for (const [k, v] of Object.entries(params)) {
    switch (k) {
      case 'hidden':
        out.hidden = typeof v === 'string' ? parseHidden(v) : [v];
        break;
      case 'units':
      case 'batchSize':
      case 'epochs':
      case 'patience':
      case 'seed':
        out[k] = Math.round(Number(v));
        break;
      case 'learningRate':
      case 'l2':
        out[k] = Number(v);
        break;
      default:
        throw new RangeError(`unknown model parameter '${k}'`);
    }
  }
  return out;
}
