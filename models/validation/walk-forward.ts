import { blocks, checkIntervals, range } from './label-intervals.js';
import type { Fold, LabelIntervals } from './label-intervals.js';

export type WalkForwardOptions = Readonly<{
  /** Number of test folds. */
  folds: number;
  /**
   * Share of the samples (at the start) that is only ever trained on; the rest is cut into
   * `folds` contiguous test blocks. Default 0.5.
   */
  initialTrainFraction?: number;
  /** `expanding`: train on everything before the test block; `rolling`: only on the last `trainSize` samples before it. */
  window?: 'expanding' | 'rolling';
  /** Rolling window length in samples (before purging); default the initial training size. */
  trainSize?: number;
  /**
   * Gap before each test block (interval units): a training sample is kept only if its label
   * was known at least `embargo` before the first test sample starts. Training never follows
   * the test block here, so López de Prado's post-test embargo cannot apply; this gap is the
   * walk-forward counterpart (it keeps the test inputs' rolling windows off the training
   * labels). Default 0.
   */
  embargo?: number;
}>;

/**
 * Walk-forward (anchored or rolling) evaluation: test blocks follow each other in time and each
 * is scored by a model trained only on what precedes it, purged so that no training label is
 * still open when the test block starts (`end ≤ first test start − embargo`).
 */
export function walkForward(iv: LabelIntervals, opts: WalkForwardOptions): Fold[] {
  const n = checkIntervals(iv);
  const fraction = opts.initialTrainFraction ?? 0.5;
  const embargo = opts.embargo ?? 0;
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`initialTrainFraction must be in (0, 1), got ${fraction}`);
  if (!Number.isInteger(opts.folds) || opts.folds < 1) throw new RangeError(`folds must be a positive integer, got ${opts.folds}`);
  if (!(Number.isFinite(embargo) && embargo >= 0)) throw new RangeError(`embargo must be a finite number ≥ 0, got ${embargo}`);
  const initial = Math.floor(n * fraction);
  const trainSize = opts.trainSize ?? initial;
  if (!Number.isInteger(trainSize) || trainSize < 1) throw new RangeError(`trainSize must be a positive integer, got ${trainSize}`);
  const rolling = (opts.window ?? 'expanding') === 'rolling';
  return blocks(n - initial, opts.folds).map(([a, b]) => {
    const from = initial + a;
    const to = initial + b;
    const cutoff = (iv.start[from] as number) - embargo;
    const first = rolling ? Math.max(0, from - trainSize) : 0;
    const train: number[] = [];
    for (let i = first; i < from; i++) if ((iv.end[i] as number) <= cutoff) train.push(i);
    return { train: Int32Array.from(train), test: range(from, to) };
  });
}
