import { describe, expect, it } from 'vitest';
import { splitSamples } from '../../models/retraining/sample-dataset.js';
import type { SampleDataset } from '../../models/retraining/sample-dataset.js';

const HOUR = 3_600_000;

/** `rows` hourly samples of one feature; `horizonOf(i)` bars until row i's label was known. */
function dataset(rows: number, horizonOf: (i: number) => number): SampleDataset {
  const ts = Float64Array.from({ length: rows }, (_, i) => i * HOUR);
  return {
    features: ['f'],
    transforms: ['raw'],
    x: Float64Array.from({ length: rows }, (_, i) => i),
    y: new Int32Array(rows),
    r: new Float64Array(rows),
    scale: new Float64Array(rows).fill(1),
    ts,
    labeledTs: Float64Array.from(ts, (t, i) => t + horizonOf(i) * HOUR),
    rows,
    cols: 1,
    skipped: 0,
  };
}

describe('splitSamples: the purge before the validation rows', () => {
  it('keeps no fit row whose label was known only after the first validation decision, with one horizon', () => {
    const ds = dataset(40, () => 4);
    const { fitEnd, valStart } = splitSamples(ds, 0.25);
    expect(valStart).toBe(30);
    expect(fitEnd).toBe(27); // rows 27..29 end at 31..33, after the first validation bar (30)
  });

  it('and with mixed horizons, where label times do not rise with the rows', () => {
    // Every fifth sample has a 12-bar horizon, the rest 4 bars: rows 20 and 25 end at 32 and 37.
    const ds = dataset(40, (i) => (i % 5 === 0 ? 12 : 4));
    const { fitEnd, valStart } = splitSamples(ds, 0.25);
    const firstVal = ds.ts[valStart] as number;
    for (let i = 0; i < fitEnd; i++) expect(ds.labeledTs[i], `row ${i}`).toBeLessThanOrEqual(firstVal);
    expect(fitEnd).toBe(20);
  });
});
