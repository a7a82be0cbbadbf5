import { z } from 'zod';
import { assetSymbol, finite, symbol } from '../../streams/messages/common.js';

const positiveNumber = finite.refine((n) => n > 0, { message: 'must be > 0' });
const positiveInt = z.number().int().positive();
const nonNegativeNumber = finite.refine((n) => n >= 0, { message: 'must be >= 0' });

/**
 * The longest order-rate window (`windowMs`): one day. The risk book keeps approved-order times
 * this long, so a window an operator raises counts the orders already approved in it.
 */
export const MAX_RATE_WINDOW_MS = 86_400_000;
const rateWindow = positiveInt.max(MAX_RATE_WINDOW_MS);

/**
 * The longest `unreportedExpiryGraceMs`: one day of event time, as long as the risk book keeps an
 * order after it lets it go (a report of it later is refused, UNKNOWN_ORDER).
 */
export const MAX_UNREPORTED_EXPIRY_GRACE_MS = 86_400_000;
const expiryGrace = z
  .number()
  .int({ message: 'a whole number of ms' })
  .nonnegative({ message: 'must be >= 0 (0: released at its expiresAt)' })
  .max(MAX_UNREPORTED_EXPIRY_GRACE_MS, { message: `at most ${MAX_UNREPORTED_EXPIRY_GRACE_MS} (a day of event time)` });

/** A limit with a default and per-symbol overrides (`BTC/USDT` → its own cap). */
const PerSymbolSchema = z
  .object({
    default: positiveNumber,
    perSymbol: z.record(symbol, positiveNumber).default({}),
  })
  .strict();
export type PerSymbolLimit = z.infer<typeof PerSymbolSchema>;

/**
 * The risk limits of one account. Quantities are in the base asset, notionals and PnL in the
 * account currency (the allowlist's one quote currency, or `risk.accountCurrency` with its
 * conversions: account-currency.ts). Every field has a conservative default, so a fresh account can trade only
 * what an operator explicitly allows (the allowlist starts empty).
 */
export const RiskLimitsSchema = z
  .object({
    /** Symbols (ccxt unified) this account may trade, on any venue. Empty = nothing. */
    allowlist: z.array(symbol).default([]),
    maxOrderQty: PerSymbolSchema.default({ default: 1, perSymbol: {} }),
    /** Order qty × limit price (market orders: × last mid). */
    maxOrderNotional: positiveNumber.default(10_000),
    /**
     * Least order qty × price (priced as `maxOrderNotional`): the venue's minimum notional (5 USDT
     * on Binance spot), under which it would refuse the order. 0 = no minimum.
     */
    minOrderNotional: nonNegativeNumber.default(0),
    /** Most distance of the order price from the last mid, in basis points of the mid. */
    collarBps: positiveNumber.default(100),
    /** Most absolute position per venue × symbol, counting orders in flight as if they filled. */
    maxPositionQty: PerSymbolSchema.default({ default: 1, perSymbol: {} }),
    /** Most gross exposure of the account, worst case over orders in flight, valued at last mids. */
    maxGrossNotional: positiveNumber.default(50_000),
    /** Most approved orders in any `windowMs` of event time (the account as a whole). */
    maxOrdersPerWindow: positiveInt.default(10),
    windowMs: rateWindow.default(1_000),
    /** Market data older than this (event time) refuses orders on its symbol. */
    staleAfterMs: positiveInt.default(5_000),
    /**
     * How long (event time, ms) an order past its `expiresAt` with no report of its end (no expiry,
     * no `final` fill or fill of all of it; for one whose expiry said fills were still to come,
     * those fills) still counts in flight against the position and exposure limits: a live venue
     * may still fill it (its clock, network delays, an exchange that does not honour the TTL to the
     * millisecond). After it the order is released unreported (counted: the decision stats'
     * `releasedAfterGrace`). 0: released at its `expiresAt`. The paper venue reports every expiry
     * at `expiresAt`, so in a backtest this changes nothing.
     */
    unreportedExpiryGraceMs: expiryGrace.default(60_000),
    /** Loss since the start of the UTC day (realised + unrealised, fees included) that halts. */
    maxDailyLoss: positiveNumber.default(1_000),
    /** Fall of equity from its peak that halts. */
    maxDrawdown: positiveNumber.default(2_000),
    /**
     * What a daily-loss or drawdown breach does: `halt` (HALTED at once: positions stay open until
     * an operator acts) or `flatten` (REDUCING while execution closes every position, then HALTED
     * by itself once nothing is left to sell or buy back).
     */
    onBreach: z.enum(['halt', 'flatten']).default('halt'),
  })
  .strict();
export type RiskLimits = z.infer<typeof RiskLimitsSchema>;
export type RiskLimitsInput = z.input<typeof RiskLimitsSchema>;

/**
 * Per-symbol caps in a patch: each key a ccxt unified symbol (the error names the key); `null`
 * removes the symbol's own cap, so the default applies to it again.
 */
const perSymbolPatch = z.record(symbol, positiveNumber.nullable()).superRefine((caps, ctx) => {
  for (const k of Object.keys(caps)) if (!assetSymbol.safeParse(k).success) ctx.addIssue({ code: 'custom', path: [k], message: 'not a ccxt unified symbol like BTC/USDT' });
});

