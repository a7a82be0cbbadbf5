import { describe, expect, it } from 'vitest';
import { acKappa, acPath, almgrenChrissPolicy } from '../../models/execution/almgren-chriss-policy.js';
import type { MarketContext, ParentOrder } from '../../models/execution/execution-policy.js';
import { ExecutionPolicyError, slicesWithinBars } from '../../models/execution/execution-policy.js';
import { immediatePolicy } from '../../models/execution/immediate-policy.js';
import { twapPolicy } from '../../models/execution/twap-policy.js';

const parent = (over: Partial<ParentOrder> = {}): ParentOrder => ({ id: 'e:p', side: 'buy', qty: 100, arrivalPrice: 100, startTs: 1_000, horizonMs: 240_000, ...over });
const ctx = (over: Partial<MarketContext> = {}): MarketContext => ({ spreadBps: 4, volatility: 0.01, barMs: 60_000, volume: 1_000, ...over });
const qtys = (xs: readonly { qty: number }[]): number[] => xs.map((x) => x.qty);

describe('immediate policy', () => {
  it('sends everything at the start as a marketable limit through the far touch', () => {
    expect(immediatePolicy({ crossBps: 5, ttlMs: 30_000 }).schedule(parent(), ctx())).toEqual([{ atTs: 1_000, qty: 100, orderType: 'limit', limitOffsetBps: -7, ttlMs: 30_000 }]);
  });
  it('assumes the fallback spread when none is known, and a market order has no offset', () => {
    expect(immediatePolicy({ fallbackSpreadBps: 6, crossBps: 1 }).schedule(parent(), ctx({ spreadBps: null }))[0]?.limitOffsetBps).toBe(-4);
    const m = immediatePolicy({ orderType: 'market' });
    expect(m.name).toBe('immediate-market');
    expect(m.schedule(parent({ side: 'sell' }), ctx())).toEqual([{ atTs: 1_000, qty: 100, orderType: 'market', limitOffsetBps: 0, ttlMs: 60_000 }]);
  });
  it('refuses a malformed parent with a clear error', () => {
    expect(() => immediatePolicy().schedule(parent({ qty: Number.NaN }), ctx())).toThrow(ExecutionPolicyError);
    expect(() => immediatePolicy().schedule(parent({ qty: -1 }), ctx())).toThrow(/qty/);
  });
});

describe('TWAP policy', () => {
  it('places N equal slices at equal intervals, each living one interval', () => {
    const s = twapPolicy({ slices: 4, limitOffsetBps: 2 }).schedule(parent({ qty: 10 }), ctx());
    expect(s).toEqual([
      { atTs: 1_000, qty: 2.5, orderType: 'limit', limitOffsetBps: 2, ttlMs: 60_000 },
      { atTs: 61_000, qty: 2.5, orderType: 'limit', limitOffsetBps: 2, ttlMs: 60_000 },
      { atTs: 121_000, qty: 2.5, orderType: 'limit', limitOffsetBps: 2, ttlMs: 60_000 },
      { atTs: 181_000, qty: 2.5, orderType: 'limit', limitOffsetBps: 2, ttlMs: 60_000 },
    ]);
  });
  it('sums to exactly the parent quantity when the slices do not divide it evenly', () => {
    const s = twapPolicy({ slices: 3 }).schedule(parent({ qty: 1 }), ctx());
    expect(s.reduce((a, c) => a + c.qty, 0)).toBe(1);
    expect(s.map((c) => c.atTs)).toEqual([1_000, 81_000, 161_000]);
  });
});

