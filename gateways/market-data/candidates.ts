import { barId } from '../../streams/messages/bar.js';
import type { Timeframe } from '../../streams/messages/bar.js';
import { quoteId } from '../../streams/messages/quote.js';
import { tradeId } from '../../streams/messages/trade.js';

/**
 * Candidate messages built from provider values, before validation: fields are whatever the
 * provider gave (a missing price stays `undefined`, a garbled one `NaN`), and the sink refuses
 * them with the reason. Ids are the same as the CSV replay's, so live, backfilled and replayed
 * copies of one event deduplicate against each other.
 */
export type Candidate = Readonly<Record<string, unknown>>;

/** `[openTime, open, high, low, close, volume]`, as ccxt's OHLCV rows. */
export type Candle = readonly (number | undefined)[];

export function barCandidate(venue: string, symbol: string, tf: Timeframe, c: Candle, recvTs: number): Candidate {
  const ts = c[0];
  return {
    type: 'md.bar', v: 1, id: barId(venue, symbol, tf, ts ?? NaN), venue, symbol, tf,
    open: c[1], high: c[2], low: c[3], close: c[4], volume: c[5], ts, recvTs,
  };
}

export type TradeFields = Readonly<{ id: string | undefined; ts: number | undefined; price: number | undefined; qty: number | undefined; side: string | undefined }>;

/**
 * A trade's id is the venue's trade id. A trade without one is left without an id, so the sink
 * refuses it to the dead-letter subject (SCHEMA, `id`): an id made of nothing would be the same
 * for every such trade, and JetStream's duplicate window would drop all but the first unseen.
 * (The ccxt feed refuses them itself, one counted dead letter a minute: some venues send no ids.)
 */
export function tradeCandidate(venue: string, symbol: string, t: TradeFields, recvTs: number): Candidate {
  const side = t.side === 'buy' || t.side === 'sell' ? t.side : 'unknown';
  const id = t.id === undefined || t.id === '' ? undefined : tradeId(venue, symbol, t.id);
  return { type: 'md.trade', v: 1, id, venue, symbol, price: t.price, qty: t.qty, side, ts: t.ts, recvTs };
}

export type QuoteFields = Readonly<{ ts: number | undefined; bid: number | undefined; bidSize: number | undefined; ask: number | undefined; askSize: number | undefined }>;

/** The sequence number in the id is set by the sink (distinct quotes in one millisecond). */
export function quoteCandidate(venue: string, symbol: string, q: QuoteFields, recvTs: number): Candidate {
  return { type: 'md.quote', v: 1, id: quoteId(venue, symbol, q.ts ?? NaN), venue, symbol, bid: q.bid, bidSize: q.bidSize ?? 0, ask: q.ask, askSize: q.askSize ?? 0, ts: q.ts, recvTs };
}
