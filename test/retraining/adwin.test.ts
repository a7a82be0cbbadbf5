import { describe, expect, it } from 'vitest';
import { adwinAdd, adwinMean, adwinWidth, createAdwin } from '../../models/retraining/adwin.js';
import type { AdwinState } from '../../models/retraining/adwin.js';
import { mulberry } from './synthetic.js';

/** Feeds Bernoulli(p) draws; returns the indices where ADWIN reported a change. */
function run(s0: AdwinState, ps: readonly number[], seed: number): { s: AdwinState; changes: number[] } {
  const rnd = mulberry(seed);
  let s = s0;
  const changes: number[] = [];
  ps.forEach((p, i) => {
    const r = adwinAdd(s, rnd() < p ? 1 : 0);
    s = r.state;
    if (r.change) changes.push(i);
  });
  return { s, changes };
}

describe('ADWIN', () => {
  it('finds a known change point in a Bernoulli error stream (0.2 → 0.7 at 1000) soon after it, and not before', () => {
    const ps = [...new Array<number>(1000).fill(0.2), ...new Array<number>(1000).fill(0.7)];
    const { s, changes } = run(createAdwin({ delta: 0.002 }), ps, 7);
    expect(changes.filter((i) => i < 1000)).toEqual([]);
    const first = changes[0] as number;
    expect(first).toBeGreaterThanOrEqual(1000);
    expect(first).toBeLessThan(1150);
    // After the change the window holds (mostly) the new regime only.
    expect(adwinWidth(s)).toBeLessThan(1100);
    expect(adwinMean(s)).toBeGreaterThan(0.6);
    expect(s.seen).toBe(2000);
  });

  it('reports no change on a stationary stream and keeps its memory logarithmic', () => {
    const { s, changes } = run(createAdwin({ delta: 0.002 }), new Array<number>(3000).fill(0.3), 11);
    expect(changes).toEqual([]);
    expect(adwinWidth(s)).toBe(3000);
    expect(Math.abs(adwinMean(s) - 0.3)).toBeLessThan(0.03);
    expect(s.buckets.length).toBeLessThan(70);
  });

  it('state is plain JSON: a restored copy continues identically', () => {
    const ps = [...new Array<number>(600).fill(0.1), ...new Array<number>(600).fill(0.6)];
    const whole = run(createAdwin(), ps, 3);
    const rnd = mulberry(3);
    let s = createAdwin();
    const changes: number[] = [];
    ps.forEach((p, i) => {
      if (i === 700) s = JSON.parse(JSON.stringify(s)) as AdwinState;
      const r = adwinAdd(s, rnd() < p ? 1 : 0);
      s = r.state;
      if (r.change) changes.push(i);
    });
    expect(changes).toEqual(whole.changes);
    expect(s).toEqual(whole.s);
  });
});
