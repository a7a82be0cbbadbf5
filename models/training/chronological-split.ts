import type { BarDataset } from './bar-dataset.js';

export type SplitOptions = Readonly<{
  /** Share of the time range (by distinct bar times) for training; default 0.7. */
  trainFraction?: number;
  /** Share for the calibration segment; default 0.15. The rest is the test segment. */
  calibrationFraction?: number;
  /** Bars dropped before each boundary; default and minimum: the label horizon. */
  purgeBars?: number;
}>;

/** Row indices (into the dataset) of one segment, in time order, and its span: first bar open to last bar end (exclusive). */
export type Segment = Readonly<{ indices: Int32Array; from: number; to: number }>;

export type ChronologicalSplit = Readonly<{
  train: Segment;
  calibration: Segment;
  test: Segment;
  purgeBars: number;
  /** First bar time of the calibration and test segments. */
  boundaries: readonly [number, number];
}>;

const segment = (ds: BarDataset, picked: number[]): Segment => {
  if (picked.length === 0) return { indices: new Int32Array(0), from: NaN, to: NaN };
  return { indices: Int32Array.from(picked), from: ds.ts[picked[0] as number] as number, to: (ds.ts[picked[picked.length - 1] as number] as number) + ds.barMs };
};

/**
 * Train / calibration / test in time order, with a purge gap before each boundary: a row of an
 * earlier segment is kept only if its whole label window (the next `horizon` bars) ends before
 * the later segment begins (`ts + purgeBars·barMs < boundary`, purgeBars ≥ horizon). Without it
 * the last training labels would be computed from prices the first test rows are scored on, and
 * the out-of-sample figures would flatter the model. Boundaries are bar times, shared by every
 * symbol, so no symbol's test rows precede another's training rows.
 */
export function splitChronological(ds: BarDataset, opts: SplitOptions = {}): ChronologicalSplit {
  const trainFraction = opts.trainFraction ?? 0.7;
  const calibrationFraction = opts.calibrationFraction ?? 0.15;
  const purgeBars = opts.purgeBars ?? ds.horizon;
  if (!(trainFraction > 0 && calibrationFraction > 0 && trainFraction + calibrationFraction < 1)) {
    throw new RangeError(`fractions must be positive and leave room for a test segment: train ${trainFraction}, calibration ${calibrationFraction}`);
  }
  if (!Number.isInteger(purgeBars) || purgeBars < ds.horizon) throw new RangeError(`purgeBars must be an integer ≥ the horizon (${ds.horizon}), got ${purgeBars}`);
  const times = [...new Set(ds.ts)].sort((a, b) => a - b);
  if (times.length < 3) throw new RangeError(`too few rows to split: ${ds.rows}`);
  const b1 = times[Math.floor(times.length * trainFraction)] as number;
  const b2 = times[Math.floor(times.length * (trainFraction + calibrationFraction))] as number;
  const purgeMs = purgeBars * ds.barMs;
  const train: number[] = [];
  const calibration: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < ds.rows; i++) {
    const t = ds.ts[i] as number;
    if (t < b1) {
      if (t + purgeMs < b1) train.push(i);
    } else if (t < b2) {
      if (t + purgeMs < b2) calibration.push(i);
    } else test.push(i);
  }
  return { train: segment(ds, train), calibration: segment(ds, calibration), test: segment(ds, test), purgeBars, boundaries: [b1, b2] };
}

/**
 * Splits a segment's last `fraction` (by time) off as a validation slice for early stopping,
 * purged the same way, so early stopping does not peek at labels that overlap its own inputs.
 */
export function purgedTail(ds: BarDataset, seg: Segment, fraction: number, purgeBars: number): Readonly<{ fit: Segment; validation: Segment }> {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`validation fraction must be in (0, 1), got ${fraction}`);
  const times = [...new Set(Array.from(seg.indices, (i) => ds.ts[i] as number))].sort((a, b) => a - b);
  const cut = times[Math.floor(times.length * (1 - fraction))] as number;
  const purgeMs = purgeBars * ds.barMs;
  const fit: number[] = [];
  const validation: number[] = [];
  for (const i of seg.indices) {
    const t = ds.ts[i] as number;
    if (t >= cut) validation.push(i);
    else if (t + purgeMs < cut) fit.push(i);
  }
  return { fit: segment(ds, fit), validation: segment(ds, validation) };
}
