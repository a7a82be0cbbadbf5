import type { Fill } from '../../streams/messages/fill.js';
import type { Suggestion } from '../../streams/messages/suggestion.js';
import type { RiskLimitsInput } from '../../models/risk/risk-limits.js';

export const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
export const VENUE = 'binance';
export const BTC = 'BTC/USDT';
export const ETH = 'ETH/USDT';

/** Limits the per-reason tests start from: wide, so each test trips exactly one check. */
export const baseLimits: RiskLimitsInput = {
  allowlist: [BTC, ETH],
  maxOrderQty: { default: 10, perSymbol: { [BTC]: 2 } },
  maxOrderNotional: 100_000,
  collarBps: 50,
  maxPositionQty: { default: 20, perSymbol: { [BTC]: 3 } },
  maxGrossNotional: 1_000_000,
  maxOrdersPerWindow: 100,
  windowMs: 1_000,
  staleAfterMs: 5_000,
  maxDailyLoss: 1_000,
  maxDrawdown: 2_000,
};

let n = 0;
/** A limit suggestion at the mid (overridable field by field); ids are unique per call. */
export function suggestion(over: Partial<Suggestion> = {}): Suggestion {
  n++;
  return {
    type: 'exec.suggest',
    v: 1,
    id: `s:p${n}:0`,
    ts: T0,
    strategy: 'alpha',
    venue: VENUE,
    symbol: BTC,
    parentId: `p${n}`,
    source: `pred${n}`,
    policy: 'twap',
    side: 'buy',
    qty: 1,
    orderType: 'limit',
    refPrice: 100,
    limitPrice: 100,
    limitOffsetBps: 0,
    ttlMs: 10_000,
    child: 0,
    children: 1,
    ...over,
  };
}

export function fill(over: Partial<Fill> & Pick<Fill, 'orderId'>): Fill {
  n++;
  return {
    type: 'exec.fill',
    v: 1,
    id: `x:${over.orderId}:${n}`,
    ts: T0,
    strategy: 'alpha',
    venue: VENUE,
    symbol: BTC,
    side: 'buy',
    qty: 1,
    price: 100,
    fee: 0,
    liquidity: 'taker',
    slippageBps: 0,
    final: true,
    ...over,
  };
}
