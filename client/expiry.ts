import { z } from 'zod';
import type { Order } from '../streams/messages/order.js';
import { ClientValidationError } from './errors.js';
import type { DeliveryMeta } from './subscription.js';
import { issuesText } from './validate.js';

/**
 * Why `subscribeOrders` skipped an order (did not hand it over): `expired`, its `expiresAt` is at
 * or before the consumer's clock (less `expiryGraceMs`); `minTimeLeftMs`, it had less time left
 * than that option asks. Not `ExpiryReason`, why an order stopped working at its venue
 * (`exec.expired`: `ttl`, `gap`, `venue`).
 */
export type SkipReason = 'expired' | 'minTimeLeftMs';

/**
 * @deprecated Renamed {@link SkipReason}: this name read like `ExpiryReason` (an `exec.expired`'s
 * reason). Kept so code written against it still compiles.
 */
export type ExpiredReason = SkipReason;

/**
 * What `onExpired` is told of a skipped order besides where it came from: why it was skipped
 * ({@link SkipReason}) and how much time it had left. Not of an `exec.expired` (`Expiry`).
 */
export type SkipMeta = DeliveryMeta &
  Readonly<{
    reason: SkipReason;
    /** `expiresAt` less the consumer's clock (no grace): negative or 0 when expired, how little was left otherwise. */
    timeLeftMs: number;
  }>;

/**
 * @deprecated Renamed {@link SkipMeta}, as `ExpiredReason` became {@link SkipReason}: this name read
 * like the meta of an `exec.expired`. Kept so code written against it still compiles.
 */
export type ExpiredMeta = SkipMeta;

/**
 * What `subscribeOrders` does with an order already expired on the consumer's clock, or too close
 * to expiring to be worked.
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
   * The least time an order must have left before its `expiresAt` to be handed over (default 0:
   * any time left): an order with 200 ms left cannot be worked on a venue that takes longer to
   * place it. Measured on the consumer's clock, `expiryGraceMs` added (the clock taken as that much
   * ahead). An order with less goes to `onExpired` like an expired one, with reason
   * `minTimeLeftMs`, and is acknowledged and counted in `expiredCount`.
   */
  minTimeLeftMs?: number;
  /**
   * Called for each order skipped (expired, or with less than `minTimeLeftMs` left), before it is
   * acknowledged, with how long past its `expiresAt` it is on the consumer's clock (`lateMs`,
   * negative when it had time left) and why (`meta.reason`, `meta.timeLeftMs`). A handler that
   * throws (or rejects) ends the subscription with that error, the order handed back. Without one,
   * the first skipped order of the subscription is reported with `process.emitWarning` (type
   * `SextantExpiredOrder`).
   */
  onExpired?: (order: Order, lateMs: number, meta: SkipMeta) => void | Promise<void>;
  /** The consumer's clock in epoch ms (default `Date.now`); tests pass a fixed one. */
  now?: () => number;
}>;

const fn = z.custom<unknown>((v) => typeof v === 'function', 'a function');
const ExpiryOptionsSchema = z.object({
  expired: z.enum(['skip', 'deliver']).optional(),
  expiryGraceMs: z.number().int().nonnegative().optional(),
  minTimeLeftMs: z.number().int().nonnegative().optional(),
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
  /** Orders skipped so far (expired, or with less than `minTimeLeftMs` left). */
  count(): number;
}>;

/** The screen of `opts` (checked by {@link checkExpiryOptions}), or undefined with `expired: 'deliver'`. */
export function expiryScreen(opts: ExpiryOptions, durable: string): ExpiryScreen | undefined {
  if (opts.expired === 'deliver') return undefined;
  const now = opts.now ?? Date.now;
  const grace = opts.expiryGraceMs ?? 0;
  const minLeft = opts.minTimeLeftMs ?? 0;
  let warned = false;
  const report =
    opts.onExpired ??
    ((o: Order, lateMs: number, m: SkipMeta): void => {
      if (warned) return;
      warned = true;
      const why = m.reason === 'expired' ? `expired ${Math.round(lateMs / 1_000)} s ago` : `${Math.max(0, m.timeLeftMs)} ms left, under minTimeLeftMs ${minLeft}`;
      process.emitWarning(
        `subscription ${durable} skipped order ${o.id}: ${why} (expiresAt ${new Date(o.expiresAt).toISOString()}); give onExpired to be told of each, expired: 'deliver' to be handed them`,
        { type: 'SextantExpiredOrder' },
      );
    });
  let skipped = 0;
  return {
    screen: async (o, meta) => {
      const at = now();
      const timeLeftMs = o.expiresAt - at;
      // The clock may run up to `grace` ahead of the venue's: that much more time is left.
      const left = timeLeftMs + grace;
      if (left > 0 && left >= minLeft) return true;
      const reason: SkipReason = left > 0 ? 'minTimeLeftMs' : 'expired';
      await report(o, at - o.expiresAt, { ...meta, reason, timeLeftMs });
      skipped++;
      return false;
    },
    count: () => skipped,
  };
}
