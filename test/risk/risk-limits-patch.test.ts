import { describe, expect, it } from 'vitest';
import { startRiskActor } from '../../actors/risk-actor.js';
import { parseLimitPairs } from '../../cli/commands/ctl.js';
import { createRiskCore } from '../../models/risk/risk-core.js';
import { RiskLimitsError } from '../../models/risk/risk-limits.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { baseLimits, BTC, ETH, T0, VENUE, suggestion } from './risk-fixtures.js';

/**
 * `sextant ctl limits set` patches that left the limits contradicting each other, or that could
 * not undo an earlier one. `minOrderNotional=20000` (meant for 20) under a maxOrderNotional of
 * 10000 was answered ok and every order was then refused, one way or the other. A per-symbol cap
 * (`maxOrderQty={"perSymbol":{"BTC/USDT":0.05}}`) could never be taken away again: the per-symbol
 * maps only merged, so the symbol stayed on its own cap, and a later default change passed it by.
 */
describe('risk limits patch: consistency and removing a per-symbol cap', () => {
  it('refuses a least order notional above the largest, naming both, and changes nothing', () => {
    const c = createRiskCore({ account: 'acc', limits: baseLimits });
    const before = c.getLimits();
    expect(() => c.setLimits({ minOrderNotional: 200_000 })).toThrow(/minOrderNotional 200000 is above maxOrderNotional 100000/);
    expect(() => c.setLimits({ maxOrderNotional: 5, minOrderNotional: 10 })).toThrow(RiskLimitsError);
    c.setLimits({ minOrderNotional: 10 });
    expect(() => c.setLimits({ maxOrderNotional: 5 })).toThrow(/minOrderNotional 10 is above maxOrderNotional 5/);
    expect(c.getLimits()).toEqual({ ...before, minOrderNotional: 10 });
    // Equal is a one-notional window, not a contradiction; both moved together is fine.
    expect(c.setLimits({ maxOrderNotional: 10 }).maxOrderNotional).toBe(10);
    expect(c.setLimits({ minOrderNotional: 50, maxOrderNotional: 500 })).toMatchObject({ minOrderNotional: 50, maxOrderNotional: 500 });
  });

  it('removes a per-symbol cap with null (the default applies again), and refuses removing one there is not', () => {
    const c = createRiskCore({ account: 'acc', limits: baseLimits });
    c.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    expect(c.onSuggestion(suggestion({ qty: 5 }), T0)).toMatchObject({ kind: 'reject', reject: { reasons: expect.arrayContaining(['MAX_ORDER_QTY']) } });
    const l = c.setLimits(parseLimitPairs(['maxOrderQty={"perSymbol":{"BTC/USDT":null}}', 'maxPositionQty={"perSymbol":{"BTC/USDT":null}}']));
    expect(l.maxOrderQty).toEqual({ default: 10, perSymbol: {} });
    expect(l.maxPositionQty).toEqual({ default: 20, perSymbol: {} });
    expect(c.onSuggestion(suggestion({ qty: 5 }), T0).kind).toBe('order');
    expect(() => c.setLimits({ maxOrderQty: { perSymbol: { [ETH]: null } } })).toThrow(/maxOrderQty\.perSymbol\.ETH\/USDT: has no cap of its own to remove \(symbols with one: none\)/);
    expect(c.getLimits().maxOrderQty).toEqual({ default: 10, perSymbol: {} });
  });

  it('keeps a removal across a restart', async () => {
    const store = createMemoryRiskStore();
    const deps = { bus: createMemoryBus(), subjects: subjectsFor('sx'), store, clock: createSimulatedClock(T0), log: silentLogger };
    const first = await startRiskActor(deps, { account: 'acc', limits: baseLimits, consume: false });
    await first.setLimits({ maxOrderQty: { perSymbol: { [BTC]: null, [ETH]: 4 } } });
    await expect(first.setLimits({ minOrderNotional: 1e9 })).rejects.toThrow(/above maxOrderNotional/);
    await first.stop();
    const again = await startRiskActor(deps, { account: 'acc', limits: baseLimits, consume: false });
    expect(again.getLimits().maxOrderQty).toEqual({ default: 10, perSymbol: { [ETH]: 4 } });
    expect(again.getLimits().minOrderNotional).toBe(0);
    await again.stop();
  });
});
