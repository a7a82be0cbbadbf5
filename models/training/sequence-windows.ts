import type { BarDataset } from './bar-dataset.js';
import type { Standardiser } from './standardiser.js';

/** Row-major `[rows, window, cols]` inputs (oldest step first) and the label of each window's last row. */
export type SequenceMatrix = Readonly<{ x: Float32Array; y: Int32Array; rows: number; window: number; cols: number; indices: Int32Array }>;

/**
 * For every dataset row, the rows of the same symbol that end its window: `starts[i]` is the
 * dataset index of the oldest of the `window` rows ending at `i`, or −1 when the symbol has
 * fewer than `window` rows back to back (a gap in the data or the start of the series). Window
 * rows are only ever earlier in time than the labelled row, so a window reads features that
 * were known when the prediction is made, never a later label.
 */
export function windowChains(ds: BarDataset, window: number): Int32Array[] {
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`window must be a positive integer, got ${window}`);
  const chains: Int32Array[] = [];
  const lastOf = new Map<number, number[]>();
  for (let i = 0; i < ds.rows; i++) {
    const s = ds.symbolIndex[i] as number;
    let run = lastOf.get(s);
    const prev = run?.[run.length - 1];
    if (run === undefined || prev === undefined || (ds.ts[i] as number) - (ds.ts[prev] as number) !== ds.barMs) run = [];
    run.push(i);
    if (run.length > window) run.shift();
    lastOf.set(s, run);
    chains[i] = run.length === window ? Int32Array.from(run) : new Int32Array(0);
  }
  return chains;
}

/**
 * The standardised windows of the rows `indices` that have a full window; rows without one are
 * left out (see `indices` in the result for which were kept).
 */
export function sequenceMatrix(ds: BarDataset, chains: readonly Int32Array[], indices: Int32Array, window: number, s: Standardiser): SequenceMatrix {
  const cols = ds.cols;
  const kept = Array.from(indices).filter((i) => (chains[i]?.length ?? 0) === window);
  const x = new Float32Array(kept.length * window * cols);
  const y = new Int32Array(kept.length);
  kept.forEach((i, k) => {
    const chain = chains[i] as Int32Array;
    for (let t = 0; t < window; t++) {
      const src = (chain[t] as number) * cols;
      const dst = (k * window + t) * cols;
      for (let j = 0; j < cols; j++) x[dst + j] = ((ds.x[src + j] as number) - (s.mean[j] as number)) / (s.std[j] as number);
    }
    y[k] = ds.y[i] as number;
  });
  return { x, y, rows: kept.length, window, cols, indices: Int32Array.from(kept) };
}
