import { describe, expect, it } from 'vitest';
import { createRiskPersister } from '../../cli/risk-persist.js';
import { createRiskCore } from '../../models/risk/risk-core.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { baseLimits, BTC, T0, VENUE } from './risk-fixtures.js';

describe("the decision path's deferred risk write", () => {
  it('never puts an older state back over a halt the operator saved between the checkpoint and its write', async () => {
    const store = createMemoryRiskStore();
    const clock = createSimulatedClock(T0);
    const core = createRiskCore({ account: 'acc', limits: baseLimits });
    core.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    const persist = createRiskPersister(store, clock, core.trading());
    core.reduce({ scope: 'all', reason: 'reduce only', ts: T0 }); // saved at once by the risk actor
    await store.saveTrading('acc', core.trading(), T0);
    const write = persist(core); // checkpoint taken while REDUCING; written after its releases' publications
    // Meanwhile an operator halts, and the risk actor saves that at once.
    core.halt({ scope: 'all', reason: 'desk says stop', ts: T0 + 1 });
    await store.saveTrading('acc', core.trading(), T0 + 1);
    await write();
    expect((await store.load('acc')).trading).toMatchObject({ state: 'HALTED' });
    expect((await store.load('acc')).book).toBeDefined();
  });

  it('writes the book as it was at the checkpoint, not later changes', async () => {
    const store = createMemoryRiskStore();
    const core = createRiskCore({ account: 'acc', limits: baseLimits });
    core.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    const write = createRiskPersister(store, createSimulatedClock(T0), core.trading())(core);
    const before = JSON.stringify(core.bookSnapshot());
    core.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 5, mid: 101 });
    expect(JSON.stringify(core.bookSnapshot())).not.toBe(before);
    await write();
    expect(JSON.stringify((await store.load('acc')).book)).toBe(before);
  });
});
