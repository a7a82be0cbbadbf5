import type { Expiry } from '../../streams/messages/expiry.js';
import { expiryId } from '../../streams/messages/expiry.js';
import type { VenueExpiry } from './paper-venue-core.js';

/** The `exec.expired` v1 message of a paper-venue expiry: reason `gap` at a hole in the data, else `ttl`. */
export function expiryMessage(e: VenueExpiry): Expiry {
  return {
    type: 'exec.expired',
    v: 1,
    id: expiryId(e.orderId),
    ts: e.ts,
    orderId: e.orderId,
    strategy: e.strategy,
    venue: e.venue,
    symbol: e.symbol,
    filledQty: e.filledQty,
    remainingQty: e.remainingQty,
    reason: e.reason ?? 'ttl',
  };
}
