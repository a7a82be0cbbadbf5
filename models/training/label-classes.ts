import { DIRECTION_NAMES } from './direction-labels.js';

/**
 * The training rows' labels are all one class: a flat band so wide (or a horizon so short) that
 * every move falls in it. The fit "succeeded" with test accuracy 100% — the majority class on a
 * test segment of that class too — and a model that always says one thing was registered.
 */
export class OneClassLabelsError extends RangeError {
  override readonly name = 'OneClassLabelsError';
}

export const isOneClassLabels = (e: unknown): e is OneClassLabelsError => e instanceof OneClassLabelsError;

/**
 * Refuses training rows whose labels (`y` at `indices`, 0 down / 1 flat / 2 up) hold fewer than
 * two classes, naming the count of each and the label options that made them.
 *
 * @example requireTwoClasses(ds.y, split.train.indices, { horizon: 4, kAtr: 1e9 }); // throws: all flat
 */
export function requireTwoClasses(y: Int32Array, indices: Int32Array, labels: Readonly<{ horizon: number; kAtr: number }>): void {
  const counts = DIRECTION_NAMES.map(() => 0);
  for (const i of indices) {
    const c = y[i] as number;
    counts[c] = (counts[c] ?? 0) + 1;
  }
  const present = counts.filter((n) => n > 0).length;
  if (present >= 2) return;
  const only = DIRECTION_NAMES[counts.findIndex((n) => n > 0)] ?? 'of no class';
  throw new OneClassLabelsError(
    `the ${indices.length} training rows are all labelled ${only} (${DIRECTION_NAMES.map((d, c) => `${d} ${counts[c] ?? 0}`).join(', ')}) with a flat band of ±${labels.kAtr}·ATR14 over ${labels.horizon} bars: ` +
      'a classifier cannot learn from one class; narrow the flat band (kAtr) or lengthen the horizon',
  );
}
