import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseLimitPairs } from '../../cli/commands/ctl.js';
import { ConfigError, loadConfig } from '../../config/load.js';
import { createRiskCore } from '../../models/risk/risk-core.js';
import type { InFlightOrder } from '../../models/risk/risk-book.js';
import { applyLimitsPatch, parseRiskLimits, RiskLimitsError } from '../../models/risk/risk-limits.js';
import type { RiskLimitsInput } from '../../models/risk/risk-limits.js';
import { expiryId } from '../../streams/messages/expiry.js';
import { baseLimits, BTC, fill, suggestion, T0, VENUE } from './risk-fixtures.js';

const GRACE = 60_000;
const TTL = 1_000;

/**
 * A risk core (BTC: position cap 3, order cap 2, gross cap 500 at a mid of 100) holding an
 * approved buy of 2 BTC that expires at T0 + 1 s, of which no expiry is ever reported.
 */
function withOrder(over: Partial<RiskLimitsInput> = {}) {
  const released: { orderId: string; now: number; graceMs: number }[] = [];
  const risk = createRiskCore({
    account: 'a',
    limits: { ...baseLimits, staleAfterMs: 10 * GRACE, unreportedExpiryGraceMs: GRACE, ...over },
    onReleasedAfterGrace: (o: Readonly<InFlightOrder>, now: number, graceMs: number) => void released.push({ orderId: o.orderId, now, graceMs }),
  });
  risk.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
  const d = risk.onSuggestion(suggestion({ qty: 2, ttlMs: TTL }), T0);
  if (d.kind !== 'order') throw new Error(`not approved: ${d.reject.detail}`);
  const buy = (qty: number, at: number) => {
    const s = risk.onSuggestion(suggestion({ qty, ts: at }), at);
    return s.kind === 'order' ? 'order' : s.reject.reasons.join(',');
  };
  return { risk, order: d.order, buy, released };
}

/**
 * The risk book stopped counting an order at its `expiresAt` whether or not the venue reported its
 * end. A live venue may still fill it after (its clock, the network, an exchange that does not
 * honour the time-to-live to the millisecond): until that fill came, its quantity counted in no
 * limit, and risk approved orders that together with the late fill went past the position and
 * exposure limits. It now counts for `unreportedExpiryGraceMs` of event time past `expiresAt`.
 */
