import { describe, expect, it } from 'vitest';
import { createRiskPersister } from '../../cli/risk-persist.js';
import { createExecutionCore } from '../../models/execution/execution-core.js';
import { twapPolicy } from '../../models/execution/twap-policy.js';
import { bar, prediction, SYMBOL } from '../execution/fixtures.js';
import { createRiskCore } from '../../models/risk/risk-core.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import type { RiskStore } from '../../state/risk-store.js';
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

  it('keeps an operator halt saved while its own write of the state before it was still on the wire', async () => {
    const inner = createMemoryRiskStore();
    // The decision path's trading write reaches the database after the halt's (two pooled connections).
    let hold = false;
    let held: (() => void) | undefined;
    const slow: RiskStore = {
      ...inner,
      saveTrading: (account, trading, ms) =>
        hold && held === undefined
          ? new Promise<void>((resolve, reject) => (held = () => void inner.saveTrading(account, trading, ms).then(resolve, reject)))
          : inner.saveTrading(account, trading, ms),
    };
    const clock = createSimulatedClock(T0);
    const core = createRiskCore({ account: 'acc', limits: baseLimits });
    core.halt({ scope: 'all', reason: 'first halt', ts: T0 });
    await slow.saveTrading('acc', core.trading(), T0);
    const persist = createRiskPersister(slow, clock, core.trading());
    core.resume({ scope: 'all', reason: 'back', ts: T0 + 1 });
    await slow.saveTrading('acc', core.trading(), T0 + 1);
    hold = true;
    const write = persist(core)(); // reads ACTIVE and sends it; the database has not run it yet
    await Promise.resolve();
    core.halt({ scope: 'all', reason: 'desk says stop', ts: T0 + 2 });
    await slow.saveTrading('acc', core.trading(), T0 + 2); // the operator's halt, answered ok
    held?.();
    await write;
    expect((await inner.load('acc')).trading).toMatchObject({ state: 'HALTED', reason: 'desk says stop' });
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
    // The trading state and limits at the checkpoint are stored beside it (what its releases were decided under).
    const { trading, limits, ...book } = (await store.load('acc')).book as Record<string, unknown>;
    expect(JSON.stringify(book)).toBe(before);
    expect(trading).toMatchObject({ state: 'ACTIVE', seq: 0 });
    expect(limits).toMatchObject({ maxOrderNotional: baseLimits.maxOrderNotional });
  });

  it("stores execution's parents under way in the same row, as they were at the checkpoint", async () => {
    const store = createMemoryRiskStore();
    const core = createRiskCore({ account: 'acc', limits: baseLimits });
    const execution = createExecutionCore({ strategy: 's1', policy: twapPolicy({ slices: 4 }), minQty: 0 });
    execution.onMarket(bar(T0, 100, 100, 100, 100, 10));
    const persist = createRiskPersister(store, createSimulatedClock(T0), core.trading(), undefined, execution);
    const pred = prediction(T0, 1);
    execution.onPrediction(pred, T0);
    const write = persist(core);
    const taken = JSON.parse(JSON.stringify(execution.snapshot())) as unknown;
    execution.onTime(T0 + 240_000); // every child sent: no parent any more
    await write();
    const row = (await store.load('acc')).book as { execution: unknown };
    expect(row.execution).toEqual(taken);
    expect(row.execution).toMatchObject({ v: 1, strategy: 's1', assets: [{ symbol: SYMBOL, parent: { id: `e:${pred.id}`, next: 1, plan: expect.any(Array) } }] });
  });
});
