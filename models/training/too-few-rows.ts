import { FEATURE_WARMUP_BARS } from '../features/feature-engine.js';
import type { BarDataset } from './bar-dataset.js';

/** Labelled rows a trainer (or the cross-validation of `sextant train --cv`) needs before it splits. */
export const MIN_TRAINING_ROWS = 200;

/**
 * Refuses a dataset of fewer than {@link MIN_TRAINING_ROWS} labelled rows with a RangeError that
 * says how many are needed and how many bars make them: "only 0 labelled rows (after a 200-bar
 * warm-up); give more bars" said neither. A symbol's first row is its 200th bar (the features'
 * warm-up) and its last `horizon` bars have no label yet, so one symbol alone needs
 * 199 + 200 + horizon bars without gaps. The message keeps its head (`only N labelled rows`) and
 * its tail (`; give more bars`), which the CLI replaces with the flags that widen its window
 * (cli/commands/training-shortfall.ts).
 */
export function requireTrainingRows(ds: Pick<BarDataset, 'rows' | 'horizon' | 'dropped'>): void {
  if (ds.rows >= MIN_TRAINING_ROWS) return;
  const bars = ds.rows + ds.dropped.warmup + ds.dropped.unlabelled;
  const oneSymbol = FEATURE_WARMUP_BARS - 1 + MIN_TRAINING_ROWS + ds.horizon;
  throw new RangeError(
    `only ${ds.rows} labelled rows (after a ${FEATURE_WARMUP_BARS}-bar warm-up), fewer than the ${MIN_TRAINING_ROWS} needed to train: ` +
      `of the ${bars} bars given, ${ds.dropped.warmup} went to the features' warm-up and ${ds.dropped.unlabelled} have no label ` +
      `(each symbol's last ${ds.horizon}, the label horizon, and any before a gap), so one symbol alone needs at least ${oneSymbol} bars without gaps; give more bars`,
  );
}
