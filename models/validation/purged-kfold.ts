import { blocks, checkIntervals, purgeAndEmbargo, range } from './label-intervals.js';
import type { Fold, LabelIntervals } from './label-intervals.js';

export type PurgedKFoldOptions = Readonly<{
  /** Number of folds k ≥ 2; each is one contiguous block of samples in time. */
  folds: number;
  /** Time after each test fold's last label end in which training samples are dropped (same unit as the intervals); default 0. */
  embargo?: number;
}>;

/**
 * Purged k-fold cross-validation: the samples are cut into k contiguous blocks in time order;
 * fold f tests on block f and trains on every other sample whose label interval does not
 * overlap the block's span `[min start, max end)`, nor start within `embargo` after it
 * (see {@link purgeAndEmbargo}). Unlike plain k-fold, no training label is computed from prices
 * the test samples are scored on.
 *
 * @example
 * purgedKFold({ start, end }, { folds: 5, embargo: 24 * HOUR })
 */
export function purgedKFold(iv: LabelIntervals, opts: PurgedKFoldOptions): Fold[] {
  const n = checkIntervals(iv);
  if (!Number.isInteger(opts.folds) || opts.folds < 2) throw new RangeError(`folds must be an integer ≥ 2, got ${opts.folds}`);
  const embargo = opts.embargo ?? 0;
  const bs = blocks(n, opts.folds);
  return bs.map((block) => {
    const others = [...range(0, block[0]), ...range(block[1], n)];
    return { train: purgeAndEmbargo(iv, others, [block], embargo), test: range(block[0], block[1]) };
  });
}
