import type { Bar } from '../../streams/messages/bar.js';
import { barId } from '../../streams/messages/bar.js';
import type { Fill } from '../../streams/messages/fill.js';
import { fillId } from '../../streams/messages/fill.js';
import type { Order } from '../../streams/messages/order.js';
import type { Prediction } from '../../streams/messages/prediction.js';
import { predictionId } from '../../streams/messages/prediction.js';
import type { Quote } from '../../streams/messages/quote.js';
import { quoteId } from '../../streams/messages/quote.js';
import type { Suggestion } from '../../streams/messages/suggestion.js';

export const VENUE = 'binance';
export const SYMBOL = 'BTC/USDT';

/** A prediction of strategy `s1` at `ts` whose intent is `target` (null = no intent). */
export function prediction(ts: number, target: number | null, over: Partial<Prediction> = {}): Prediction {
  return {
    type: 'pred',
    v: 1,
    id: predictionId('s1', `f:b:${VENUE}:${SYMBOL}:1m:${ts}`),
    ts,
    strategy: 's1',
    venue: VENUE,
    symbol: SYMBOL,
    source: `f:b:${VENUE}:${SYMBOL}:1m:${ts}`,
    model: { name: 'direction', version: 1 },
    featureSpecHash: 'h',
    horizonMs: 240_000,
    probs: { down: 0.2, flat: 0.3, up: 0.5 },
    expectedReturn: 0.001,
    interval80: [-0.001, 0.003],
    interval95: [-0.002, 0.004],
    attributions: [],
    confidence: 0.5,
    price: 100,
    intent: target === null ? null : { target },
    ...over,
  };
}

export function quote(ts: number, bid: number, ask: number, size = 10, venue = VENUE): Quote {
  return { type: 'md.quote', v: 1, id: quoteId(venue, SYMBOL, ts), venue, symbol: SYMBOL, bid, bidSize: size, ask, askSize: size, ts };
}

export function bar(ts: number, o: number, h: number, l: number, c: number, volume: number, venue = VENUE): Bar {
  return { type: 'md.bar', v: 1, id: barId(venue, SYMBOL, '1m', ts), venue, symbol: SYMBOL, tf: '1m', open: o, high: h, low: l, close: c, volume, ts };
}

/** A fill of a suggestion's order (order id = `o:<suggestion id>`). */
export function fillOf(s: Suggestion, qty: number, price: number, final: boolean, n = 0): Fill {
  const orderId = `o:${s.id}`;
  return { type: 'exec.fill', v: 1, id: fillId(orderId, n), ts: s.ts + 1, orderId, strategy: s.strategy, venue: s.venue, symbol: s.symbol, side: s.side, qty, price, fee: 0, liquidity: 'taker', slippageBps: 0, final };
}

export function order(id: string, ts: number, over: Partial<Order> = {}): Order {
  return {
    type: 'exec.order',
    v: 1,
    id,
    ts,
    strategy: 's1',
    venue: 'paper',
    symbol: SYMBOL,
    suggestionId: id.replace(/^o:/, ''),
    side: 'buy',
    qty: 10,
    orderType: 'market',
    limitPrice: null,
    expiresAt: ts + 600_000,
    reducing: false,
    ...over,
  };
}
