import type { Prediction } from '../../streams/messages/prediction.js';

/**
 * A prediction's intent in base units under `strategy.sizing: equity`. The strategy core leaves
 * the target as a signed fraction of the equity (±positionSize or 0): it scores a whole slice of
 * vectors before any of their events is applied, so an equity it read would depend on where the
 * slices fall (4,096 events in a backtest, fewer live). The decision path sizes each prediction at
 * its own event instead, with the account's equity there (`capital` + the risk book's PnL, both in
 * the account currency), so the target depends on the event order only:
 * target = fraction × max(0, equity) / (price × rate), `rate` the account-currency units per unit
 * of the symbol's quote currency the risk book values it at (1 when they are one currency: ETH/BTC
 * in a USDT account divides by the BTC/USDT mid too, or 10,000 USDT bought 200,000 ETH at 0.05).
 * A ruined account (equity at or below 0) targets flat. Returns a new prediction (the core shares
 * its intents); one without intent, or with a flat one, as it is.
 *
 * @example
 * sizedByEquity(pred, 20_000) // intent { target: 0.5 } at price 40,000 → { target: 0.25 }
 * sizedByEquity(pred, 20_000, 40_000) // ETH/BTC at 0.05, BTC at 40,000 USDT: 0.5 → { target: 5 }
 */
export function sizedByEquity(p: Prediction, equity: number, rate = 1): Prediction {
  if (p.intent === null || p.intent.target === 0) return p;
  const target = (p.intent.target * Math.max(0, equity)) / (p.price * rate);
  // 0, not −0, for a short on a ruined account: the same bytes whatever the bus.
  return { ...p, intent: { target: target === 0 ? 0 : target } };
}
