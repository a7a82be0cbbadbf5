import type { BarInput, QuoteInput, TradeInput } from '../../models/features/feature-engine.js';

const SIDES = ['buy', 'sell', 'unknown'] as const;

/**
 * Deterministic synthetic ticks around a real bar, so the tick features take part in the
 * snapshot tests: one quote around the close and three trades at open/close/high with a
 * rotating side (including 'unknown', which exercises the tick rule).
 */
export const ticksFor = (bar: BarInput, i: number): { quote: QuoteInput; trades: TradeInput[] } => {
  const half = (bar.high - bar.low) / 20;
  const quote = { ts: bar.ts, bid: bar.close - half, ask: bar.close + half, bidSize: 1 + (i % 5), askSize: 2 + (i % 3) };
  const trades = [bar.open, bar.close, bar.high].map((price, k) => ({
    ts: bar.ts + k,
    price,
    qty: (bar.volume % 97) / 10 + k + 0.1,
    side: SIDES[(i + k) % 3]!,
  }));
  return { quote, trades };
};
