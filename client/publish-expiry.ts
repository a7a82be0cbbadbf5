import type { PubAck } from '@nats-io/jetstream';
import { ExpirySchema, expiryId } from '../streams/messages/expiry.js';
import type { Expiry } from '../streams/messages/expiry.js';
import type { Connection } from './connection.js';
import { publishExecReport } from './publish-exec.js';
import type { ExecReportKind } from './publish-exec.js';
import { checkPublishFillOptions } from './publish-fill-options.js';
import type { PublishFillOptions } from './publish-fill.js';

/** `publishExpiry`'s options: those of `publishFill` (`prefix`, `timeoutMs`). */
export type PublishExpiryOptions = PublishFillOptions;

/**
 * What a live trading consumer reports when its exchange cancelled or expired an order with
 * quantity left: an `exec.expired` v1 without `type`, `v` and `id`, which `publishExpiry` fills in
 * (`id` = `e:<orderId>`, one per order). Given, they must be those.
 */
export type ExpiryReport = Omit<Expiry, 'type' | 'v' | 'id'> & Readonly<Partial<Pick<Expiry, 'type' | 'v' | 'id'>>>;

/**
 * Tells the engine its order is worked no more (the exchange cancelled or expired it, quantity
 * left) on `sx.exec.expired.<venue>.<sym>`, so the risk book releases it at once instead of
 * counting it in flight (against the position and exposure limits) until its `expiresAt`. The id is
 * `e:<orderId>` (filled in) and is the `Nats-Msg-Id`: one expiry per order, a retry after a timeout
 * answers `duplicate: true`. Publish the order's fills first (`publishFill`). A last fill marked
 * `final` that leaves some of the order unfilled expires it already (the rest is released): an
 * expiry after it that leaves that rest is acknowledged and changes nothing; one of an order whose
 * fills completed it is dead-lettered (ORDER_MISMATCH: nothing was left to expire).
 * Validated first as `publishFill` does (the schema, `orderId` an order id of the engine `o:…`, the
 * strategy one subject token, the symbol in the engine's form): a refused one throws
 * {@link ClientValidationError} and nothing is sent. A prefix no stream captures throws
 * {@link NoStreamError}; unusable or unknown options throw {@link ClientValidationError} first.
 * The engine reads it only with its paper venue off (`paperVenue.enabled: false`).
 *
 * @example
 * await publishExpiry(nc, { ts: Date.now(), orderId: o.id, strategy: o.strategy, venue: o.venue, symbol: o.symbol,
 *   filledQty: 0.004, remainingQty: o.qty - 0.004, reason: 'venue', text: 'cancelled: post-only would cross' });
 */
export async function publishExpiry(conn: Connection, report: ExpiryReport, opts: PublishExpiryOptions = {}): Promise<PubAck> {
  checkPublishFillOptions(opts, 'publishExpiry');
  return publishExecReport(conn, EXPIRY, { type: 'exec.expired', v: 1, id: expiryId(report.orderId), ...report }, opts);
}

const EXPIRY: ExecReportKind<Expiry> = { schema: ExpirySchema, what: 'expiry', order: 'the order that expired', subject: (s, venue, symbol) => s.expired(venue, symbol), fields: Object.keys(ExpirySchema.unwrap().shape) };
