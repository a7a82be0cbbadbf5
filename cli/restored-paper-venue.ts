import type { PaperVenueSnapshot } from '../models/execution/paper-venue-core.js';
import { PaperVenueSnapshotSchema } from '../models/execution/paper-venue-core.js';
import type { Logger } from '../state/logger.js';

/**
 * The paper venue's working orders and price-model estimates stored with the risk book
 * (`paperVenue`, cli/risk-persist.ts), to start the venue from after a restart: a real venue keeps
 * working an order while the engine is down, so the paper venue does too, and the orders the
 * restored risk book and execution count in flight fill or expire there as they would have, priced
 * with the σ, volume and spread it had learned (a snapshot stored before those, v1, still loads:
 * they start over). Undefined when none is stored (a first start, a book written before the venue's
 * orders were); one that is not valid is logged and left out, and those orders then count in
 * flight until their `expiresAt`, unworked.
 */
export function restoredPaperVenue(storedBook: unknown, log: Logger): PaperVenueSnapshot | undefined {
  if (typeof storedBook !== 'object' || storedBook === null || !('paperVenue' in storedBook)) return undefined;
  const parsed = PaperVenueSnapshotSchema.safeParse(storedBook.paperVenue);
  if (parsed.success) return parsed.data;
  log.error({ issues: parsed.error.issues.slice(0, 3) }, 'the paper venue\'s stored working orders are not valid: the venue starts without them (they count in flight until they expire)');
  return undefined;
}
