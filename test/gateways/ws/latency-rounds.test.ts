import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../models/training/seeded-rng.js';
import { comparePhases, median, quantile } from './latency-rounds.js';
import type { Phase } from './latency-rounds.js';

/** Phases of `n` latencies each, log-normal-ish around `base` ms, ABBA-ordered like the fan-out test. */
function phases(count: number, n: number, seed: number, latency: (treated: boolean, rng: () => number) => number): Phase[] {
  const rng = mulberry32(seed);
  return Array.from({ length: count }, (_, i) => {
    const treated = i % 4 === 1 || i % 4 === 2;
    return { treated, samples: Array.from({ length: n }, () => latency(treated, rng)) };
  });
}
const base = (rng: () => number): number => 2 * Math.exp(0.6 * (rng() + rng() + rng() - 1.5));

describe('comparing p99 over alternating phases', () => {
  it('quantile and median', () => {
    expect(quantile([5, 1, 4, 2, 3], 0.5)).toBe(3);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.99)).toBe(10);
    expect(quantile([], 0.99)).toBeNaN();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('is not moved past 10% by stalls that hit a few phases of either condition', () => {
    // The same distribution on both sides; 3 of the 40 treated phases meet a 30 ms stall that
    // holds up a fifth of their deliveries.
    const stalled = new Set([1, 17, 42]);
    const ps = phases(80, 2000, 7, (_, rng) => base(rng)).map((p, i) => (stalled.has(i) ? { ...p, samples: p.samples.map((x, j) => (j < 400 ? x + 30 : x)) } : p));
    expect(ps.filter((p, i) => stalled.has(i) && p.treated)).toHaveLength(3);
    const c = comparePhases(ps);
    expect(c.ratio).toBeLessThanOrEqual(1.1);
    // The pooled p99 is owned by the stalls: it would have judged by where they happened to land.
    expect(c.pooled.treated / c.pooled.control).toBeGreaterThan(1.5);
  });

  it('fails a treatment that adds 15% to every latency', () => {
    const c = comparePhases(phases(80, 2000, 11, (treated, rng) => base(rng) * (treated ? 1.15 : 1)));
    expect(c.ratio).toBeGreaterThan(1.1);
  });

  it('fails a treatment that only fattens the tail (1 in 50 deliveries 3x slower)', () => {
    const c = comparePhases(phases(80, 2000, 13, (treated, rng) => base(rng) * (treated && rng() < 0.02 ? 3 : 1)));
    expect(c.ratio).toBeGreaterThan(1.1);
  });
});
