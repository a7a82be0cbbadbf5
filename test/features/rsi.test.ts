import { describe, expect, it } from 'vitest';
import { Rsi } from '../../models/features/rsi.js';

const rsiOf = (closes: readonly number[], period = 14): (number | null)[] => {
  const r = new Rsi(period);
  return closes.map((c) => (r.update(c), r.value));
};

describe('Rsi (Wilder)', () => {
  it('first value on the 15th close for RSI-14', () => {
    const out = rsiOf(Array.from({ length: 16 }, (_, i) => 100 + (i % 2)));
    expect(out.slice(0, 14).every((v) => v === null)).toBe(true);
    expect(out[14]).not.toBeNull();
  });

  it('hand-computed on period 2: averages, then Wilder smoothing', () => {
    // Changes +2, −1 → avg gain 1, avg loss 0.5 → RSI 100·1/1.5.
    // Then +3: gain (1·1+3)/2 = 2, loss (0.5·1+0)/2 = 0.25 → 100·2/2.25.
    const out = rsiOf([10, 12, 11, 14], 2);
    expect(out.slice(0, 2)).toEqual([null, null]);
    expect(out[2]).toBeCloseTo(66.6666666667, 9);
    expect(out[3]).toBeCloseTo(88.8888888889, 9);
  });

  it('is 100 with only gains and 0 with only losses', () => {
    expect(rsiOf([1, 2, 3, 4], 3)[3]).toBe(100);
    expect(rsiOf([4, 3, 2, 1], 3)[3]).toBe(0);
  });

  it('is the neutral 50 on a perfectly flat market (TA-Lib prints 0 there)', () => {
    expect(rsiOf(Array.from({ length: 20 }, () => 5))[19]).toBe(50);
  });

  it('keeps working for prices near 1e-8, where TA-Lib would call |gain+loss| < 1e-14 flat', () => {
    const out = rsiOf([1e-8, 1.01e-8, 1.0e-8, 1.02e-8], 3);
    expect(out[3]).toBeCloseTo((100 * 3) / 4, 9); // gains 1e-10 + 2e-10, loss 1e-10
  });
});