describe('Almgren–Chriss policy', () => {
  it('gives κ = sqrt(λσ²V/(ηX)), and 0 without a volatility or a volume', () => {
    expect(acKappa(1, 0.01, 1e-3, 100, 1_000)).toBeCloseTo(1, 12);
    expect(acKappa(4, 0.02, 1e-3, 100, 1_000)).toBeCloseTo(4, 12);
    expect(acKappa(1, null, 1e-3, 100, 1_000)).toBe(0);
    expect(acKappa(1, 0.01, 1e-3, 100, null)).toBe(0);
    expect(acKappa(1, 0.01, 1e-3, 100, 0)).toBe(0);
  });

  it('reads temporaryImpact per unit of qty/volume: h(v) = η·v/V, so only the parent\'s share of the volume matters', () => {
    // λ = 1, σ = 1 %, η = 0.1 per unit of participation, a parent of 1 against 1,000 a bar:
    // κ² = λσ²V/(ηX) = 1e-4 · 1,000 / 0.1 = 1 per bar², the hand-computed path of κ = 1 below.
    const ac = almgrenChrissPolicy({ slices: 4, riskAversion: 1, temporaryImpact: 0.1 });
    const small = qtys(ac.schedule(parent({ qty: 1 }), ctx()));
    expect(small[0]).toBeCloseTo(1 - Math.sinh(3) / Math.sinh(4), 12);
    // Ten times the parent against ten times the volume: the same schedule, scaled.
    qtys(ac.schedule(parent({ qty: 10 }), ctx({ volume: 10_000 }))).forEach((q, j) => expect(q).toBeCloseTo(10 * (small[j] as number), 9));
    // The same parent against a thinner market pays more for speed: flatter, nearer TWAP.
    const thin = qtys(ac.schedule(parent({ qty: 1 }), ctx({ volume: 10 })));
    expect(thin[0]).toBeLessThan(small[0] as number);
    expect(thin[0]).toBeGreaterThan(0.25);
    // Without a volume there is no price for impact: TWAP.
    expect(qtys(ac.schedule(parent({ qty: 1 }), ctx({ volume: null })))).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('follows x_j = X·sinh(κ(T−t_j))/sinh(κT) (hand-computed: κ=1/bar, T=4 bars, 4 slices; X = 100 of V = 1,000, η = 1e-3)', () => {
    // sinh(4)=27.2899, sinh(3)=10.0179, sinh(2)=3.62686, sinh(1)=1.17520
    // x = 100, 36.7093, 13.2901, 4.30638, 0 → slices 63.2907, 23.4192, 8.98371, 4.30638
    const s = almgrenChrissPolicy({ slices: 4, riskAversion: 1, temporaryImpact: 1e-3 }).schedule(parent(), ctx());
    const expected = [63.2907, 23.4192, 8.98371, 4.30638];
    s.forEach((c, j) => expect(c.qty).toBeCloseTo(expected[j] as number, 3));
    expect(s.map((c) => c.atTs)).toEqual([1_000, 61_000, 121_000, 181_000]);
    expect(qtys(s).reduce((a, b) => a + b, 0)).toBe(100);
    const x1 = (100 * Math.sinh(3)) / Math.sinh(4);
    expect(s[0]?.qty).toBeCloseTo(100 - x1, 9);
  });

  it('tends to TWAP as λ → 0, and is TWAP at λ = 0 or without volatility', () => {
    const twap = twapPolicy({ slices: 4 }).schedule(parent(), ctx());
    const tiny = almgrenChrissPolicy({ slices: 4, riskAversion: 1e-10, temporaryImpact: 1e-4 }).schedule(parent(), ctx());
    expect(tiny).toHaveLength(twap.length);
    tiny.forEach((c, j) => expect(Math.abs(c.qty - (twap[j]?.qty as number))).toBeLessThan(1e-6));
    expect(qtys(almgrenChrissPolicy({ slices: 4, riskAversion: 0, temporaryImpact: 1e-4 }).schedule(parent(), ctx()))).toEqual(qtys(twap));
    expect(qtys(almgrenChrissPolicy({ slices: 4, riskAversion: 5, temporaryImpact: 1e-4 }).schedule(parent(), ctx({ volatility: null })))).toEqual(qtys(twap));
    // The error shrinks with λ: the limit is approached, not just hit at one point.
    const err = (lambda: number): number => {
      const s = almgrenChrissPolicy({ slices: 4, riskAversion: lambda, temporaryImpact: 1e-4 }).schedule(parent(), ctx());
      return Math.abs((s[0]?.qty as number) - 25);
    };
    expect(err(1e-3)).toBeLessThan(err(1e-2));
    expect(err(1e-2)).toBeLessThan(err(1e-1));
  });

  it('front-loads monotonically for λ > 0, more so as λ grows', () => {
    let prevFirst = 100 / 6; // TWAP's first slice
    for (const lambda of [0.01, 0.1, 1, 10]) {
      const s = qtys(almgrenChrissPolicy({ slices: 6, riskAversion: lambda, temporaryImpact: 1e-4 }).schedule(parent({ horizonMs: 360_000 }), ctx()));
      for (let j = 1; j < s.length; j++) expect(s[j]).toBeLessThan(s[j - 1] as number);
      expect(s[0]).toBeGreaterThan(prevFirst);
      prevFirst = s[0] as number;
    }
  });

  it('stays finite for a very large κT (no sinh overflow)', () => {
    const path = acPath(1, 4, 1e3, 4);
    expect(path.every(Number.isFinite)).toBe(true);
    expect(path[0]).toBe(1);
    expect(path[1]).toBeLessThan(1e-300);
    const s = almgrenChrissPolicy({ slices: 4, riskAversion: 1e9, temporaryImpact: 1e-6 }).schedule(parent(), ctx());
    expect(s[0]?.qty).toBeCloseTo(100, 9);
  });

  it('refuses bad options', () => {
    expect(() => almgrenChrissPolicy({ riskAversion: -1, temporaryImpact: 1 })).toThrow(RangeError);
    expect(() => almgrenChrissPolicy({ riskAversion: 1, temporaryImpact: 0 })).toThrow(RangeError);
    expect(() => twapPolicy({ slices: 0 })).toThrow(RangeError);
  });
});

describe('one child per bar at most (TWAP and Almgren–Chriss)', () => {
  const BAR = 60_000;
  const ac = almgrenChrissPolicy({ slices: 4, riskAversion: 1, temporaryImpact: 1e-3 });
  const twap = twapPolicy({ slices: 4 });

  it('counts the whole bars of the horizon, at least one, at most the slices', () => {
    expect(slicesWithinBars(4, 240_000, BAR)).toBe(4);
    expect(slicesWithinBars(4, 600_000, BAR)).toBe(4);
    expect(slicesWithinBars(4, 150_000, BAR)).toBe(2);
    expect(slicesWithinBars(4, 30_000, BAR)).toBe(1);
    expect(() => slicesWithinBars(4, 240_000, 0)).toThrow(RangeError);
    expect(() => twap.schedule(parent(), ctx({ barMs: Number.NaN }))).toThrow(/barMs/);
  });

  it('gives a horizon shorter than slices × bar fewer, bigger children, equal for TWAP, a bar or more apart', () => {
    // 2.5 bars: two children of half the parent, 75 s apart (four slices put two in a bar: 37.5 s apart).
    expect(twap.schedule(parent({ horizonMs: 150_000 }), ctx())).toEqual([
      { atTs: 1_000, qty: 50, orderType: 'limit', limitOffsetBps: 0, ttlMs: 75_000 },
      { atTs: 76_000, qty: 50, orderType: 'limit', limitOffsetBps: 0, ttlMs: 75_000 },
    ]);
    // Under a bar: the whole parent at once.
    expect(qtys(twap.schedule(parent({ horizonMs: 30_000 }), ctx()))).toEqual([100]);
    // Almgren–Chriss: the same optimal path (κ = 1/bar over T = 2.5 bars), sampled once per bar.
    const s = ac.schedule(parent({ horizonMs: 150_000 }), ctx());
    expect(s.map((c) => c.atTs)).toEqual([1_000, 76_000]);
    expect(s[0]?.qty).toBeCloseTo(100 * (1 - Math.sinh(1.25) / Math.sinh(2.5)), 9);
    expect(qtys(s).reduce((a, q) => a + q, 0)).toBe(100);
  });

  it('never puts two children in one bar, wherever the horizon starts and however long it is', () => {
    for (const policy of [twap, ac, twapPolicy({ slices: 7 }), almgrenChrissPolicy({ slices: 9, riskAversion: 0.1, temporaryImpact: 1e-3 })]) {
      for (const startTs of [0, 1, 29_999, 59_999, 1_000_000_007]) {
        for (let horizonMs = 1_000; horizonMs <= 600_000; horizonMs += 7_919) {
          const s = policy.schedule(parent({ startTs, horizonMs }), ctx());
          const bars = s.map((c) => Math.floor(c.atTs / BAR));
          expect(new Set(bars).size, `${policy.name} ${startTs} ${horizonMs}`).toBe(s.length);
          expect(s.length).toBeLessThanOrEqual(Math.max(1, Math.floor(horizonMs / BAR)));
          expect(qtys(s).reduce((a, q) => a + q, 0)).toBeCloseTo(100, 9);
        }
      }
    }
  });
});
