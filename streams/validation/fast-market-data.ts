import { TIMEFRAME_MS } from '../messages/bar.js';
import type { Bar } from '../messages/bar.js';
import type { MarketData } from '../messages/market-data.js';
import type { Quote } from '../messages/quote.js';
import type { Trade } from '../messages/trade.js';

/**
 * The accept path of edge validation without zod: the same rules as the schemas in
 * `streams/messages/`, checked by hand, because it runs on every inbound tick. It only ever
 * accepts; anything it does not accept goes through zod, which decides and explains. A test
 * holds the two to the same verdicts.
 *
 * Like zod it builds a new, frozen object holding only the schema's fields, in the schema's
 * order: unknown fields are dropped, and every accepted message of a kind has the same shape,
 * which keeps the feature engine's property accesses monomorphic.
 */
export function fastMarketData(o: Readonly<Record<string, unknown>>): MarketData | undefined {
  const { id, venue, symbol, ts, recvTs } = o;
  if (o['v'] !== 1 || !str(id, 200) || !str(venue, 64) || !str(symbol, 64) || !epoch(ts)) return undefined;
  if (recvTs !== undefined && !epoch(recvTs)) return undefined;
  switch (o['type']) {
    case 'md.trade': {
      const { price, qty, side } = o;
      if (!pos(price) || !pos(qty) || !(side === 'buy' || side === 'sell' || side === 'unknown')) return undefined;
      const m: Trade =
        recvTs === undefined
          ? { type: 'md.trade', v: 1, id, venue, symbol, price, qty, side, ts }
          : { type: 'md.trade', v: 1, id, venue, symbol, price, qty, side, ts, recvTs };
      return Object.freeze(m);
    }
    case 'md.quote': {
      const { bid, bidSize, ask, askSize } = o;
      if (!pos(bid) || !nonNeg(bidSize) || !pos(ask) || !nonNeg(askSize)) return undefined;
      const m: Quote =
        recvTs === undefined
          ? { type: 'md.quote', v: 1, id, venue, symbol, bid, bidSize, ask, askSize, ts }
          : { type: 'md.quote', v: 1, id, venue, symbol, bid, bidSize, ask, askSize, ts, recvTs };
      return Object.freeze(m);
    }
    case 'md.bar': {
      const { tf, open, high, low, close, volume } = o;
      if (!timeframe(tf) || !pos(open) || !pos(high) || !pos(low) || !pos(close) || !nonNeg(volume)) return undefined;
      if (!(high >= low && high >= Math.max(open, close) && low <= Math.min(open, close))) return undefined;
      const m: Bar =
        recvTs === undefined
          ? { type: 'md.bar', v: 1, id, venue, symbol, tf, open, high, low, close, volume, ts }
          : { type: 'md.bar', v: 1, id, venue, symbol, tf, open, high, low, close, volume, ts, recvTs };
      return Object.freeze(m);
    }
    default:
      return undefined;
  }
}

// Mirrors of streams/messages/common.ts. `v < Infinity` is false for NaN and ±Infinity alike.
const str = (v: unknown, max: number): v is string => typeof v === 'string' && v.length >= 1 && v.length <= max;
const pos = (v: unknown): v is number => typeof v === 'number' && v > 0 && v < Infinity;
const nonNeg = (v: unknown): v is number => typeof v === 'number' && v >= 0 && v < Infinity;
const epoch = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const timeframe = (v: unknown): v is Bar['tf'] => typeof v === 'string' && Object.hasOwn(TIMEFRAME_MS, v);
