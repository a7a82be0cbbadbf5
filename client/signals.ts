import { OrderSchema } from '../streams/messages/order.js';
import type { Order } from '../streams/messages/order.js';
import { PredictionSchema } from '../streams/messages/prediction.js';
import type { Prediction } from '../streams/messages/prediction.js';
import type { Connection } from './connection.js';
import { checkExpiryOptions, EXPIRY_KEYS, expiryScreen } from './expiry.js';
import type { ExpiryOptions } from './expiry.js';
import { orderFilter, predictionFilter } from './filters.js';
import type { SignalFilter } from './filters.js';
import { checkSubscribeOptions } from './subscribe-options.js';
import { openSubscription } from './subscription.js';
import type { SubscribeOptions, TypedSubscription } from './subscription.js';

export type SignalSubscribeOptions = SubscribeOptions & SignalFilter;

/** `subscribeOrders`' options: a subscription's, its filter, and what to do with expired orders (or orders too close to expiring). */
export type OrderSubscribeOptions = SignalSubscribeOptions & ExpiryOptions;

/** An order subscription, with how many orders it skipped as expired or short of `minTimeLeftMs` (acknowledged, reported, not handed over). */
export type OrderSubscription = TypedSubscription<Order> & { readonly expiredCount: number };

/** The options read into the filter subject, beside the subscription's own. */
const FILTER_KEYS = ['strategy', 'venue', 'symbol'] as const satisfies readonly (keyof SignalFilter)[];

/**
 * Approved, actionable orders (`sx.exec.order.<strategy>.<venue>.<sym>`), validated with the v1
 * schema, in stream order (so in order per asset). Leave out strategy, venue or symbol to match all.
 * A symbol not in the engine's form (`btc/usdt`) rejects with `ClientValidationError`: it would match nothing.
 *
 * An order whose `expiresAt` is at or before the consumer's clock (`now`, default `Date.now`;
 * `expiryGraceMs` later) is not handed over: an engine catching up on a backlog publishes orders
 * decided on hours-old data, expired before they arrive. It goes to `onExpired` with how long past
 * `expiresAt` it is, is acknowledged and counted in `expiredCount`. With `minTimeLeftMs`, an order
 * with less time than that left before its `expiresAt` (one with 200 ms left cannot be worked) is
 * skipped the same way, `onExpired`'s `meta.reason` saying `minTimeLeftMs` (`expired` otherwise) and
 * `meta.timeLeftMs` how much it had. `expired: 'deliver'` hands over every order (replay, backtest).
 *
 * @example
 * const sub = await subscribeOrders(nc, { durable: 'desk-1', strategy: 'alpha', venue: 'binance', minTimeLeftMs: 2_000, onExpired: (o, lateMs, m) => log.warn({ id: o.id, lateMs, reason: m.reason }, 'not worked') });
 * for await (const order of sub) await placeWithBroker(order); // clientOrderId = order.id
 */
export async function subscribeOrders(conn: Connection, opts: OrderSubscribeOptions): Promise<OrderSubscription> {
  // Checked before the filter and the expiry options are read, so an unknown option is named first.
  checkSubscribeOptions(opts, [...FILTER_KEYS, ...EXPIRY_KEYS]);
  checkExpiryOptions(opts);
  const expiry = expiryScreen(opts, opts.durable);
  const sub = await openSubscription({ conn, schema: OrderSchema, filterSubject: orderFilter(opts.prefix ?? 'sx', opts), opts, filterKeys: [...FILTER_KEYS, ...EXPIRY_KEYS], ...(expiry !== undefined ? { screen: expiry.screen } : {}) });
  return Object.defineProperty(sub, 'expiredCount', { get: () => expiry?.count() ?? 0, enumerable: true }) as OrderSubscription;
}

/** Predictions (`sx.pred.<strategy>.<venue>.<sym>`), validated with the v1 schema; see {@link subscribeOrders}. */
export async function subscribePredictions(conn: Connection, opts: SignalSubscribeOptions): Promise<TypedSubscription<Prediction>> {
  return openSubscription({ conn, schema: PredictionSchema, filterSubject: predictionFilter(opts.prefix ?? 'sx', opts), opts, filterKeys: FILTER_KEYS });
}
