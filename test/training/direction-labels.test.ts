import { describe, expect, it } from 'vitest';
import { Direction, directionLabels, directionOf } from '../../models/training/direction-labels.js';

describe('direction labels', () => {
  // A hand-built path: H = 2 bars, flat band ±1·ATR/close with ATR = 1.
  const ts = [0, 10, 20, 30, 40, 50];
  const close = [100, 101, 103, 102, 99, 99];
  const atr = [1, 1, 1, 1, 1, 1];

  it('labels each bar by its H-bar forward log return against ±k·ATR/close', () => {
    const labels = directionLabels(ts, close, atr, { horizon: 2, kAtr: 1, barMs: 10 });
    // i=0: ln(103/100) = 0.0296 > 1/100 → up
    // i=1: ln(102/101) = 0.009852 < 1/101 = 0.009901 → flat (just inside the band)
    // i=2: ln(99/103) = −0.0396 < −1/103 → down; i=3: ln(99/102) = −0.0299 → down
    expect(labels.map((l) => l?.label ?? null)).toEqual([Direction.up, Direction.flat, Direction.down, Direction.down, null, null]);
    expect(labels[0]?.forwardReturn).toBeCloseTo(Math.log(1.03), 12);
    expect(labels[1]?.threshold).toBeCloseTo(1 / 101, 12);
    expect(labels[2]?.forwardReturn).toBeCloseTo(Math.log(99 / 103), 12);
  });

  it('widens the band with k: at k = 3 the 2.96 % rise at bar 0 is flat, the 3 % falls at bars 2–3 still down', () => {
    const labels = directionLabels(ts, close, atr, { horizon: 2, kAtr: 3 });
    expect(labels.map((l) => l?.label ?? null)).toEqual([Direction.flat, Direction.flat, Direction.down, Direction.down, null, null]);
  });

  it('gives no label without an ATR or across a gap in the bars', () => {
    const withNaN = directionLabels(ts, close, [NaN, 1, 1, 1, 1, 1], { horizon: 2, kAtr: 1, barMs: 10 });
    expect(withNaN[0]).toBeNull();
    expect(withNaN[1]).not.toBeNull();
    const gapped = [0, 10, 20, 40, 50, 60]; // the bar at 30 is missing
    const labels = directionLabels(gapped, close, atr, { horizon: 2, kAtr: 1, barMs: 10 });
    expect(labels.map((l) => l !== null)).toEqual([true, false, false, true, false, false]);
    // Without barMs the caller accepts index horizons.
    expect(directionLabels(gapped, close, atr, { horizon: 2, kAtr: 1 })[1]).not.toBeNull();
  });

  it('puts a return exactly on the band edge in flat, and refuses bad options', () => {
    expect(directionOf(0.01, 0.01)).toBe(Direction.flat);
    expect(directionOf(-0.01, 0.01)).toBe(Direction.flat);
    expect(directionOf(0.0100001, 0.01)).toBe(Direction.up);
    expect(() => directionLabels(ts, close, atr, { horizon: 0, kAtr: 1 })).toThrow(RangeError);
    expect(() => directionLabels(ts, close, atr, { horizon: 1, kAtr: -1 })).toThrow(RangeError);
    expect(() => directionLabels(ts, close.slice(1), atr, { horizon: 1, kAtr: 1 })).toThrow(RangeError);
  });
});
