import type { DatasetSplit, SplitName } from './dataset-split.js';
import { SPLIT_NAMES } from './dataset-split.js';

/**
 * A split of the export holds no rows: the embargo (or the purge) left out every row after a
 * boundary, or there were too few. An export with an empty validation or test split wrote empty
 * Parquet and Arrow files and said `wrote …` as if it had a dataset to score models on.
 */
export class EmptySplitError extends RangeError {
  override readonly name = 'EmptySplitError';
  constructor(
    /** The splits with no rows, in split order. */
    readonly empty: readonly SplitName[],
    /** Rows in each split, and those the embargo and the purge left out. */
    readonly counts: Readonly<{ rows: Readonly<Record<SplitName, number>>; embargoed: number; purged: number; embargoMs: number }>,
  ) {
    const names = empty.join(' and ');
    super(
      `the ${names} split${empty.length > 1 ? 's are' : ' is'} empty (rows: ${SPLIT_NAMES.map((n) => `${n} ${counts.rows[n]}`).join(', ')}; ` +
        `embargoed ${counts.embargoed} within ${counts.embargoMs} ms after a boundary, purged ${counts.purged}); give a shorter embargo or more data`,
    );
  }
}

export const isEmptySplit = (e: unknown): e is EmptySplitError => e instanceof EmptySplitError;

/** Throws {@link EmptySplitError} when a split of `split` has no rows. */
export function requireEverySplit(split: DatasetSplit, embargoMs: number): void {
  const empty = SPLIT_NAMES.filter((n) => split.indices[n].length === 0);
  if (empty.length === 0) return;
  const rows = { train: split.indices.train.length, validation: split.indices.validation.length, test: split.indices.test.length };
  throw new EmptySplitError(empty, { rows, embargoed: split.dropped.embargoed, purged: split.dropped.purged, embargoMs });
}
