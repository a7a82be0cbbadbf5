import { describe, expect, it, vi } from 'vitest';
import { runTrain } from '../../cli/commands/train.js';
import type { TrainCliOptions } from '../../cli/commands/train.js';
import { THIN_FOLD_ROWS } from '../../models/validation/thin-folds.js';
import { testDataDir } from '../support/data-dir.js';
import { tinyRegistry } from '../training/tiny-registry.js';

/** stderr while `runTrain` runs, its stdout's lines (its `write`), and both in the order written. */
async function outputOf(opts: TrainCliOptions): Promise<{ stderr: string; lines: string[]; both: string[] }> {
  let stderr = '';
  const both: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    const s = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    stderr += s;
    both.push(s);
    return true;
  });
  const lines: string[] = [];
  try {
    await runTrain(opts, () => Promise.resolve(tinyRegistry()), (s) => void (lines.push(s), both.push(s)));
  } finally {
    spy.mockRestore();
  }
  return { stderr, lines, both };
}

const thinLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('warning: --cv'));

// `sextant train --cv walk-forward --cv-folds 40` scored folds of a few dozen rows each, and said nothing of it.
describe('sextant train --cv with folds of a handful of rows', () => {
  const base: TrainCliOptions = { data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', horizon: 4, kAtr: 0.75, name: 'direction-mlp', seed: 1, epochs: 1, from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 4, 1), cv: 'walk-forward' };

  it('warns once on stderr, with the folds\' test rows, before it fits', async () => {
    const { stderr, lines, both } = await outputOf({ ...base, cvFolds: 40 });
    const perFold = (JSON.parse(lines.at(-1) ?? '{}') as { cv: { rows: number; mlp: { perFold: { n: number }[] } } }).cv;
    const n = perFold.mlp.perFold.map((f) => f.n);
    const thin = n.filter((k) => k < THIN_FOLD_ROWS);
    expect(thin.length).toBeGreaterThan(0);
    const range = Math.min(...thin) === Math.max(...thin) ? `${Math.min(...thin)}` : `${Math.min(...thin)}–${Math.max(...thin)}`;
    expect(thinLines(stderr)).toEqual([expect.stringContaining(`warning: --cv walk-forward --cv-folds 40: ${thin.length} of ${n.length} folds test fewer than ${THIN_FOLD_ROWS} rows (${range} each, of the ${perFold.rows} rows cross-validated)`)]);
    // Before the model's report (the first line on stdout): said before anything was fitted.
    expect(both.findIndex((s) => s.startsWith('warning: --cv'))).toBeLessThan(both.indexOf(lines[0] ?? ''));
  }, 180_000);

  it('says nothing when every fold tests enough rows', async () => {
    const { stderr, lines } = await outputOf({ ...base, cvFolds: 3 });
    const n = (JSON.parse(lines.at(-1) ?? '{}') as { cv: { mlp: { perFold: { n: number }[] } } }).cv.mlp.perFold.map((f) => f.n);
    expect(Math.min(...n)).toBeGreaterThanOrEqual(THIN_FOLD_ROWS);
    expect(thinLines(stderr)).toEqual([]);
  }, 180_000);
});
