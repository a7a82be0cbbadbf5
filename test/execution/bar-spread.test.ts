import { describe, expect, it } from 'vitest';
import { corwinSchultz, createBarSpreadEstimator } from '../../models/execution/bar-spread.js';

const bar = (high: number, low: number, close: number) => ({ high, low, close });

describe('spread estimated from bars', () => {
  it('Corwin–Schultz: two identical bars give S = 2(H − L)/(H + L) (α reduces to ln(H/L))', () => {
    // β = 2r², γ = r² with r = ln(101/100): α = ((2 − √2)/(3 − 2√2) − 1/(√2 − 1)) · r = r,
    // so S = 2(e^r − 1)/(1 + e^r) = 2 · 0.01 / 2.01 ≈ 0.0099502488.
    expect(corwinSchultz(bar(101, 100, 100.5), bar(101, 100, 100.5))).toBeCloseTo(2 / 201, 12);
  });

  it('Corwin–Schultz: a trending pair gives a negative raw estimate, clipped to 0 in the average', () => {
    // β = ln(101/99)² + ln(1.02)² = 0.00079217, γ = ln(102/99)² = 0.00089121,
    // α = (√(2β) − √β)/(3 − 2√2) − √(γ/(3 − 2√2)) = 0.067950 − 0.072072 = −0.004122
    const raw = corwinSchultz(bar(101, 99, 100), bar(102, 100, 101));
    expect(raw).toBeCloseTo((2 * (Math.exp(-0.0041219) - 1)) / (1 + Math.exp(-0.0041219)), 5);
    expect(raw).toBeLessThan(0);
    const est = createBarSpreadEstimator({ kind: 'corwin-schultz', window: 1 });
    est.update(bar(101, 99, 100));
    expect(est.value()).toBeNull(); // one bar: no pair yet
    est.update(bar(102, 100, 101));
    expect(est.value()).toBe(0);
  });

  it('Corwin–Schultz averages the last `window` clipped estimates', () => {
    const est = createBarSpreadEstimator({ kind: 'corwin-schultz', window: 2 });
    est.update(bar(101, 100, 100.5));
    est.update(bar(101, 100, 100.5)); // 2/201
    expect(est.value()).toBeNull();
    est.update(bar(102, 100, 101)); // pair (101,100)-(102,100): computed below
    const second = Math.max(0, corwinSchultz(bar(101, 100, 100.5), bar(102, 100, 101)));
    expect(est.value()).toBeCloseTo((2 / 201 + second) / 2, 12);
    est.update(bar(102, 100, 101)); // identical pair again: 2 · 2/202; the first estimate drops out
    expect(est.value()).toBeCloseTo((second + 4 / 202) / 2, 12);
  });

  it('range-fraction: fraction · (H − L)/C of each completed bar, averaged over the window', () => {
    const est = createBarSpreadEstimator({ kind: 'range-fraction', fraction: 0.1, window: 2 });
    est.update(bar(101, 99, 100)); // 0.1 · 2 / 100 = 0.002
    expect(est.value()).toBeNull();
    est.update(bar(102, 100, 101)); // 0.1 · 2 / 101 = 0.0019801980
    expect(est.value()).toBeCloseTo((0.002 + 0.2 / 101) / 2, 12);
    expect(est.value()).toBeCloseTo(0.001990099, 9);
  });

  it('fixed never estimates, and bad parameters are refused by name', () => {
    const est = createBarSpreadEstimator({ kind: 'fixed' });
    est.update(bar(101, 99, 100));
    expect(est.value()).toBeNull();
    expect(() => createBarSpreadEstimator({ kind: 'range-fraction', fraction: 2 })).toThrow(/fraction/);
    expect(() => createBarSpreadEstimator({ kind: 'corwin-schultz', window: 0 })).toThrow(/window/);
  });
});