describe('an order past its expiresAt with no report: counted through the grace, then released and counted', () => {
  it('refuses a buy that the late fill would take past the position limit, and books the late fill against it', () => {
    const { risk, order, buy, released } = withOrder();
    const after = order.expiresAt + 10;
    // Held 0, in flight 2 (past its expiresAt, nothing reported): 2 + 2 > 3. Without the grace: approved.
    expect(buy(2, after)).toBe('POSITION_LIMIT');
    const d = risk.onSuggestion(suggestion({ qty: 2, ts: after }), after);
    expect(d.kind === 'reject' ? d.reject.detail : undefined).toMatch(/^POSITION_LIMIT: /);
    expect(risk.inFlight(order.id)).toBe(true);
    expect(buy(1, after)).toBe('order'); // 2 + 1 = 3: the cap itself passes
    // The venue's late fill of the whole order, well inside the grace: booked, and the limit held.
    risk.onFill(fill({ orderId: order.id, qty: 2, final: true, ts: after + 1_000 }));
    expect(risk.status().positions).toEqual([expect.objectContaining({ symbol: BTC, qty: 2 })]);
    expect(risk.inFlight(order.id)).toBe(false);
    expect(released).toEqual([]);
    expect(risk.releasedAfterGrace()).toBe(0);
  });

  it('counts a late partial fill with what is left of the order through the grace', () => {
    const { risk, order, buy } = withOrder();
    const after = order.expiresAt + 5_000;
    risk.onFill(fill({ orderId: order.id, qty: 1, final: false, ts: after }));
    // Held 1, in flight 1: a buy of 2 would make 4 if the rest fills too.
    expect(buy(2, after + 1)).toBe('POSITION_LIMIT');
    expect(risk.status().inFlight).toEqual([expect.objectContaining({ orderId: order.id, remaining: 1 })]);
  });

  it('refuses a buy that the late fill would take past the gross exposure limit', () => {
    // Position cap wide: only gross exposure (500 at a mid of 100) binds. 2 in flight + 4 = 600.
    const { buy, order } = withOrder({ maxPositionQty: { default: 20, perSymbol: {} }, maxGrossNotional: 500, maxOrderQty: { default: 10, perSymbol: {} } });
    expect(buy(4, order.expiresAt + 10)).toBe('GROSS_EXPOSURE');
    expect(buy(3, order.expiresAt + 10)).toBe('order');
  });

  it('releases the order once its expiresAt and the grace passed in event time, counts and tells it; a fill after is still booked', () => {
    const { risk, order, buy, released } = withOrder();
    expect(buy(2, order.expiresAt + GRACE - 1)).toBe('POSITION_LIMIT');
    expect(released).toEqual([]);
    // At expiresAt + grace: let go (a desk that never reports its expiries is not held forever).
    expect(buy(2, order.expiresAt + GRACE)).toBe('order');
    expect(risk.inFlight(order.id)).toBe(false);
    expect(released).toEqual([{ orderId: order.id, now: order.expiresAt + GRACE, graceMs: GRACE }]);
    expect(risk.releasedAfterGrace()).toBe(1);
    // Released once: later checks count it no more.
    buy(0.5, order.expiresAt + GRACE + 10);
    expect(risk.releasedAfterGrace()).toBe(1);
    // A fill that comes even later is booked (position, PnL), as before.
    const late = fill({ orderId: order.id, qty: 2, final: true, ts: order.expiresAt + 2 * GRACE });
    expect(risk.checkFill(late)).toBeUndefined();
    risk.onFill(late);
    expect(risk.status().positions).toEqual([expect.objectContaining({ symbol: BTC, qty: 2 })]);
  });

  it('releases at once on an expiry reported within the grace: not counted as released unreported', () => {
    const { risk, order, buy, released } = withOrder();
    expect(risk.expirable(order.id)).toBe(true);
    risk.onExpired({ orderId: order.id, ts: order.expiresAt + 500, remainingQty: 2 });
    expect(risk.inFlight(order.id)).toBe(false);
    expect(buy(2, order.expiresAt + 600)).toBe('order');
    expect(released).toEqual([]);
    expect(risk.releasedAfterGrace()).toBe(0);
  });

  it("shows an order past its expiresAt and still counted as in the grace in status (inGraceUntil), and one before its expiresAt without it", () => {
    const { risk, order } = withOrder();
    // Event time (asOf, the newest mark) before the expiresAt: working, no grace.
    risk.onMarket({ venue: VENUE, symbol: BTC, ts: order.expiresAt - 1, mid: 100 });
    expect(risk.status().inFlight).toEqual([expect.objectContaining({ orderId: order.id, expiresAt: order.expiresAt })]);
    expect(risk.status().inFlight[0]?.inGraceUntil).toBeUndefined();
    // At its expiresAt with no report of its end: counted until expiresAt + grace, and says so.
    risk.onMarket({ venue: VENUE, symbol: BTC, ts: order.expiresAt, mid: 100 });
    expect(risk.status().inFlight).toEqual([expect.objectContaining({ orderId: order.id, inGraceUntil: order.expiresAt + GRACE })]);
    // The grace follows the limit in force (`ctl limits set`).
    risk.setLimits({ unreportedExpiryGraceMs: 5_000 });
    expect(risk.status().inFlight[0]?.inGraceUntil).toBe(order.expiresAt + 5_000);
    // Released at the next check past it: gone from the list.
    risk.onSuggestion(suggestion({ qty: 0.5, ts: order.expiresAt + 5_000 }), order.expiresAt + 5_000);
    expect(risk.status().inFlight.map((o) => o.orderId)).not.toContain(order.id);
  });

  it('keeps a flattening account from halting flat while an unreported order may still fill', () => {
    const { risk, order } = withOrder();
    risk.reduce({ reason: 'op', ts: T0 + 1, flatten: true });
    risk.onMarket({ venue: VENUE, symbol: BTC, ts: order.expiresAt + 10, mid: 100 });
    expect(risk.status()).toMatchObject({ state: 'REDUCING', flattening: true });
    risk.onMarket({ venue: VENUE, symbol: BTC, ts: order.expiresAt + GRACE, mid: 100 });
    expect(risk.status()).toMatchObject({ state: 'HALTED', flattening: false });
    expect(risk.releasedAfterGrace()).toBe(1);
  });

  it('with unreportedExpiryGraceMs 0, releases at the expiresAt as before; an operator can change it (ctl limits set), in force at the next check', () => {
    const none = withOrder({ unreportedExpiryGraceMs: 0 });
    expect(none.buy(2, none.order.expiresAt)).toBe('order');
    expect(none.released.map((r) => r.orderId)).toEqual([none.order.id]);
    const { risk, order, buy } = withOrder();
    expect(buy(2, order.expiresAt + 10)).toBe('POSITION_LIMIT');
    expect(risk.setLimits({ unreportedExpiryGraceMs: 5 }).unreportedExpiryGraceMs).toBe(5);
    expect(buy(2, order.expiresAt + 10)).toBe('order');
  });

  it('is refused at config load and in a limits patch unless a whole number of ms from 0 to a day (default: a minute)', () => {
    expect(parseRiskLimits({}).unreportedExpiryGraceMs).toBe(60_000);
    expect(loadConfig({ env: {} }).risk.limits.unreportedExpiryGraceMs).toBe(60_000);
    for (const [bad, why] of [
      [-1, 'must be >= 0'],
      [1.5, 'a whole number of ms'],
      [86_400_001, 'at most 86400000 \\(a day of event time\\)'],
    ] as const) {
      expect(() => parseRiskLimits({ unreportedExpiryGraceMs: bad })).toThrow(new RegExp(`invalid risk limits: unreportedExpiryGraceMs: ${why}`));
      expect(() => loadConfig({ env: {}, overrides: { risk: { limits: { unreportedExpiryGraceMs: bad } } } })).toThrow(ConfigError);
      expect(() => loadConfig({ env: {}, overrides: { risk: { limits: { unreportedExpiryGraceMs: bad } } } })).toThrow(/risk\.limits\.unreportedExpiryGraceMs: /);
      expect(() => applyLimitsPatch(parseRiskLimits({}), { unreportedExpiryGraceMs: bad })).toThrow(RiskLimitsError);
      expect(() => applyLimitsPatch(parseRiskLimits({}), { unreportedExpiryGraceMs: bad })).toThrow(new RegExp(`invalid risk limits patch: unreportedExpiryGraceMs: ${why}`));
    }
    expect(loadConfig({ env: {}, overrides: { risk: { limits: { unreportedExpiryGraceMs: 0 } } } }).risk.limits.unreportedExpiryGraceMs).toBe(0);
    expect(applyLimitsPatch(parseRiskLimits({}), { unreportedExpiryGraceMs: 86_400_000 }).unreportedExpiryGraceMs).toBe(86_400_000);
    // `sextant ctl limits set unreportedExpiryGraceMs=…`: a number, refused by name when it is not one.
    expect(parseLimitPairs(['unreportedExpiryGraceMs=30000'])).toEqual({ unreportedExpiryGraceMs: 30_000 });
    expect(() => parseLimitPairs(['unreportedExpiryGraceMs=1m'])).toThrow(InvalidArgumentError);
    expect(() => parseLimitPairs(['unreportedExpiryGraceMs=1m'])).toThrow(/^unreportedExpiryGraceMs: "1m" is not a finite number$/);
  });

  it('keeps the grace across a restart: an order restored from the book counts until its expiresAt and grace', () => {
    const { risk, order } = withOrder();
    const again = createRiskCore({ account: 'a', limits: risk.getLimits(), book: risk.bookSnapshot() });
    again.onMarket({ venue: VENUE, symbol: BTC, ts: order.expiresAt + 10, mid: 100 });
    const d = again.onSuggestion(suggestion({ qty: 2, ts: order.expiresAt + 10 }), order.expiresAt + 10);
    expect(d.kind === 'reject' ? d.reject.reasons : []).toEqual(['POSITION_LIMIT']);
    // Its late expiry is still taken (a report within the grace releases it, no UNKNOWN_ORDER).
    expect(again.checkExpiry({ type: 'exec.expired', v: 1, id: expiryId(order.id), ts: order.expiresAt + 20, orderId: order.id, strategy: 'alpha', venue: VENUE, symbol: BTC, filledQty: 0, remainingQty: 2, reason: 'ttl' })).toBeUndefined();
  });
});
