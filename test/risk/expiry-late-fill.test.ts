import { describe, expect, it } from 'vitest';
import { restoredExecution } from '../../cli/restored-execution.js';
import { createExecutionCore } from '../../models/execution/execution-core.js';
import { twapPolicy } from '../../models/execution/twap-policy.js';
import { createRiskCore } from '../../models/risk/risk-core.js';
import type { Expiry } from '../../streams/messages/expiry.js';
import { expiryId } from '../../streams/messages/expiry.js';
import { prediction } from '../execution/fixtures.js';
import { baseLimits, BTC, fill, suggestion, T0, VENUE } from './risk-fixtures.js';

const expiry = (orderId: string, filledQty: number, remainingQty: number): Expiry => ({
  type: 'exec.expired',
  v: 1,
  id: expiryId(orderId),
  ts: T0 + 2_000,
  orderId,
  strategy: 'alpha',
  venue: VENUE,
  symbol: BTC,
  filledQty,
  remainingQty,
  reason: 'venue',
});

/** A risk core (BTC: position cap 3, order cap 2) marked at 100, holding an approved buy of 2 with 1 of it filled. */
function partlyFilled() {
  const risk = createRiskCore({ account: 'a', limits: baseLimits });
  risk.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
  const d = risk.onSuggestion(suggestion({ qty: 2, ttlMs: 3_600_000 }), T0);
  if (d.kind !== 'order') throw new Error(`not approved: ${d.reject.detail}`);
  const id = d.order.id;
  risk.onFill(fill({ orderId: id, qty: 1, final: false, fee: 0.1, ts: T0 + 1_000 }));
  const buy = (qty: number, at: number) => {
    const s = risk.onSuggestion(suggestion({ qty, ts: at }), at);
    return s.kind === 'order' ? 'order' : s.reject.reasons.join(',');
  };
  return { risk, id, buy };
}

/**
 * Live, fills and expiries travel on different subjects: a venue's last partial fill can come
 * after its expiry. The expiry released the whole order whatever its `filledQty` said, so the
 * part filled and not booked yet counted nowhere (neither position nor in flight) until the fill
 * came, and a follow-up order could pass the position cap on it.
 */
