import type { PaperVenueSnapshot } from '../models/execution/paper-venue-core.js';
import { PaperVenueSnapshotSchema } from '../models/execution/paper-venue-core.js';
import type { RiskCore } from '../models/risk/risk-core.js';
import type { Logger } from '../state/logger.js';
import type { RiskState } from '../streams/messages/risk-state.js';

/**
 * The paper venue's working orders and price-model estimates stored with the risk book
 * (`paperVenue`, cli/risk-persist.ts), to start the venue from after a restart: a real venue keeps
 * working an order while the engine is down, so the paper venue does too, and the orders the
 * restored risk book and execution count in flight fill or expire there as they would have, priced
 * with the σ, volume and spread it had learned (a snapshot stored before those, v1, still loads:
 * they start over). Undefined when none is stored (a first start, a book written before the venue's
 * orders were) or the one stored is not valid (logged): the venue then starts without orders, and
 * the orders the book holds in flight for it are released at start-up ({@link releaseUnworkedOrders}).
 */
export function restoredPaperVenue(storedBook: unknown, log: Logger): PaperVenueSnapshot | undefined {
  if (!hasVenuePart(storedBook)) return undefined;
  const parsed = PaperVenueSnapshotSchema.safeParse(storedBook.paperVenue);
  if (parsed.success) return parsed.data;
  log.error({ issues: parsed.error.issues.slice(0, 3) }, "the paper venue's stored working orders are not valid: the venue starts without them (the orders in flight for it are released)");
  return undefined;
}

const hasVenuePart = (storedBook: unknown): storedBook is { paperVenue: unknown } => typeof storedBook === 'object' && storedBook !== null && 'paperVenue' in storedBook;

/**
 * When the paper venue starts without stored orders ({@link restoredPaperVenue} undefined) while the
 * restored book holds orders in flight at its venue, nothing would ever fill them: risk and
 * execution counted them in flight, holding their exposure, until their `expiresAt`. A book stored
 * before the venue's orders were stored with it (an upgrade), by an engine without the paper venue,
 * or with a venue part that is not valid. They are released through risk's expiry path, as if the
 * venue had expired them, at the book's newest mark time (event time, not the clock: the book's day
 * and the retired orders' window move with event time only), before execution is built from the
 * book; one warning names them and why. Returns the orders released and the trading-state changes
 * the release caused (a flattening account now flat halts), for the caller to store and announce.
 * `beforeRelease`: called once, when there is something to release, before the first order is.
 */
export function releaseUnworkedOrders(
  risk: Pick<RiskCore, 'bookSnapshot' | 'onExpired'>,
  storedBook: unknown,
  venue: string,
  log: Logger,
  beforeRelease?: () => void,
): Readonly<{ released: readonly string[]; states: readonly RiskState[] }> {
  const { book } = risk.bookSnapshot();
  const unworked = book.inFlight.filter((o) => o.key.slice(0, o.key.indexOf('|')) === venue);
  if (unworked.length === 0) return { released: [], states: [] };
  beforeRelease?.();
  const newest = (ts: readonly number[]): number | undefined => (ts.length === 0 ? undefined : Math.max(...ts));
  const at = newest(book.marks.map(([, m]) => m.ts)) ?? newest(book.orderTimes);
  const states: RiskState[] = [];
  for (const o of unworked) states.push(...risk.onExpired({ orderId: o.orderId, ts: at ?? o.expiresAt }));
  const why = hasVenuePart(storedBook) ? "the venue's part stored with the book is not valid" : "the book was stored without the venue's orders (before they were stored with it, or by an engine without the paper venue)";
  const released = unworked.map((o) => o.orderId);
  log.warn(
    { venue, orders: released, at: at ?? null },
    `${released.length} order(s) in flight at ${venue} released at start-up: ${why}, so the paper venue does not work them and nothing would fill them; they no longer count in flight (as if expired at the book's newest mark)`,
  );
  return { released, states };
}
