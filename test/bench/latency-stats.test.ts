import { describe, expect, it } from 'vitest';
import { lapBars } from '../../bench/latency-engine.js';
import { bootstrapRatio, latencyVerdict, summarise } from '../../bench/latency-stats.js';
import { mulberry32 } from '../../models/training/seeded-rng.js';
import { barId } from '../../streams/messages/bar.js';
import type { Bar } from '../../streams/messages/bar.js';

const HOUR = 3_600_000;
const bar = (symbol: string, ts: number, close: number): Bar => ({
  type: 'md.bar', v: 1, id: barId('binance', symbol, '1h', ts), venue: 'binance', symbol, tf: '1h', open: close, high: close, low: close, close, volume: 1, ts,
});

describe('bootstrapRatio', () => {
  it('gives exactly the scale between two conditions whose blocks are all alike', () => {
    const block = Array.from({ length: 200 }, (_, i) => 1 + i / 10);
    const a = Array.from({ length: 8 }, () => block);
    const b = Array.from({ length: 6 }, () => block.map((x) => 1.5 * x));
    expect(bootstrapRatio(a, b, 99, 200, mulberry32(1))).toEqual({ lo: 1.5, mid: 1.5, hi: 1.5 });
  });

  it('spreads the interval when a few blocks (stalls) decide the percentile, and keeps the pooled ratio inside it', () => {
    const rng = mulberry32(7);
    const quiet = (): number[] => Array.from({ length: 100 }, () => 3 + rng());
    const a = Array.from({ length: 40 }, quiet);
    const b = Array.from({ length: 40 }, quiet);
    (b[3] as number[]).fill(40, 0, 60); // one stall in b: 60 slow samples of 4,000 (1.5 %)
    const pooled = summarise(b.flat()).p99 / summarise(a.flat()).p99;
    const ci = bootstrapRatio(a, b, 99, 500, mulberry32(3));
    expect(pooled).toBeGreaterThan(5);
    expect(ci.lo).toBeLessThan(1.1); // rounds that did not draw the stall
    expect(ci.hi).toBeGreaterThan(5);
    expect(ci.lo).toBeLessThanOrEqual(ci.mid);
    expect(ci.mid).toBeLessThanOrEqual(ci.hi);
  });

  it('is reproducible with the same seed', () => {
    const rng = mulberry32(11);
    const blocks = Array.from({ length: 20 }, () => Array.from({ length: 50 }, () => rng() * 10));
    expect(bootstrapRatio(blocks, blocks.slice(5), 99, 100, mulberry32(5))).toEqual(bootstrapRatio(blocks, blocks.slice(5), 99, 100, mulberry32(5)));
  });
});

describe('lapBars', () => {
  it('repeats a merged window in later, contiguous laps with ids for their new open times', () => {
    const window = [bar('BTC/USDT', 0, 10), bar('ETH/USDT', 0, 20), bar('BTC/USDT', HOUR, 11), bar('ETH/USDT', HOUR, 21)];
    const { bars, laps } = lapBars(window, 10, HOUR);
    expect(laps).toBe(2);
    expect(bars.map((b) => `${b.symbol}@${b.ts / HOUR}:${b.close}`)).toEqual([
      'BTC/USDT@0:10', 'ETH/USDT@0:20', 'BTC/USDT@1:11', 'ETH/USDT@1:21',
      'BTC/USDT@2:10', 'ETH/USDT@2:20', 'BTC/USDT@3:11', 'ETH/USDT@3:21',
      'BTC/USDT@4:10', 'ETH/USDT@4:20',
    ]);
    for (const b of bars) expect(b.id).toBe(barId(b.venue, b.symbol, b.tf, b.ts));
    expect(new Set(bars.map((b) => b.id)).size).toBe(bars.length);
    expect(lapBars(window, 3, HOUR)).toEqual({ bars: window.slice(0, 3), laps: 0 });
  });
});

describe('latencyVerdict', () => {
  const quiet = { target: 2, mainThreadBusy: 0.7, rawBeforeP99: 4, rawAfterP99: 5 };
  it('compares the ratio with the target on a run that can tell', () => {
    expect(latencyVerdict({ ...quiet, ratio: 1.9 })).toEqual({ verdict: 'met', reasons: [] });
    expect(latencyVerdict({ ...quiet, ratio: 11.9 })).toEqual({ verdict: 'not met', reasons: [] });
  });

  it('calls a run with a saturated engine or a raw baseline that moved inconclusive, whatever the ratio', () => {
    // Stop 26's run: main thread 97.1 % busy, raw p99 236.0 ms before and 100.0 ms after, ratio 1.64×.
    const r = latencyVerdict({ ratio: 1.64, target: 2, mainThreadBusy: 0.971, rawBeforeP99: 236.03, rawAfterP99: 100.0 });
    expect(r.verdict).toBe('inconclusive');
    expect(r.reasons).toEqual([expect.stringContaining('97.1 % busy')]);
    const moved = latencyVerdict({ ...quiet, ratio: 1.5, rawAfterP99: 40 });
    expect(moved).toEqual({ verdict: 'inconclusive', reasons: [expect.stringContaining('moved 10.0×')] });
    expect(latencyVerdict({ ...quiet, ratio: 9, mainThreadBusy: 0.95, rawAfterP99: 400 }).reasons).toHaveLength(2);
  });
});