describe('an expiry whose venue filled more than the fills booked so far, and the late fill', () => {
  it('keeps what was filled and not booked in flight, releases the rest, and books the late fill (position, PnL), then lets the order go', () => {
    const { risk, id, buy } = partlyFilled();
    const e = expiry(id, 1.5, 0.5);
    expect(risk.checkExpiry(e)).toBeUndefined();
    expect(risk.expirable(id)).toBe(true);
    risk.onExpired(e);
    // 0.5 unfilled is released; the 0.5 filled and not booked yet still counts: 1 + 0.5 + 1.6 passes the cap of 3.
    expect(risk.status().inFlight).toEqual([expect.objectContaining({ orderId: id, remaining: 1, awaited: 0.5 })]);
    expect(buy(1.6, T0 + 3_000)).toBe('POSITION_LIMIT');
    // A second report of the expiry releases nothing more.
    expect(risk.expirable(id)).toBe(false);
    risk.onExpired(e);
    expect(risk.status().inFlight).toEqual([expect.objectContaining({ orderId: id, awaited: 0.5 })]);

    // The late fill: of an order the book still holds, as approved, booked as any.
    const late = fill({ orderId: id, qty: 0.5, price: 99, fee: 0.05, final: false, ts: T0 + 4_000 });
    expect(risk.checkFill(late)).toBeUndefined();
    risk.onFill(late);
    const st = risk.status();
    expect(st.positions).toEqual([expect.objectContaining({ venue: VENUE, symbol: BTC, qty: 1.5 })]);
    expect(st.positions[0]?.realised).toBeCloseTo(-0.15, 12); // both fees
    expect(st.positions[0]?.avgCost).toBeCloseTo((100 + 0.5 * 99) / 1.5, 9);
    expect(st.inFlight).toEqual([]);
    expect(buy(1.5, T0 + 5_000)).toBe('order'); // 1.5 held + 1.5 = 3
    // Its expiry again: the order is known (retired), consistent, and nothing is left to release.
    expect(risk.checkExpiry(e)).toBeUndefined();
    expect(risk.expirable(id)).toBe(false);
  });

  it('releases the order whole when the fills booked are all the venue filled', () => {
    const { risk, id, buy } = partlyFilled();
    risk.onExpired(expiry(id, 1, 1));
    expect(risk.status().inFlight).toEqual([]);
    expect(buy(2, T0 + 3_000)).toBe('order'); // 1 held + 2 = 3
  });

  it('lets the part still to come go at the order\'s expiresAt and the grace after it when its fill never comes, and still books a fill after that', () => {
    const { risk, id } = partlyFilled();
    risk.onExpired(expiry(id, 1.5, 0.5));
    const expiresAt = risk.status().inFlight[0]?.expiresAt ?? 0;
    const grace = risk.getLimits().unreportedExpiryGraceMs;
    // The fill the venue said it made is still to come: counted through the grace (unreportedExpiryGraceMs).
    risk.onSuggestion(suggestion({ qty: 0.1, ts: expiresAt + grace - 1 }), expiresAt + grace - 1);
    expect(risk.status().inFlight).toEqual([expect.objectContaining({ orderId: id, awaited: 0.5 })]);
    risk.onSuggestion(suggestion({ qty: 0.1, ts: expiresAt + grace }), expiresAt + grace);
    expect(risk.status().inFlight.map((o) => o.orderId)).not.toContain(id);
    expect(risk.releasedAfterGrace()).toBe(1);
    const late = fill({ orderId: id, qty: 0.5, final: true, ts: expiresAt + grace + 1_000 });
    expect(risk.checkFill(late)).toBeUndefined();
    risk.onFill(late);
    expect(risk.status().positions[0]?.qty).toBe(1.5);
  });

  it('restarts with the part still to come in flight, and execution with it working (not what the venue left unfilled)', () => {
    const { risk, id } = partlyFilled();
    risk.onExpired(expiry(id, 1.5, 0.5));
    const again = createRiskCore({ account: 'a', limits: baseLimits, book: risk.bookSnapshot() });
    expect(again.status().inFlight).toEqual([expect.objectContaining({ orderId: id, awaited: 0.5 })]);
    expect(again.expirable(id)).toBe(false);
    expect(restoredExecution(again.bookSnapshot().book, 'alpha').working).toEqual([expect.objectContaining({ orderId: id, remaining: 0.5 })]);
  });

  it("refuses an expiry whose quantities are not the order's, or that says less was filled than the fills booked (ORDER_MISMATCH)", () => {
    const { risk, id } = partlyFilled();
    expect(risk.checkExpiry(expiry(id, 1, 0.5))).toMatchObject({ reason: 'ORDER_MISMATCH', detail: expect.stringContaining("is not order") });
    expect(risk.checkExpiry(expiry(id, 0.5, 1.5))).toMatchObject({ reason: 'ORDER_MISMATCH', detail: expect.stringContaining('filled less than they did') });
    // Decimal against double: 0.1 + 0.2 of an order of 0.3 is the order's quantity.
    expect(risk.checkExpiry(expiry(id, 1.5 + 1e-12, 0.5))).toBeUndefined();
  });

  it('keeps the part still to come working in execution too, so the next intent does not trade it again; the late fill moves the position', () => {
    const exec = createExecutionCore({ strategy: 's1', policy: twapPolicy({ slices: 1, orderType: 'market' }), minQty: 0 });
    exec.onMarket({ type: 'md.trade', v: 1, id: 't0', venue: VENUE, symbol: BTC, ts: T0, price: 100, qty: 1, side: 'buy' });
    const [child] = exec.onPrediction(prediction(T0, 1, { venue: VENUE, symbol: BTC, horizonMs: 600_000 }), T0);
    if (child === undefined) throw new Error('no child');
    const orderId = `o:${child.id}`;
    exec.onFill(fill({ orderId, strategy: 's1', qty: 0.25, final: false }));
    exec.onExpired({ orderId, strategy: 's1', venue: VENUE, symbol: BTC, remainingQty: 0.5 });
    expect(exec.asset(VENUE, BTC)).toMatchObject({ position: 0.25, working: 0.25 });
    // The same target: 0.25 held and 0.25 to come, so only the 0.5 the venue left unfilled is traded again.
    const again = exec.onPrediction(prediction(T0 + 60_000, 1, { venue: VENUE, symbol: BTC, horizonMs: 600_000 }), T0 + 60_000);
    expect(again.map((s) => [s.side, s.qty])).toEqual([['buy', 0.5]]);
    exec.onFill(fill({ orderId, strategy: 's1', qty: 0.25, final: false }));
    expect(exec.asset(VENUE, BTC)).toMatchObject({ position: 0.5, working: 0.5 });
  });
});
