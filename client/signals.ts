import { OrderSchema } from '../streams/messages/order.js';
import type { Order } from '../streams/messages/order.js';
import { PredictionSchema } from '../streams/messages/prediction.js';
import type { Prediction } from '../streams/messages/prediction.js';
import type { Connection } from './connection.js';
import { orderFilter, predictionFilter } from './filters.js';
import type { SignalFilter } from './filters.js';
import { openSubscription } from './subscription.js';
import type { SubscribeOptions, TypedSubscription } from './subscription.js';

export type SignalSubscribeOptions = SubscribeOptions & SignalFilter;

/** The options read into the filter subject, beside the subscription's own. */
const FILTER_KEYS = ['strategy', 'venue', 'symbol'] as const satisfies readonly (keyof SignalFilter)[];

/**
 * Approved, actionable orders (`sx.exec.order.<strategy>.<venue>.<sym>`), validated with the v1
 * schema, in stream order (so in order per asset). Leave out strategy, venue or symbol to match all.
 * A symbol not in the engine's form (`btc/usdt`) rejects with `ClientValidationError`: it would match nothing.
 *
 * @example
 * const sub = await subscribeOrders(nc, { durable: 'desk-1', strategy: 'alpha', venue: 'binance' });
 * for await (const order of sub) await placeWithBroker(order); // clientOrderId = order.id
 */
export async function subscribeOrders(conn: Connection, opts: SignalSubscribeOptions): Promise<TypedSubscription<Order>> {
  return openSubscription({ conn, schema: OrderSchema, filterSubject: orderFilter(opts.prefix ?? 'sx', opts), opts, filterKeys: FILTER_KEYS });
}

/** Predictions (`sx.pred.<strategy>.<venue>.<sym>`), validated with the v1 schema; see {@link subscribeOrders}. */
export async function subscribePredictions(conn: Connection, opts: SignalSubscribeOptions): Promise<TypedSubscription<Prediction>> {
  return openSubscription({ conn, schema: PredictionSchema, filterSubject: predictionFilter(opts.prefix ?? 'sx', opts), opts, filterKeys: FILTER_KEYS });
}
