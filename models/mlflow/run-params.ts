import type { ModelParams } from '../training/model-params.js';

/** MLflow keeps a param value as a string of at most this many characters. */
export const PARAM_VALUE_MAX = 6000;

/** `learningRate` → `learning_rate`: the run's param keys are snake case. */
export const paramKey = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * A fit's hyperparameters as run params, named alike by `sextant train` and the retraining
 * actor's cycles so runs of both compare in MLflow: `hidden` (`32-16`; `''` for none), `units`
 * (GRU), `learning_rate`, `l2`, `batch_size`, `patience`. The seed and the epochs are the
 * caller's settings, logged as such.
 */
export function hyperParams(p: Pick<ModelParams, 'hidden' | 'learningRate' | 'l2' | 'batchSize' | 'patience'> & Partial<Pick<ModelParams, 'units'>>): Record<string, string | number> {
  return {
    hidden: p.hidden.join('-'),
    ...(p.units !== undefined && p.units > 0 ? { units: p.units } : {}),
    learning_rate: p.learningRate,
    l2: p.l2,
    batch_size: p.batchSize,
    patience: p.patience,
  };
}

/**
 * A list as params within MLflow's value limit: `key` holds the items joined by commas, and when
 * that passes {@link PARAM_VALUE_MAX} characters the rest go on in `key_2`, `key_3`, … (cut between
 * items), so no name is lost to truncation. `key_count` says how many items there are.
 */
export function listParams(key: string, items: readonly string[]): Record<string, string | number> {
  const parts: string[] = [];
  let cur = '';
  for (const item of items) {
    const next = cur === '' ? item : `${cur},${item}`;
    if (next.length <= PARAM_VALUE_MAX || cur === '') {
      cur = next.slice(0, PARAM_VALUE_MAX);
      continue;
    }
    parts.push(cur);
    cur = item.slice(0, PARAM_VALUE_MAX);
  }
  if (cur !== '' || parts.length === 0) parts.push(cur);
  return { [`${key}_count`]: items.length, ...Object.fromEntries(parts.map((v, i) => [i === 0 ? key : `${key}_${i + 1}`, v])) };
}
