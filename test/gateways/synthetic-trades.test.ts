import { describe, expect, it } from 'vitest';
import { tradesInBar } from '../../gateways/historical/synthetic-trades.js';
import { mulberry32 } from '../../models/training/seeded-rng.js';
import { barId } from '../../streams/messages/bar.js';
import type { Bar } from '../../streams/messages/bar.js';
import { TradeSchema } from '../../streams/messages/trade.js';

const bar = (open: number, high: number, low: number, close: number): Bar => ({
  type: 'md.bar',
  v: 1,
  id: barId('binance', 'BTC/USDT', '5m', 1_700_000_100_000),
  venue: 'binance',
  symbol: 'BTC/USDT',
  tf: '5m',
  open,
  high,
  low,
  close,
  volume: 40,
  ts: 1_700_000_100_000,
});

describe('synthetic trades (benchmark load)', () => {
  it('gives each trade a valid message with a deterministic id inside the bar, prices within its range', () => {
    const b = bar(100, 110, 95, 105);
    const trades = tradesInBar(b, 7, mulberry32(1));
    expect(trades.map((t) => t.id)).toEqual(Array.from({ length: 7 }, (_, k) => `t:binance:BTC/USDT:syn-5m-1700000100000-${k}`));
    for (const t of trades) {
      expect(TradeSchema.safeParse(t).success).toBe(true);
      expect(t.price).toBeGreaterThanOrEqual(95);
      expect(t.price).toBeLessThanOrEqual(110);
      expect(t.ts).toBeGreaterThan(b.ts);
      expect(t.ts).toBeLessThan(b.ts + 300_000);
    }
    expect(trades.map((t) => t.ts)).toEqual([...trades.map((t) => t.ts)].sort((x, y) => x - y));
    // An up bar walks open → low → high → close: the path touches the low before the high.
    const lowAt = trades.findIndex((t) => t.price === Math.min(...trades.map((x) => x.price)));
    const highAt = trades.findIndex((t) => t.price === Math.max(...trades.map((x) => x.price)));
    expect(lowAt).toBeLessThan(highAt);
    expect(tradesInBar(b, 7, mulberry32(1))).toEqual(trades);
  });

  it('gives nothing for n = 0 and the close for a bar without range', () => {
    expect(tradesInBar(bar(100, 110, 95, 105), 0, mulberry32(1))).toEqual([]);
    expect(tradesInBar(bar(100, 100, 100, 100), 3, mulberry32(1)).map((t) => t.price)).toEqual([100, 100, 100]);
  });
});
