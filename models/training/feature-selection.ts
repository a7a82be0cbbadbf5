import { correlationFilter, correlationMatrix } from './correlation-filter.js';
import type { DroppedFeature } from './correlation-filter.js';
import { permutationImportance } from './permutation-importance.js';
import type { FeatureImportance, ImportanceOptions, Predict } from './permutation-importance.js';

export type FeatureSelectionOptions = ImportanceOptions &
  Readonly<{
    /** |ρ| above which the less important of a pair is dropped; default 0.95. */
    maxCorrelation?: number;
    /** Columns whose importance is at most this are dropped; default 0 (no rise in log loss). */
    minImportance?: number;
    /** Never keep fewer than this many (the most important); default 1. */
    minKept?: number;
  }>;

export type FeatureSelection = Readonly<{
  /** Selected column indices, ascending. */
  kept: readonly number[];
  importance: FeatureImportance;
  correlated: readonly DroppedFeature[];
  /** Dropped for importance ≤ minImportance. */
  unimportant: readonly number[];
}>;

/**
 * Picks input columns: permutation importance of a model fitted on all columns (on validation
 * rows), then the correlation filter (over `corrX`, a row-major `rows × cols` matrix of the
 * training rows), then a floor on importance. The caller refits on the kept columns.
 */
export async function selectFeatures(predict: Predict, valX: Float32Array, valY: Int32Array, corrX: ArrayLike<number>, opts: FeatureSelectionOptions): Promise<FeatureSelection> {
  const importance = await permutationImportance(predict, valX, valY, opts);
  const corr = correlationMatrix(corrX, opts.cols);
  const filtered = correlationFilter(corr, opts.cols, importance.importance, opts.maxCorrelation ?? 0.95);
  const floor = opts.minImportance ?? 0;
  const minKept = Math.max(1, opts.minKept ?? 1);
  const byImportance = [...filtered.kept].sort((a, b) => (importance.importance[b] as number) - (importance.importance[a] as number) || a - b);
  const kept = byImportance.filter((j, rank) => rank < minKept || (importance.importance[j] as number) > floor);
  const unimportant = filtered.kept.filter((j) => !kept.includes(j));
  return { kept: kept.sort((a, b) => a - b), importance, correlated: filtered.dropped, unimportant };
}
