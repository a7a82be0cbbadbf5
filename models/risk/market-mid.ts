import type { MarketData } from '../../streams/messages/market-data.js';
import { knownAt } from '../../streams/messages/market-data.js';
import type { MarketMid } from './risk-core.js';

/**
 * The mid the risk actor collars against, from any market-data message: a quote's (bid+ask)/2,
 * a trade's price, a bar's close (known at the bar's close time, not its open).
 */
export function marketMid(md: MarketData): MarketMid {
  switch (md.type) {
    case 'md.quote':
      return { venue: md.venue, symbol: md.symbol, ts: md.ts, mid: (md.bid + md.ask) / 2 };
    case 'md.trade':
      return { venue: md.venue, symbol: md.symbol, ts: md.ts, mid: md.price };
    case 'md.bar':
      return { venue: md.venue, symbol: md.symbol, ts: knownAt(md), mid: md.close };
  }
}
