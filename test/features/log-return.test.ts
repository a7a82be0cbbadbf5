import { describe, expect, it } from 'vitest';
import { LogReturn } from '../../models/features/log-return.js';

describe('LogReturn', () => {
  const closes = [100, 110, 99, 121, 121, 133.1, 100];
  const series = (h: number): (number | null)[] => {
    const r = new LogReturn(h);
    return closes.map((c) => (r.update(c), r.value));
  };

  it('1-bar: ln(c_t / c_{t−1}), null on the first bar', () => {
    expect(series(1)).toEqual([
      null,
      Math.log(110 / 100),
      Math.log(99 / 110),
      Math.log(121 / 99),
      0,
      Math.log(133.1 / 121),
      Math.log(100 / 133.1),
    ]);
    // Hand values: +9.531 %, −10.536 %, +20.067 %.
    const s = series(1);
    expect(s[1]).toBeCloseTo(0.0953101798, 10);
    expect(s[2]).toBeCloseTo(-0.1053605157, 10);
    expect(s[3]).toBeCloseTo(0.2006706955, 10);
  });

  it('5-bar: null for the first 5 bars, then ln(c_t / c_{t−5})', () => {
    expect(series(5)).toEqual([null, null, null, null, null, Math.log(133.1 / 100), Math.log(100 / 110)]);
    expect(series(5)[5]).toBeCloseTo(0.2859305394, 10); // ln 1.331 = 3·ln 1.1
  });

  it('returns add up: the 5-bar return is the sum of 1-bar returns (up to rounding)', () => {
    const one = series(1);
    const five = series(5);
    const sum = (one.slice(1, 6) as number[]).reduce((a, b) => a + b, 0);
    expect(five[5]).toBeCloseTo(sum, 14);
  });

  it('20-bar horizon warms for exactly 20 bars', () => {
    const r = new LogReturn(20);
    for (let i = 0; i < 20; i++) {
      r.update(100 + i);
      expect(r.value).toBeNull();
    }
    r.update(150);
    expect(r.value).toBe(Math.log(150 / 100));
    r.update(151);
    expect(r.value).toBe(Math.log(151 / 101));
  });

  it('rejects a non-integer or non-positive horizon', () => {
    expect(() => new LogReturn(0)).toThrow(RangeError);
    expect(() => new LogReturn(1.5)).toThrow(RangeError);
  });
});