/**
 * What `setLimits` accepts: any top-level field; `maxOrderQty` / `maxPositionQty` merge per key.
 * Symbols (the allowlist, per-symbol caps) are ccxt unified ones, as the engine's assets are: an
 * operator's `allowlist=btc/usdt` or a cap for `BTC-USDT` was answered ok and then refused every
 * BTC/USDT order (SYMBOL_NOT_ALLOWED) or never applied to it.
 */
export const RiskLimitsPatchSchema = z
  .object({
    allowlist: z.array(assetSymbol).optional(),
    maxOrderQty: z.object({ default: positiveNumber.optional(), perSymbol: perSymbolPatch.optional() }).strict().optional(),
    maxOrderNotional: positiveNumber.optional(),
    minOrderNotional: nonNegativeNumber.optional(),
    collarBps: positiveNumber.optional(),
    maxPositionQty: z.object({ default: positiveNumber.optional(), perSymbol: perSymbolPatch.optional() }).strict().optional(),
    maxGrossNotional: positiveNumber.optional(),
    maxOrdersPerWindow: positiveInt.optional(),
    windowMs: rateWindow.optional(),
    staleAfterMs: positiveInt.optional(),
    unreportedExpiryGraceMs: expiryGrace.optional(),
    maxDailyLoss: positiveNumber.optional(),
    maxDrawdown: positiveNumber.optional(),
    onBreach: z.enum(['halt', 'flatten']).optional(),
  })
  .strict();
export type RiskLimitsPatch = z.infer<typeof RiskLimitsPatchSchema>;

export class RiskLimitsError extends Error {
  override readonly name = 'RiskLimitsError';
}

/**
 * The limits a stored object leaves out, in declaration order: stored before they existed (an
 * upgrade), so parsing it gives them their defaults. Not an object: none (parsing refuses it).
 */
export function limitsLeftOut(stored: unknown): (keyof RiskLimits)[] {
  if (typeof stored !== 'object' || stored === null) return [];
  return (Object.keys(RiskLimitsSchema.shape) as (keyof RiskLimits)[]).filter((k) => !Object.hasOwn(stored, k));
}

/** Parses full limits (defaults filled in); throws RiskLimitsError naming each bad field. */
export function parseRiskLimits(input: unknown): RiskLimits {
  const r = RiskLimitsSchema.safeParse(input ?? {});
  if (!r.success) throw new RiskLimitsError(`invalid risk limits: ${describeIssues(r.error)}`);
  return r.data;
}

/**
 * Applies a validated patch; the per-symbol maps merge key by key (`null` removes a symbol's cap),
 * everything else replaces. A patch that sets `minOrderNotional` or `maxOrderNotional` so that the
 * least order is above the largest is refused: every order would then be refused by one or the
 * other (an operator's `minOrderNotional=20000` meant for 20 was answered ok and stopped trading).
 */
export function applyLimitsPatch(current: RiskLimits, patch: unknown): RiskLimits {
  const r = RiskLimitsPatchSchema.safeParse(patch);
  if (!r.success) throw new RiskLimitsError(`invalid risk limits patch: ${describeIssues(r.error)}`);
  const p = r.data;
  const merged = {
    ...current,
    ...stripUndefined({ ...p, maxOrderQty: undefined, maxPositionQty: undefined }),
    maxOrderQty: mergePerSymbol('maxOrderQty', current.maxOrderQty, p.maxOrderQty),
    maxPositionQty: mergePerSymbol('maxPositionQty', current.maxPositionQty, p.maxPositionQty),
  };
  const next = parseRiskLimits(merged);
  if ((p.minOrderNotional !== undefined || p.maxOrderNotional !== undefined) && next.minOrderNotional > next.maxOrderNotional) {
    throw new RiskLimitsError(
      `invalid risk limits patch: minOrderNotional ${next.minOrderNotional} is above maxOrderNotional ${next.maxOrderNotional}: every order would be refused (MIN_ORDER_NOTIONAL or MAX_ORDER_NOTIONAL); nothing changed`,
    );
  }
  return next;
}

/** The cap for `sym`: its own override, else the default. */
export const capFor = (limit: PerSymbolLimit, sym: string): number => limit.perSymbol[sym] ?? limit.default;

/**
 * A per-symbol limit with a patch merged in: caps key by key, `null` removing a symbol's own cap.
 * Removing a cap the symbol does not have is refused, naming those there are: a mistyped symbol
 * was otherwise answered ok while the cap it meant stayed in force.
 */
function mergePerSymbol(
  name: string,
  cur: PerSymbolLimit,
  p: { default?: number | undefined; perSymbol?: Record<string, number | null> | undefined } | undefined,
): PerSymbolLimit {
  if (p === undefined) return cur;
  const perSymbol: Record<string, number> = { ...cur.perSymbol };
  for (const [sym, cap] of Object.entries(p.perSymbol ?? {})) {
    if (cap !== null) perSymbol[sym] = cap;
    else if (Object.hasOwn(perSymbol, sym)) delete perSymbol[sym];
    else {
      const held = Object.keys(cur.perSymbol);
      throw new RiskLimitsError(`invalid risk limits patch: ${name}.perSymbol.${sym}: has no cap of its own to remove (symbols with one: ${held.length > 0 ? held.join(', ') : 'none'}); nothing changed`);
    }
  }
  return { default: p.default ?? cur.default, perSymbol };
}

function stripUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

function describeIssues(e: z.ZodError): string {
  return e.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}
