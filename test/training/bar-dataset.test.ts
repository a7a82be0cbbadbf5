import { describe, expect, it } from 'vitest';
import { FeatureEngine } from '../../models/features/feature-engine.js';
import { buildBarDataset } from '../../models/training/bar-dataset.js';
import type { BarDataset } from '../../models/training/bar-dataset.js';
import { purgedTail, splitChronological } from '../../models/training/chronological-split.js';
import type { Segment } from '../../models/training/chronological-split.js';
import { directionLabels } from '../../models/training/direction-labels.js';
import { fitStandardiser, standardiseRows } from '../../models/training/standardiser.js';
import { randomWalkBars } from './synthetic-bars.js';

const HOUR = 3_600_000;
const H = 6;
// Two symbols at very different price levels, the second with a few missing candles.
const btc = randomWalkBars(1500, 1, { price: 40_000 });
const sol = randomWalkBars(1500, 2, { price: 20, skip: new Set([700, 701, 1200]) });
const ds = buildBarDataset(
  [
    { symbol: 'BTC/USDT', bars: btc },
    { symbol: 'SOL/USDT', bars: sol },
  ],
  { horizon: H, kAtr: 0.5, barMs: HOUR },
);

const tsOf = (d: BarDataset, seg: Segment): number[] => Array.from(seg.indices, (i) => d.ts[i] as number);

describe('bar dataset', () => {
  it('drops the 199 warm-up bars and the unlabelled tail of each symbol, and sorts rows by time', () => {
    expect(ds.dropped.warmup).toBe(2 * 199);
    // Last H bars of each symbol, plus SOL bars whose horizon spans a gap (H before each of 3 missing bars, merged runs).
    expect(ds.dropped.unlabelled).toBeGreaterThanOrEqual(2 * H + 2 * H);
    expect(ds.rows + ds.dropped.warmup + ds.dropped.unlabelled).toBe(btc.length + sol.length);
    for (let i = 1; i < ds.rows; i++) expect(ds.ts[i]! >= ds.ts[i - 1]!).toBe(true);
    expect(ds.x.every(Number.isFinite)).toBe(true);
    expect(new Set(ds.symbolIndex)).toEqual(new Set([0, 1]));
  });

  it('holds scale-free inputs: rel_price columns are the engine value over the close, the same for a 2000× price', () => {
    const engine = new FeatureEngine();
    const row = new Float64Array(FeatureEngine.names.length);
    const atrCol = ds.features.indexOf('atr_14');
    const smaCol = ds.features.indexOf('sma_200');
    expect(ds.transforms[atrCol]).toBe('rel_price');
    const target = btc[400]!;
    for (const b of btc.slice(0, 401)) engine.onBar(b);
    engine.fill(row);
    const k = ds.ts.findIndex((t, i) => t === target.ts && ds.symbolIndex[i] === 0);
    expect(ds.x[k * ds.cols + atrCol]).toBeCloseTo(row[FeatureEngine.names.indexOf('atr_14')]! / target.close, 12);
    expect(ds.x[k * ds.cols + smaCol]).toBeCloseTo(row[FeatureEngine.names.indexOf('sma_200')]! / target.close, 12);
    // Scaling every price by 2000 leaves every input (and label) unchanged.
    const scaled = buildBarDataset([{ symbol: 'X/Y', bars: btc.map((b) => ({ ...b, open: b.open * 2000, high: b.high * 2000, low: b.low * 2000, close: b.close * 2000 })) }], { horizon: H, kAtr: 0.5, barMs: HOUR });
    const plain = buildBarDataset([{ symbol: 'X/Y', bars: btc }], { horizon: H, kAtr: 0.5, barMs: HOUR });
    expect(Array.from(scaled.y)).toEqual(Array.from(plain.y));
    scaled.x.forEach((v, i) => expect(v).toBeCloseTo(plain.x[i]!, 9));
  });

  it('labels rows with the direction-label rule', () => {
    const engine = new FeatureEngine();
    const row = new Float64Array(FeatureEngine.names.length);
    const atr = btc.map((b) => {
      engine.onBar(b);
      engine.fill(row);
      return row[FeatureEngine.names.indexOf('atr_14')]!;
    });
    const labels = directionLabels(btc.map((b) => b.ts), btc.map((b) => b.close), atr, { horizon: H, kAtr: 0.5, barMs: HOUR });
    for (let i = 0; i < ds.rows; i++) {
      if (ds.symbolIndex[i] !== 0) continue;
      const j = (ds.ts[i]! - btc[0]!.ts) / HOUR;
      expect(ds.y[i]).toBe(labels[j]!.label);
      expect(ds.r[i]).toBe(labels[j]!.forwardReturn);
    }
  });
});

