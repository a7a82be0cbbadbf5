import { RefusalReason } from '../messages/dlq-entry.js';
import type { Refusal } from './refusal.js';
import { refuse } from './refusal.js';

/**
 * The refusal of a message (market data, a consumer's fill) stamped at `ts`, more than
 * `maxAheadMs` after `now` (a live engine's clock): a venue's or a publisher's clock error, or a
 * typo in the year. SCHEMA, as the gateway refuses the same at its edge
 * (`gateways/market-data/market-data-sink.ts`).
 */
export function aheadOfClock(ts: number, now: number, maxAheadMs: number): Refusal {
  return refuse(RefusalReason.SCHEMA, `ts ${ts} (${new Date(ts).toISOString()}) is ${ts - now} ms ahead of the engine's clock (at most ${maxAheadMs} ms, validation.maxAheadMs): a venue or clock error`);
}
