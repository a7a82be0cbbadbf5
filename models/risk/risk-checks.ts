import type { Suggestion } from '../../streams/messages/suggestion.js';
import { RiskReason } from '../../streams/messages/risk-reason.js';
import type { TradingState } from '../../streams/messages/risk-state.js';
import { symbolToken, venueToken } from '../../streams/subjects.js';
import type { RiskBook } from './risk-book.js';
import { bookKey, ORDER_TIMES_KEPT } from './risk-book.js';
import type { RiskLimits } from './risk-limits.js';
import { reducesPosition } from '../reducing-order.js';
import { capFor } from './risk-limits.js';
import { pastLimitText } from './amount-text.js';

/** Reasons in the order they are reported: the declaration order of `RiskReason`. */
const REASON_ORDER: ReadonlyMap<RiskReason, number> = new Map(Object.values(RiskReason).map((r, i) => [r, i]));

export type CheckInput = Readonly<{
  s: Suggestion;
  now: number;
  limits: RiskLimits;
  book: RiskBook;
  state: TradingState;
  /** A scoped halt (strategy or symbol) covers this suggestion. */
  scopedHalt: string | undefined;
  /** Another suggestion with this id was seen before. */
  duplicate: boolean;
  breaches: Readonly<{ dailyLoss: boolean; drawdown: boolean }>;
}>;

export type CheckResult = Readonly<{ reasons: readonly RiskReason[]; details: readonly string[]; reducing: boolean }>;

/**
 * Every pre-trade check of one suggestion, all evaluated (a reject lists each reason that
 * applies, in a stable order). Positions count the orders in flight as if they filled: a buy
 * is held to `pos + buys in flight + qty ≤ max`, a sell to `pos − sells in flight − qty ≥ −max`.
 * An order is *reducing* when it is against the position and, with the same-side orders in
 * flight, cannot take the position through zero.
 */
