import { describe, expect, it } from 'vitest';
import { createExecutionCore } from '../../models/execution/execution-core.js';
import { createPaperVenue } from '../../models/execution/paper-venue-core.js';
import type { VenueOutput } from '../../models/execution/paper-venue-core.js';
import { twapPolicy } from '../../models/execution/twap-policy.js';
import { marketMid } from '../../models/risk/market-mid.js';
import { createRiskCore } from '../../models/risk/risk-core.js';
import { bar, prediction } from '../execution/fixtures.js';
import { baseLimits, BTC, suggestion, T0, VENUE } from './risk-fixtures.js';

const MIN = 60_000;

describe('orders the venue stops working', () => {
  it('are released in risk at once: an order cancelled at a hole in the data no longer counts towards the position limit', () => {
    const risk = createRiskCore({ account: 'a', limits: { ...baseLimits, maxPositionQty: { default: 1, perSymbol: { [BTC]: 1 } }, staleAfterMs: 1e9 } });
    const venue = createPaperVenue({ venue: VENUE, takerFeeBps: 0, makerFeeBps: 0, spreadBps: 0, slippage: { impactCoeff: 0 }, maxVolumeShare: 0.1, maxGapMs: 90_000 });
    // What the decision path does with each market event: fills to risk, then expiries, then the mark.
    const event = (ts: number): VenueOutput => {
      const md = bar(ts, 100, 100.1, 99.9, 100, 0.5);
      const out = venue.onMarket(md);
      for (const f of out.fills) risk.onFill(f);
      for (const e of out.expired) risk.onExpired(e);
      risk.onMarket(marketMid(md));
      return out;
    };
    event(T0);
    const d = risk.onSuggestion(suggestion({ ts: T0, side: 'buy', qty: 1, orderType: 'market', limitPrice: null, refPrice: 100, ttlMs: 600_000 }), T0);
    if (d.kind !== 'order') throw new Error(`not approved: ${JSON.stringify(d.reject.reasons)}`);
    venue.onOrder(d.order, T0);
    expect(event(T0 + MIN).fills.map((f) => f.qty)).toEqual([0.05]); // a tenth of the bar's volume
    // Three bars missing: the venue cancels the rest of the order instead of filling it after the hole.
    const atGap = event(T0 + 4 * MIN);
    expect(atGap.expired).toEqual([expect.objectContaining({ orderId: d.order.id, reason: 'gap', remainingQty: 0.95 })]);
    expect(risk.status().inFlight).toEqual([]);
    // 0.05 held + 0.9 is within the limit of 1 (before, the cancelled 0.95 still counted until its TTL).
    const next = risk.onSuggestion(suggestion({ ts: T0 + 4 * MIN, side: 'buy', qty: 0.9, orderType: 'market', limitPrice: null, refPrice: 100, ttlMs: 60_000 }), T0 + 4 * MIN);
    expect(next.kind).toBe('order');
    // An order risk does not hold in flight changes nothing.
    expect(risk.onExpired({ orderId: 'o:unknown', ts: T0 + 4 * MIN })).toEqual([]);
  });

  it('stop counting as working in execution, so the cancelled quantity is traded again on the next intent', () => {
    const exec = createExecutionCore({ strategy: 's1', policy: twapPolicy({ slices: 1, orderType: 'market' }), minQty: 0 });
    exec.onMarket({ type: 'md.trade', v: 1, id: 't0', venue: VENUE, symbol: BTC, ts: T0, price: 100, qty: 1, side: 'buy' });
    const [child] = exec.onPrediction(prediction(T0, 1, { venue: VENUE, symbol: BTC, horizonMs: 600_000 }), T0);
    if (child === undefined) throw new Error('no child');
    expect(exec.asset(VENUE, BTC)?.working).toBe(1);
    exec.onExpired({ orderId: `o:${child.id}`, strategy: 'other', venue: VENUE, symbol: BTC });
    expect(exec.asset(VENUE, BTC)?.working).toBe(1); // another strategy's order
    exec.onExpired({ orderId: `o:${child.id}`, strategy: 's1', venue: VENUE, symbol: BTC });
    expect(exec.asset(VENUE, BTC)?.working).toBe(0);
    const again = exec.onPrediction(prediction(T0 + MIN, 1, { venue: VENUE, symbol: BTC, horizonMs: 600_000 }), T0 + MIN);
    expect(again.map((s) => [s.side, s.qty])).toEqual([['buy', 1]]);
  });
});
