import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../models/training/seeded-rng.js';
import { trainDenseClassifier } from '../../models/training/train-mlp.js';
import type { Matrix } from '../../models/training/train-mlp.js';
import { TrainingCancelledError } from '../../models/training/training-errors.js';

const COLS = 4;

function data(rows: number, seed: number): Matrix {
  const rng = mulberry32(seed);
  const x = new Float32Array(rows * COLS).map(() => 2 * rng() - 1);
  const y = Int32Array.from({ length: rows }, () => Math.floor(rng() * 3));
  return { x, y, rows };
}

/**
 * The epochs run on the caller's thread (`sextant demo` trains its model in the process): a
 * Ctrl-C's listener ran only after the last epoch, so the demo could not stop while training.
 * An aborted signal now ends training at the next epoch boundary, before anything is returned.
 */
describe('dense classifier training with an abort signal', () => {
  it('stops between epochs once aborted (a listener on the event loop runs meanwhile) and throws TrainingCancelledError', async () => {
    const abort = new AbortController();
    // Aborted from the event loop, as a signal's listener is: it runs only if training yields.
    setTimeout(() => abort.abort('SIGINT'), 200);
    const training = trainDenseClassifier(data(200, 1), data(50, 2), COLS, { hidden: [8], classes: 3, seed: 1, epochs: 5_000, patience: 5_000, batchSize: 64, signal: abort.signal });
    await expect(training).rejects.toBeInstanceOf(TrainingCancelledError);
    expect(abort.signal.aborted).toBe(true);
  }, 60_000);

  it('does not start when already aborted', async () => {
    const abort = new AbortController();
    abort.abort('SIGTERM');
    await expect(trainDenseClassifier(data(50, 1), data(20, 2), COLS, { hidden: [4], classes: 3, seed: 1, epochs: 3, signal: abort.signal })).rejects.toThrow('training cancelled');
  });
});