describe('chronological split with a purge gap', () => {
  const split = splitChronological(ds, { trainFraction: 0.6, calibrationFraction: 0.2 });

  it('keeps the segments in time order, disjoint, and covering all but the purged rows', () => {
    const [tr, ca, te] = [tsOf(ds, split.train), tsOf(ds, split.calibration), tsOf(ds, split.test)];
    expect(Math.max(...tr)).toBeLessThan(Math.min(...ca));
    expect(Math.max(...ca)).toBeLessThan(Math.min(...te));
    const all = new Set([...split.train.indices, ...split.calibration.indices, ...split.test.indices]);
    expect(all.size).toBe(split.train.indices.length + split.calibration.indices.length + split.test.indices.length);
    // Exactly H bar times (× 2 symbols) purged before each of the two boundaries.
    expect(ds.rows - all.size).toBe(2 * 2 * H);
    expect(split.purgeBars).toBe(H);
  });

  it('lets no label window of an earlier segment reach into a later one', () => {
    const later = (seg: Segment): number => Math.min(...tsOf(ds, seg));
    for (const t of tsOf(ds, split.train)) expect(t + H * HOUR).toBeLessThan(later(split.calibration));
    for (const t of tsOf(ds, split.calibration)) expect(t + H * HOUR).toBeLessThan(later(split.test));
    // The boundary is shared by both symbols: no SOL test row precedes a BTC training row's label end.
    expect(split.boundaries[0]).toBe(later(split.calibration));
  });

  it('purges the early-stopping validation slice the same way', () => {
    const { fit, validation } = purgedTail(ds, split.train, 0.2, H);
    const firstVal = Math.min(...tsOf(ds, validation));
    for (const t of tsOf(ds, fit)) expect(t + H * HOUR).toBeLessThan(firstVal);
    expect(split.train.indices.length - fit.indices.length - validation.indices.length).toBe(2 * H);
  });

  it('refuses a purge shorter than the horizon and fractions that leave no test segment', () => {
    expect(() => splitChronological(ds, { purgeBars: H - 1 })).toThrow(/purgeBars/);
    expect(() => splitChronological(ds, { trainFraction: 0.8, calibrationFraction: 0.2 })).toThrow(RangeError);
  });
});

describe('standardisation', () => {
  it('takes its statistics from the training rows only', () => {
    const split = splitChronological(ds);
    const s = fitStandardiser(ds.x, ds.cols, split.train.indices);
    // Wildly different calibration/test rows change nothing.
    const x2 = Float64Array.from(ds.x);
    for (const i of [...split.calibration.indices, ...split.test.indices]) for (let j = 0; j < ds.cols; j++) x2[i * ds.cols + j] = 1e6;
    const s2 = fitStandardiser(x2, ds.cols, split.train.indices);
    expect(Array.from(s2.mean)).toEqual(Array.from(s.mean));
    expect(Array.from(s2.std)).toEqual(Array.from(s.std));
    // And standardised training rows have mean ≈ 0 and std ≈ 1 per column.
    const z = standardiseRows(ds.x, ds.cols, split.train.indices, s);
    for (let j = 0; j < ds.cols; j++) {
      let m = 0;
      for (let r = 0; r < split.train.indices.length; r++) m += z[r * ds.cols + j]!;
      expect(Math.abs(m / split.train.indices.length)).toBeLessThan(1e-5);
    }
  });
});
