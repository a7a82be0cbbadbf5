import { RefusalReason } from '../messages/dlq-entry.js';
import type { MarketData } from '../messages/market-data.js';
import type { Refusal } from './refusal.js';
import { refuse } from './refusal.js';

/**
 * The refusal of a market-data message stamped more than `maxAheadMs` after `now` (a live
 * engine's clock): a venue's or a publisher's clock error, or a typo in the year. SCHEMA, as the
 * gateway refuses the same at its edge (`gateways/market-data/market-data-sink.ts`).
 */
export function aheadOfClock(msg: MarketData, now: number, maxAheadMs: number): Refusal {
  const ahead = msg.ts - now;
  return refuse(RefusalReason.SCHEMA, `ts ${msg.ts} (${new Date(msg.ts).toISOString()}) is ${ahead} ms ahead of the engine's clock (at most ${maxAheadMs} ms, validation.maxAheadMs): a venue or clock error`);
}
