import type { TradeSide } from './trade-imbalance.js';

/**
 * What the feature engine reads from market data. Structural subsets of the `streams/` message
 * types (a validated `Bar`, `Trade` or `Quote` message is one), so the engine depends on no
 * schema and benches or CSV tools can feed plain objects. Validation — finite numbers, positive
 * prices, high ≥ low, ordered timestamps — happens at the edge, before the engine sees them.
 */
export type BarInput = Readonly<{
  /** Bar open time, ms since epoch (UTC). */
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}>;

export type TradeInput = Readonly<{ ts: number; price: number; qty: number; side: TradeSide }>;

export type QuoteInput = Readonly<{ ts: number; bid: number; ask: number; bidSize: number; askSize: number }>;
