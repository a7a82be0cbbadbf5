import { describe, expect, it } from 'vitest';
import { createRiskCore } from '../../models/risk/risk-core.js';
import type { Expiry } from '../../streams/messages/expiry.js';
import { expiryId } from '../../streams/messages/expiry.js';
import { baseLimits, BTC, fill, suggestion, T0, VENUE } from './risk-fixtures.js';

const expiry = (orderId: string, filledQty: number, remainingQty: number): Expiry => ({
  type: 'exec.expired', v: 1, id: expiryId(orderId), ts: T0 + 2_000, orderId, strategy: 'alpha', venue: VENUE, symbol: BTC, filledQty, remainingQty, reason: 'venue',
});

/** A risk core marked at 100 holding an approved buy of `qty` (sized by equity: not a round number). */
function approved(qty: number) {
  const risk = createRiskCore({ account: 'a', limits: baseLimits });
  risk.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
  const d = risk.onSuggestion(suggestion({ qty, ttlMs: 3_600_000 }), T0);
  if (d.kind !== 'order') throw new Error(`not approved: ${d.reject.detail}`);
  return { risk, id: d.order.id };
}

/**
 * The engine sizes orders in doubles (0.0833333333333 BTC) and a venue works them in its lot
 * steps (1e-8 BTC: 0.08333333), so what a live trading consumer reports from the venue's own
 * quantities is off the order's by up to a step. The reports were compared with the book within
 * 1e-9 of the order's quantity (8.3e-11 BTC here), so a valid expiry went to the dead letters as
 * ORDER_MISMATCH and the order stayed in flight (position, exposure) until its expiresAt.
 */
describe('reports of a venue that rounds quantities to its lot step (1e-8 BTC)', () => {
  it('takes an expiry whose filledQty + remainingQty is the venue\'s rounded quantity, and releases the order whole (no rounding residue awaited)', () => {
    const { risk, id } = approved(0.0833333333333);
    risk.onFill(fill({ orderId: id, qty: 0.05, final: false, ts: T0 + 1_000 }));
    // The venue worked 0.08333333: 0.05 filled, 0.03333333 left.
    const e = expiry(id, 0.05, 0.03333333);
    expect(risk.checkExpiry(e)).toBeUndefined();
    risk.onExpired(e);
    expect(risk.status().inFlight).toEqual([]);
  });

  it('takes an expiry whose filledQty is the venue\'s rounded sum of the fills booked', () => {
    const { risk, id } = approved(0.1);
    // Three fills of a third each, as the consumer forwarded them; the venue says 0.05 filled of its 0.1.
    for (let n = 0; n < 3; n++) risk.onFill(fill({ id: `x:${id}:${n}`, orderId: id, qty: 0.0166666666, final: false, ts: T0 + 1_000 + n }));
    const e = expiry(id, 0.05, 0.05);
    expect(risk.checkExpiry(e)).toBeUndefined();
    risk.onExpired(e);
    expect(risk.status().inFlight).toEqual([]);
  });

  it('books the venue\'s last fill rounded up to its lot step (0.01666667 of 0.0166666666667)', () => {
    const { risk, id } = approved(0.0166666666667);
    expect(risk.checkFill(fill({ orderId: id, qty: 0.01666667, final: true, ts: T0 + 1_000 }))).toBeUndefined();
  });

  it('still refuses quantities that are not the order\'s beyond rounding', () => {
    const { risk, id } = approved(0.0833333333333);
    expect(risk.checkExpiry(expiry(id, 0.05, 0.0334))).toMatchObject({ reason: 'ORDER_MISMATCH' });
    expect(risk.checkFill(fill({ orderId: id, qty: 0.0834, final: true, ts: T0 + 1_000 }))).toMatchObject({ reason: 'ORDER_MISMATCH' });
  });
});
