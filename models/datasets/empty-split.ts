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

/**
 * Fewer rows than this in a split: a score on it is noise, and a model's calibration needs at
 * least this many validation rows (the conformal quantiles; `MIN_VALIDATION_ROWS` of retraining).
 */
export const MIN_SPLIT_ROWS = 20;

/**
 * One warning per split left with fewer than `minRows` rows (none is empty: those are refused),
 * saying how many the embargo (at its start) and the purge (at its end) left out of it. A short
 * window exported train 125, validation 1, test 4 rows (the 24-bar embargo took almost all of
 * validation) without a word.
 */
export function smallSplitWarnings(split: DatasetSplit, minRows = MIN_SPLIT_ROWS): string[] {
  return SPLIT_NAMES.flatMap((name) => {
    const rows = split.indices[name].length;
    if (rows === 0 || rows >= minRows) return [];
    const { embargoed, purged } = split.droppedBySplit[name];
    const left = [...(embargoed > 0 ? [`the embargo left out ${embargoed} rows at its start`] : []), ...(purged > 0 ? [`the purge ${purged} at its end (labels still open at the next split)`] : [])];
    const why = left.length === 0 ? 'the embargo and the purge left out none of it' : `${left.join(' and ')}, of ${rows + embargoed + purged}`;
    const more = embargoed > 0 ? 'a shorter embargo or a wider window gives it more' : 'a wider window gives it more';
    return [`the ${name} split has ${rows} row${rows === 1 ? '' : 's'}, fewer than ${minRows}: ${why}; a score on so few rows is noise (${more})`];
  });
}
