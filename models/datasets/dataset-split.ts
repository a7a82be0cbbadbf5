import type { SampleTable } from './sample-source.js';

export const SPLIT_NAMES = ['train', 'validation', 'test'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];

export type DatasetSplitOptions = Readonly<{
  /** Share of the distinct event times for training; default 0.7. */
  trainFraction?: number;
  /** Share for validation; default 0.15; the rest is the test split. */
  validationFraction?: number;
  /** Time (ms) after each boundary whose rows are left out of the later split; default 0. */
  embargoMs?: number;
}>;

export type DatasetSplit = Readonly<{
  indices: Readonly<Record<SplitName, Int32Array>>;
  /** First event time of validation and of test (before the embargo). */
  boundaries: readonly [number, number];
  /** Rows left out: purged (label still open at a boundary) and embargoed (just after one). */
  dropped: Readonly<{ purged: number; embargoed: number }>;
  /** The same, by the split each row fell in: purged at its end (train, validation), embargoed at its start (validation, test). */
  droppedBySplit: Readonly<Record<SplitName, Readonly<{ purged: number; embargoed: number }>>>;
}>;

/**
 * Train / validation / test in time order, one set of boundaries for every symbol (times where
 * any symbol has a row). Purge: a row of an earlier split is kept only if its label was known by
 * the boundary (`end ≤ boundary`), so no training label is drawn from prices the validation or
 * test rows are scored on. Embargo: rows starting within `embargoMs` after a boundary are left
 * out, because their inputs (rolling windows up to 200 bars) are still computed mostly from the
 * earlier split's prices; the later split then starts on inputs of its own.
 */
export function splitDataset(t: SampleTable, opts: DatasetSplitOptions = {}): DatasetSplit {
  const trainFraction = opts.trainFraction ?? 0.7;
  const validationFraction = opts.validationFraction ?? 0.15;
  const embargo = opts.embargoMs ?? 0;
  if (!(trainFraction > 0 && validationFraction > 0 && trainFraction + validationFraction < 1)) {
    throw new RangeError(`fractions must be positive and leave room for a test split: train ${trainFraction}, validation ${validationFraction}`);
  }
  if (!(Number.isFinite(embargo) && embargo >= 0)) throw new RangeError(`embargo must be ≥ 0 ms, got ${embargo}`);
  const times = [...new Set(t.start)].sort((a, b) => a - b);
  if (times.length < 3) throw new RangeError(`too few distinct times to split: ${times.length}`);
  const b1 = times[Math.floor(times.length * trainFraction)] as number;
  const b2 = times[Math.floor(times.length * (trainFraction + validationFraction))] as number;
  const out: Record<SplitName, number[]> = { train: [], validation: [], test: [] };
  const by: Record<SplitName, { purged: number; embargoed: number }> = { train: { purged: 0, embargoed: 0 }, validation: { purged: 0, embargoed: 0 }, test: { purged: 0, embargoed: 0 } };
  for (let i = 0; i < t.rows; i++) {
    const s = t.start[i] as number;
    const e = t.end[i] as number;
    const [name, lo, hi]: [SplitName, number, number] = s < b1 ? ['train', -Infinity, b1] : s < b2 ? ['validation', b1, b2] : ['test', b2, Infinity];
    if (s < lo + embargo) by[name].embargoed++;
    else if (e > hi) by[name].purged++;
    else out[name].push(i);
  }
  const sum = (k: 'purged' | 'embargoed'): number => by.train[k] + by.validation[k] + by.test[k];
  return {
    indices: { train: Int32Array.from(out.train), validation: Int32Array.from(out.validation), test: Int32Array.from(out.test) },
    boundaries: [b1, b2],
    dropped: { purged: sum('purged'), embargoed: sum('embargoed') },
    droppedBySplit: by,
  };
}
