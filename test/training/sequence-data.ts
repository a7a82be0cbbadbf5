import { mulberry32 } from '../../models/training/seeded-rng.js';
import type { SequenceMatrix } from '../../models/training/sequence-windows.js';

/**
 * Seeded windows whose class depends on the whole window, not its last row: the sum of feature 0
 * over the W steps, below −τ down, above +τ up, else flat. A model that sees only the last row
 * cannot do much better than the class balance.
 */
export function windowSumData(rows: number, window: number, cols: number, seed: number): SequenceMatrix {
  const rng = mulberry32(seed);
  const x = new Float32Array(rows * window * cols);
  const y = new Int32Array(rows);
  const tau = 0.45 * Math.sqrt(window / 3);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let t = 0; t < window; t++) {
      for (let j = 0; j < cols; j++) x[(r * window + t) * cols + j] = 2 * rng() - 1;
      s += x[(r * window + t) * cols] as number;
    }
    y[r] = s < -tau ? 0 : s > tau ? 2 : 1;
  }
  return { x, y, rows, window, cols, indices: new Int32Array(rows) };
}
