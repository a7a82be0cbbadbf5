import { z } from 'zod';
import type { Order } from '../streams/messages/order.js';
import { ClientValidationError } from './errors.js';
import type { DeliveryMeta } from './subscription.js';
import { issuesText } from './validate.js';

/**
 * What `subscribeOrders` does with an order already expired on the consumer's clock.
 *
 * The engine decides in event time: after an outage it works through the backlog and publishes
 * orders decided on hours-old bars, whose `expiresAt` (event time + time-to-live) is long past on
 * the wall clock. A desk that placed every order it was handed traded them at today's prices.
 */
export type ExpiryOptions = Readonly<{
  /**
   * `skip` (default): an order whose `expiresAt` is at or before `now()` (less `expiryGraceMs`) is
   * not handed to the loop; it is acknowledged once `onExpired` resolves, and counted in
   * `expiredCount`. `deliver`: every order is handed over, expired or not (replay and backtest
   * consumers that want the whole history).
   */
  expired?: 'skip' | 'deliver';
  /**
   * How long past its `expiresAt` an order is still handed over (default 0): room for the desk's
   * clock running ahead of the venue's. Not a way to work stale orders.
   */
  expiryGraceMs?: number;
  /**
   * Called for each order skipped as expired, before it is acknowledged, with how long past its
   * `expiresAt` it is on the consumer's clock. A handler that throws (or rejects) ends the
   * subscription with that error, the order handed back. Without one, the first skipped order of
   * the subscription is reported with `process.emitWarning` (type `SextantExpiredOrder`).
   */
  onExpired?: (order: Order, lateMs: number, meta: DeliveryMeta) => void | Promise<void>;
  /** The consumer's clock in epoch ms (default `Date.now`); tests pass a fixed one. */
  now?: () => number;
}>;

const fn = z.custom<unknown>((v) => typeof v === 'function', 'a function');
const ExpiryOptionsSchema = z.object({
  expired: z.enum(['skip', 'deliver']).optional(),
  expiryGraceMs: z.number().int().nonnegative().optional(),
  onExpired: fn.optional(),
  now: fn.optional(),
});

/** The option names {@link ExpiryOptions} adds to a subscription's. */
export const EXPIRY_KEYS = Object.keys(ExpiryOptionsSchema.shape) as readonly (keyof ExpiryOptions)[];

/**
 * Throws {@link ClientValidationError} for expiry options no subscription can use, and for those
 * `expired: 'deliver'` would ignore (a grace, a handler or a clock that nothing reads).
 */
export function checkExpiryOptions(opts: object): void {
  const picked = Object.fromEntries(EXPIRY_KEYS.filter((k) => k in opts).map((k) => [k, (opts as Record<string, unknown>)[k]]));
  const r = ExpiryOptionsSchema.safeParse(picked);
  if (!r.success) throw new ClientValidationError(`invalid subscription options: ${issuesText(r.error.issues)}`);
  if (r.data.expired === 'deliver') {
    const ignored = EXPIRY_KEYS.filter((k) => k !== 'expired' && picked[k] !== undefined);
    if (ignored.length > 0) throw new ClientValidationError(`invalid subscription options: ${ignored.join(', ')} with expired: 'deliver': it would be ignored (every order is handed over)`);
  }
}

export type ExpiryScreen = Readonly<{
  /** True when the order is handed over; false when it was expired and reported (the caller acknowledges it). */
  screen(order: Order, meta: DeliveryMeta): Promise<boolean>;
  /** Orders skipped as expired so far. */
  count(): number;
}>;

/** The screen of `opts` (checked by {@link checkExpiryOptions}), or undefined with `expired: 'deliver'`. */
export function expiryScreen(opts: ExpiryOptions, durable: string): ExpiryScreen | undefined {
  if (opts.expired === 'deliver') return undefined;
  const now = opts.now ?? Date.now;
  const grace = opts.expiryGraceMs ?? 0;
  let warned = false;
  const report =
    opts.onExpired ??
    ((o: Order, lateMs: number): void => {
      if (warned) return;
      warned = true;
      process.emitWarning(
        `subscription ${durable} skipped order ${o.id}: expired ${Math.round(lateMs / 1_000)} s ago (expiresAt ${new Date(o.expiresAt).toISOString()}); give onExpired to be told of each, expired: 'deliver' to be handed them`,
        { type: 'SextantExpiredOrder' },
      );
    });
  let skipped = 0;
  return {
    screen: async (o, meta) => {
      const lateMs = now() - o.expiresAt;
      if (lateMs < grace) return true;
      await report(o, lateMs, meta);
      skipped++;
      return false;
    },
    count: () => skipped,
  };
}
