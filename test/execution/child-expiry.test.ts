import { describe, expect, it } from 'vitest';
import { createExecutionCore } from '../../models/execution/execution-core.js';
import { createPaperVenue } from '../../models/execution/paper-venue-core.js';
import type { VenueOutput } from '../../models/execution/paper-venue-core.js';
import { twapPolicy } from '../../models/execution/twap-policy.js';
import { marketMid } from '../../models/risk/market-mid.js';
import { createRiskCore } from '../../models/risk/risk-core.js';
import type { Bar } from '../../streams/messages/bar.js';
import type { Fill } from '../../streams/messages/fill.js';
import { knownAt } from '../../streams/messages/market-data.js';
import type { Order } from '../../streams/messages/order.js';
import { baseLimits, suggestion } from '../risk/risk-fixtures.js';
import { bar, prediction, SYMBOL, VENUE } from './fixtures.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);

/** Execution, risk and the paper venue wired as the decision path wires them, on hand-built 1m bars. */
function engine(slices: number) {
  const exec = createExecutionCore({ strategy: 's1', policy: twapPolicy({ slices, orderType: 'limit', limitOffsetBps: 10 }), minQty: 0 });
  const risk = createRiskCore({ account: 'a', limits: { ...baseLimits, allowlist: [SYMBOL], maxOrderQty: { default: 10 }, maxPositionQty: { default: 10 }, staleAfterMs: 1e9 } });
  const venue = createPaperVenue({ venue: VENUE, takerFeeBps: 0, makerFeeBps: 0, spreadBps: 0, slippage: { impactCoeff: 0 }, maxVolumeShare: 1 });
  const orders: Order[] = [];
  const fills: Fill[] = [];
  const expired: string[] = [];
  const venueOut = (out: VenueOutput): void => {
    for (const f of out.fills) {
      fills.push(f);
      risk.onFill(f);
      exec.onFill(f);
    }
    for (const e of out.expired) {
      expired.push(`${e.orderId}@${e.ts - T0}`);
      risk.onExpired(e);
      exec.onExpired(e);
    }
  };
  const decide = (s: Parameters<typeof risk.onSuggestion>[0], now: number): void => {
    const d = risk.onSuggestion(s, now);
    if (d.kind !== 'order') throw new Error(`refused: ${d.reject.reasons.join(',')}`);
    orders.push(d.order);
    venueOut(venue.onOrder(d.order, now));
  };
  const event = (md: Bar): void => {
    venueOut(venue.onMarket(md));
    risk.onMarket(marketMid(md));
    exec.onMarket(md);
    for (const s of exec.onTime(md.ts, knownAt(md))) decide(s, md.ts);
  };
  return { exec, risk, venue, orders, fills, expired, event, decide };
}

describe('a child order stops working at its expiresAt', () => {
  it('a TWAP child lives one slice: it does not fill on the bar that opens at its expiry, beside the next child', () => {
    const e = engine(2);
    e.event(bar(T0, 100, 100, 100, 100, 100));
    // Two children of 1 over two minutes, each a buy limit 10 bps under the close, each living a minute.
    for (const s of e.exec.onPrediction(prediction(T0, 2, { horizonMs: 2 * MIN }), T0)) e.decide(s, T0);
    const [c0] = e.orders;
    if (c0 === undefined) throw new Error('no first child');
    // It exists from the decision bar's close and lives one slice: [T0+1m, T0+2m).
    expect(c0.expiresAt).toBe(T0 + 2 * MIN);
    // Its own minute does not trade down to its limit; the second child goes out at that minute's close.
    e.event(bar(T0 + MIN, 100, 100.2, 99.95, 100, 100));
    expect(e.fills).toEqual([]);
    expect(e.orders).toHaveLength(2);
    const c1 = e.orders[1] as Order;
    expect(c1.expiresAt).toBe(T0 + 3 * MIN);
    // The next minute opens at the first child's expiry and trades through both limits: only the
    // second child is working there (before, the first also filled on it: two children, a second
    // minute of life for the first, twice the slice bought in one bar).
    e.event(bar(T0 + 2 * MIN, 100, 100, 99.5, 99.6, 100));
    expect(e.expired).toEqual([`${c0.id}@${2 * MIN}`]);
    expect(e.fills.map((f) => [f.orderId, f.qty])).toEqual([[c1.id, 1]]);
    expect(e.exec.asset(VENUE, SYMBOL)).toMatchObject({ position: 1, working: 0 });
    expect(e.risk.status().inFlight).toEqual([]);
  });

  it('the venue and execution each let it go at expiresAt on their own, with no market data, and risk on the venue\'s expiry', () => {
    const venue = createPaperVenue({ venue: VENUE, takerFeeBps: 0, makerFeeBps: 0, spreadBps: 0, slippage: { impactCoeff: 0 }, maxVolumeShare: 1 });
    const e = engine(1);
    e.event(bar(T0, 100, 100, 100, 100, 100));
    for (const s of e.exec.onPrediction(prediction(T0, 1, { horizonMs: MIN }), T0)) e.decide(s, T0);
    const [c0] = e.orders;
    if (c0 === undefined) throw new Error('no child');
    venue.onOrder(c0, T0);
    // One millisecond before: working everywhere.
    expect(venue.onTime(c0.expiresAt - 1).expired).toEqual([]);
    expect(e.exec.onTime(c0.expiresAt - 1)).toEqual([]);
    expect(e.exec.asset(VENUE, SYMBOL).working).toBe(1);
    // Risk lets orders go when it next decides (a suggestion): one a millisecond before keeps it in flight.
    const before = e.risk.onSuggestion(suggestion({ ts: c0.expiresAt - 1, qty: 0.1 }), c0.expiresAt - 1);
    expect(before.kind).toBe('order');
    expect(e.risk.status().inFlight.map((o) => o.orderId)).toContain(c0.id);
    // At expiresAt: the venue and execution let it go.
    const expired = venue.onTime(c0.expiresAt).expired;
    expect(expired).toEqual([expect.objectContaining({ orderId: c0.id, ts: c0.expiresAt, remainingQty: 1 })]);
    e.exec.onTime(c0.expiresAt);
    expect(e.exec.asset(VENUE, SYMBOL).working).toBe(0);
    // Risk, not told yet, still counts it (a live venue may fill it late: risk.limits.unreportedExpiryGraceMs)…
    const at = e.risk.onSuggestion(suggestion({ ts: c0.expiresAt, qty: 0.1 }), c0.expiresAt);
    expect(at.kind).toBe('order');
    expect(e.risk.status().inFlight.map((o) => o.orderId)).toContain(c0.id);
    // …and lets it go on the venue's expiry, at its expiresAt (the decision path hands it over).
    for (const x of expired) e.risk.onExpired({ orderId: x.orderId, ts: x.ts, remainingQty: x.remainingQty });
    expect(e.risk.status().inFlight.map((o) => o.orderId)).not.toContain(c0.id);
  });
});