export function checkSuggestion(c: CheckInput): CheckResult {
  const { s, limits, book, now } = c;
  const reasons: RiskReason[] = [];
  const details: string[] = [];
  const add = (r: RiskReason, d: string): void => {
    // A reason found twice (no mid for the symbol, and none for its conversion) is listed once, with both details.
    const i = reasons.indexOf(r);
    if (i >= 0) details[i] += `, ${d}`;
    else {
      reasons.push(r);
      details.push(`${r}: ${d}`);
    }
  };
  const key = bookKey(s.venue, s.symbol);
  const mark = book.marks.get(key);
  const mid = mark?.mid;

  if ((s.orderType === 'limit') !== (s.limitPrice !== null)) add(RiskReason.INVALID_SUGGESTION, `${s.orderType} order with limitPrice ${String(s.limitPrice)}`);
  else if (!tokenable(s.venue, s.symbol)) add(RiskReason.INVALID_SUGGESTION, `venue/symbol cannot form a subject`);
  if (!limits.allowlist.includes(s.symbol)) add(RiskReason.SYMBOL_NOT_ALLOWED, `${s.symbol} is not on the allowlist`);
  const maxQty = capFor(limits.maxOrderQty, s.symbol);
  if (s.qty > maxQty) add(RiskReason.MAX_ORDER_QTY, `qty ${s.qty} > ${maxQty}`);
  const notionalPrice = s.limitPrice ?? mid ?? s.refPrice;
  // In the account currency: unknown while the conversion mid is (refused below, as market data).
  const toAccount = book.rateOf(key);
  const notional = toAccount === undefined ? undefined : s.qty * notionalPrice * toAccount;
  if (notional !== undefined && notional > limits.maxOrderNotional) add(RiskReason.MAX_ORDER_NOTIONAL, `notional ${pastLimitText(notional, '>', limits.maxOrderNotional)}`);
  if (notional !== undefined && notional < limits.minOrderNotional) add(RiskReason.MIN_ORDER_NOTIONAL, `notional ${pastLimitText(notional, '<', limits.minOrderNotional)}, the venue's minimum`);
  if (mid !== undefined) {
    const price = s.limitPrice ?? s.refPrice;
    // Cross-multiplied so prices on a tick grid compare exactly at the boundary.
    if (Math.abs(price - mid) * 10_000 > limits.collarBps * mid) add(RiskReason.PRICE_COLLAR, `price ${price} is more than ${limits.collarBps} bps from mid ${mid}`);
  }
  const pos = book.positionQty(key);
  const buys = book.inFlightQty(key, 'buy');
  const sells = book.inFlightQty(key, 'sell');
  const maxPos = capFor(limits.maxPositionQty, s.symbol);
  if (s.side === 'buy' ? pos + buys + s.qty > maxPos : pos - sells - s.qty < -maxPos) {
    add(RiskReason.POSITION_LIMIT, `position ${pos} with ${s.side === 'buy' ? buys : sells} in flight and ${s.side} ${s.qty} passes ±${maxPos}`);
  }
  const current = book.grossExposure();
  const projected = book.grossExposure({ key, side: s.side, qty: s.qty, price: mid ?? s.refPrice });
  if (projected > limits.maxGrossNotional && projected > current) add(RiskReason.GROSS_EXPOSURE, `gross ${pastLimitText(projected, '>', limits.maxGrossNotional)}`);
  // The window named is the one breached: for a suggestion decided on a late event, one ending
  // after its time (an order approved later in event time), not "the last" window before it.
  const rate = book.ordersInWindow(now, limits.windowMs, limits.maxOrdersPerWindow);
  if (rate.count >= limits.maxOrdersPerWindow) add(RiskReason.ORDER_RATE, `${rate.count} orders in the ${limits.windowMs} ms window ending ${new Date(rate.end).toISOString()}`);
  else if (rate.droppedAfter !== undefined) {
    // Decided on an event so late that its windows reach back past the approved-order times kept: never counted short.
    add(RiskReason.ORDER_RATE, `decided at ${new Date(now).toISOString()}, its ${limits.windowMs} ms windows reach order times no longer kept (up to ${new Date(rate.droppedAfter).toISOString()}: the newest ${ORDER_TIMES_KEPT} of a day are): not counted`);
  }
  if (mark === undefined) add(RiskReason.NO_MARKET_DATA, `no mid for ${s.venue} ${s.symbol}`);
  else if (now - mark.ts > limits.staleAfterMs) add(RiskReason.STALE_MARKET_DATA, `mid is ${now - mark.ts} ms old`);
  conversionChecks(c, key, add);
  if (c.duplicate) add(RiskReason.DUPLICATE_SUGGESTION, `suggestion ${s.id} was seen before with other content`);
  const reducing = reducesPosition(s.side, s.qty, pos, s.side === 'buy' ? buys : sells);
  // The account's PnL leaves out a position it cannot value yet: nothing adds risk until it can.
  const unvalued = reducing ? undefined : book.unvalued();
  if (unvalued !== undefined) {
    add(RiskReason.NO_MARKET_DATA, `no ${unvalued.via ?? 'conversion'} mid on ${unvalued.venue} to value the ${unvalued.symbol} position's ${unvalued.currency} in ${book.accountCurrency() ?? '?'}: the account's PnL is not known`);
  }
  // A breached loss limit refuses what would add exposure; whether a breached account may close
  // positions is the trading state's call (HALTED refuses it, a flattening REDUCING lets it through).
  if (c.breaches.dailyLoss && !reducing) add(RiskReason.DAILY_LOSS, `daily loss ${pastLimitText(book.dailyLoss(), '>', limits.maxDailyLoss)}`);
  if (c.breaches.drawdown && !reducing) add(RiskReason.DRAWDOWN, `drawdown ${pastLimitText(book.drawdown(), '>', limits.maxDrawdown)}`);
  if (c.state === 'HALTED' || c.scopedHalt !== undefined) add(RiskReason.HALTED, c.scopedHalt ?? 'account halted');
  else if (c.state === 'REDUCING' && !reducing) add(RiskReason.REDUCING_ONLY, `account is reducing only; position ${pos}, ${s.side} ${s.qty}`);
  return sortByReason(reasons, details, reducing);
}

/**
 * The conversion of the suggestion's quote currency into the account currency reads a mid like its
 * own: missing or stale, the notional and the account's PnL cannot be priced, and it is refused so.
 */
function conversionChecks(c: CheckInput, key: string, add: (r: RiskReason, d: string) => void): void {
  const conv = c.book.conversionMark(key);
  if (conv === undefined) return;
  const what = `to value ${conv.currency} in ${c.book.accountCurrency() ?? '?'}`;
  if (conv.mark === undefined) add(RiskReason.NO_MARKET_DATA, `no ${conv.symbol} mid on ${conv.venue} ${what}`);
  else if (c.now - conv.mark.ts > c.limits.staleAfterMs) add(RiskReason.STALE_MARKET_DATA, `${conv.symbol} mid (${what}) is ${c.now - conv.mark.ts} ms old`);
}

function sortByReason(reasons: RiskReason[], details: string[], reducing: boolean): CheckResult {
  // Nearly always in order already (the checks run in the declaration order but one).
  let sorted = true;
  for (let i = 1; i < reasons.length && sorted; i++) sorted = (REASON_ORDER.get(reasons[i - 1] as RiskReason) ?? 0) <= (REASON_ORDER.get(reasons[i] as RiskReason) ?? 0);
  if (sorted) return { reasons, details, reducing };
  const idx = reasons.map((_, i) => i).sort((a, b) => (REASON_ORDER.get(reasons[a] as RiskReason) ?? 0) - (REASON_ORDER.get(reasons[b] as RiskReason) ?? 0));
  return { reasons: idx.map((i) => reasons[i] as RiskReason), details: idx.map((i) => details[i] as string), reducing };
}

function tokenable(venue: string, symbol: string): boolean {
  try {
    venueToken(venue);
    symbolToken(symbol);
    return true;
  } catch {
    return false;
  }
}
