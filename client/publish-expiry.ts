import type { PubAck } from '@nats-io/jetstream';
import { encode } from '../streams/codec.js';
import { assetSymbol } from '../streams/messages/common.js';
import { ExpirySchema, expiryId } from '../streams/messages/expiry.js';
import type { Expiry } from '../streams/messages/expiry.js';
import { orderId } from '../streams/messages/order.js';
import { SubjectError, subjectsFor } from '../streams/subjects.js';
import { toJetStream } from './connection.js';
import type { Connection } from './connection.js';
import { ClientValidationError, isNoStreamForSubject, NoStreamError } from './errors.js';
import { NAME_TOKEN_RE, upperCaseHint } from './filters.js';
import { checkPublishFillOptions } from './publish-fill-options.js';
import type { PublishFillOptions } from './publish-fill.js';
import { issuesText } from './validate.js';

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
 * answers `duplicate: true`. Publish the order's fills first (`publishFill`): a fill marked `final`
 * leaves nothing to expire, and the engine dead-letters the expiry then (ORDER_MISMATCH).
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
  const r = ExpirySchema.safeParse({ type: 'exec.expired', v: 1, id: expiryId(report.orderId), ...report });
  if (!r.success) throw new ClientValidationError(`invalid expiry: ${issuesText(r.error.issues)}`);
  checkOrderOf(r.data);
  const subject = expirySubject(opts.prefix ?? 'sx', r.data);
  try {
    return await toJetStream(conn).publish(subject, encode(r.data), { msgID: r.data.id, ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}) });
  } catch (e) {
    if (isNoStreamForSubject(e)) throw new NoStreamError(`no JetStream stream stores ${subject}: is prefix ${JSON.stringify(opts.prefix ?? 'sx')} the engine's config prefix, and has the engine provisioned its streams? (nats.js: ${(e as Error).message})`, { cause: e });
    throw e;
  }
}

/** As `publishFill`'s: an expiry naming the broker's order id, or a strategy like `dir.mlp`, was stored, then dead-lettered by the engine unseen. */
function checkOrderOf(e: Expiry): void {
  if (!e.orderId.startsWith(orderId(''))) {
    throw new ClientValidationError(`invalid expiry: orderId: ${JSON.stringify(e.orderId)} is no order id of the engine: give the \`id\` of the order that expired (o:…), not the venue's order id`);
  }
  if (!NAME_TOKEN_RE.test(e.strategy)) {
    throw new ClientValidationError(`invalid expiry: strategy: ${JSON.stringify(e.strategy)} is no strategy of the engine: give the \`strategy\` of the order that expired (1-64 letters, digits, _ and -)`);
  }
}

/** The expiry's subject, or {@link ClientValidationError} for a symbol not in the engine's form or a venue or symbol no subject token can carry. */
function expirySubject(prefix: string, e: Expiry): string {
  if (!assetSymbol.safeParse(e.symbol).success) {
    throw new ClientValidationError(`invalid expiry: symbol: ${JSON.stringify(e.symbol)} is no symbol of the engine: ccxt unified, upper case BASE/QUOTE[:SETTLE] like "BTC/USDT"${upperCaseHint(e.symbol)}`);
  }
  try {
    return subjectsFor(prefix).expired(e.venue, e.symbol);
  } catch (err) {
    if (err instanceof SubjectError) throw new ClientValidationError(`invalid expiry: ${err.message}`, { cause: err });
    throw err;
  }
}
