import { describe, expect, it } from 'vitest';
import { packRing, unpackDoubles } from '../../models/features/packed-doubles.js';
import { RollingWindow } from '../../models/features/rolling-window.js';

/** Two-pass mean and population variance of the last n values: the accurate reference. */
const twoPass = (xs: readonly number[]): { mean: number; variance: number } => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, variance: xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length };
};

/** A deterministic, wildly varying series: a slow level, noise, and spikes 1e6× the level. */
const series = (n: number): number[] => {
  let s = 12345;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const u = s / 2147483648;
    out.push(i % 997 === 0 ? 1e12 * u : 1e6 * (1 + Math.sin(i / 5000)) + 1000 * u);
  }
  return out;
};

describe('RollingWindow', () => {
  it('mean, sum and population variance of a partial and a full window', () => {
    const w = new RollingWindow(4);
    expect(w.mean()).toBeNaN();
    w.push(1);
    w.push(2);
    expect([w.count, w.full, w.mean(), w.sum(), w.variance()]).toEqual([2, false, 1.5, 3, 0.25]);
    w.push(3);
    w.push(4);
    w.push(5); // window 2,3,4,5
    expect([w.count, w.full, w.mean(), w.sum(), w.variance()]).toEqual([4, true, 3.5, 14, 1.25]);
  });

  it('does not drift over a million updates with 1e12 spikes', () => {
    const xs = series(1_000_000);
    const w = new RollingWindow(50);
    let worstMean = 0;
    let worstVar = 0;
    xs.forEach((x, i) => {
      w.push(x);
      if (i > 50 && i % 9973 === 0) {
        const ref = twoPass(xs.slice(i - 49, i + 1));
        worstMean = Math.max(worstMean, Math.abs(w.mean() - ref.mean) / ref.mean);
        worstVar = Math.max(worstVar, Math.abs(w.variance() - ref.variance) / ref.variance);
      }
    });
    const ref = twoPass(xs.slice(-50));
    expect(Math.abs(w.mean() - ref.mean) / ref.mean).toBeLessThan(1e-13);
    // A running Σx would keep ~ε·1e12 of every spike forever; Σx² − (Σx)²/n would lose σ
    // entirely once a spike leaves (σ ≈ 300 next to a 2e10 anchor). Both stay near ε here.
    expect(worstMean).toBeLessThan(1e-13);
    expect(worstVar).toBeLessThan(1e-12);
  });

  it('re-anchors once an outlier leaves the window, so σ of the quiet remainder stays exact', () => {
    const w = new RollingWindow(20);
    const xs: number[] = [];
    // Periodic recomputes at pushes 20, 40, 60: the one at 40 anchors on a mean pulled to 5e13 by
    // the spike; the spike leaves at push 46; push 55 reads the quiet window before the next.
    for (let i = 0; i < 55; i++) {
      const x = i === 25 ? 1e15 : 1000 + (i % 3);
      xs.push(x);
      w.push(x);
    }
    const ref = twoPass(xs.slice(-20));
    expect(Math.abs(w.variance() - ref.variance) / ref.variance).toBeLessThan(1e-12);
    expect(Math.abs(w.mean() - ref.mean) / ref.mean).toBeLessThan(1e-15);
  });

  it('keeps σ accurate when σ is 1e-9 of the level (no catastrophic cancellation)', () => {
    const w = new RollingWindow(20);
    const xs: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const x = 1e-6 * (1 + 1e-9 * ((i * 7) % 11)); // PEPE-like level, tiny moves
      xs.push(x);
      w.push(x);
    }
    const ref = twoPass(xs.slice(-20));
    expect(Math.abs(Math.sqrt(w.variance()) - Math.sqrt(ref.variance)) / Math.sqrt(ref.variance)).toBeLessThan(1e-6);
  });

  it('round-trips through JSON with the values oldest first', () => {
    const w = new RollingWindow(3);
    [1, 2, 3, 4].forEach((x) => w.push(x));
    const s = w.toState();
    expect([...unpackDoubles(s.values, 'test')]).toEqual([2, 3, 4]);
    const r = RollingWindow.fromState(JSON.parse(JSON.stringify(s)) as typeof s);
    w.push(10);
    r.push(10);
    expect([r.mean(), r.variance(), r.sum()]).toEqual([w.mean(), w.variance(), w.sum()]);
  });

  it('packs its values bit-exactly (-0, NaN, the last bit) and still reads a snapshot holding a JSON array', () => {
    const w = new RollingWindow(4);
    const odd = [-0, 0.1 + 0.2, 5e-324, -1.7976931348623157e308];
    odd.forEach((x) => w.push(x));
    const back = unpackDoubles(JSON.parse(JSON.stringify(w.toState().values)) as string, 'test');
    expect([...back].map((x) => Object.is(x, -0) ? '-0' : x)).toEqual(odd.map((x) => Object.is(x, -0) ? '-0' : x));
    const nan = new Float64Array([Number.NaN, 1]);
    expect(Number.isNaN(unpackDoubles(packRing(nan, 0, 2), 'test')[0])).toBe(true);
    // Wrapping rings come out oldest first.
    expect([...unpackDoubles(packRing(new Float64Array([3, 4, 1, 2]), 2, 4), 'test')]).toEqual([1, 2, 3, 4]);
    // A snapshot written before packing.
    const w3 = new RollingWindow(3);
    [1, 2, 3, 4].forEach((x) => w3.push(x));
    const r = RollingWindow.fromState({ ...w3.toState(), values: [2, 3, 4] });
    r.push(10);
    w3.push(10);
    expect([r.mean(), r.variance(), r.sum()]).toEqual([w3.mean(), w3.variance(), w3.sum()]);
    expect(() => RollingWindow.fromState({ ...w.toState(), values: 'AAAA' })).toThrow(/not a packed array of doubles/);
  });
});
