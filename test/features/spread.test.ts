import { describe, expect, it } from 'vitest';
import { FeatureEngine } from '../../models/features/feature-engine.js';
import { Spread } from '../../models/features/spread.js';

describe('Spread (mid, spread, bps)', () => {
  it('is null until the first quote', () => {
    const s = new Spread();
    expect([s.midPrice, s.value, s.spreadBps]).toEqual([null, null, null]);
  });

  it('hand-computed: bid 100, ask 100.5', () => {
    const s = new Spread();
    s.update(100, 100.5);
    expect(s.midPrice).toBe(100.25);
    expect(s.value).toBe(0.5);
    expect(s.spreadBps).toBeCloseTo(49.8753117207, 9); // 0.5 / 100.25 · 1e4
  });

  it('tracks the latest quote only', () => {
    const s = new Spread();
    s.update(100, 100.5);
    s.update(20_000, 20_000.01);
    expect(s.midPrice).toBeCloseTo(20_000.005, 9);
    expect(s.value).toBeCloseTo(0.01, 9);
    expect(s.spreadBps).toBeCloseTo(0.005, 6);
  });

  it('keeps a crossed book visible as a negative spread', () => {
    const s = new Spread();
    s.update(101, 100);
    expect(s.value).toBe(-1);
    expect(s.spreadBps).toBeLessThan(0);
  });

  it('feeds mid / spread / spread_bps in the engine from quotes only', () => {
    const e = new FeatureEngine();
    e.onBar({ ts: 0, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 });
    expect(e.values()).toMatchObject({ mid: null, spread: null, spread_bps: null });
    e.onQuote({ ts: 1, bid: 100, ask: 100.5, bidSize: 3, askSize: 4 });
    const v = e.values();
    expect(v.mid).toBe(100.25);
    expect(v.spread).toBe(0.5);
    expect(v.spread_bps).toBeCloseTo(49.8753117207, 9);
  });
});
