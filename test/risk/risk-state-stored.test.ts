import { describe, expect, it } from 'vitest';
import { startRiskActor } from '../../actors/risk-actor.js';
import { createRiskStateStored } from '../../actors/risk-state-stored.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import type { RiskStore } from '../../state/risk-store.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { RiskStateSchema } from '../../streams/messages/risk-state.js';
import type { RiskState } from '../../streams/messages/risk-state.js';
import { subjectsFor } from '../../streams/subjects.js';
import { baseLimits, BTC, T0, VENUE } from './risk-fixtures.js';

const dec = new TextDecoder();
const change = (seq: number, over: Partial<RiskState> = {}): RiskState => ({
  type: 'risk.state',
  v: 1,
  id: `rs:acc:${seq}`,
  ts: T0 + seq,
  account: 'acc',
  state: 'HALTED',
  previous: 'ACTIVE',
  reason: 'drill',
  scopedHalts: [],
  ...over,
});

/**
 * A change announced `stored: false` (its write failed or had not ended) was never announced
 * again once a later write stored it: the dashboard kept saying "not stored: a restart would not
 * find it" for as long as the state held, while a restart would have found it.
 */
describe('a risk state announced stored: false, stored by a later write', () => {
  it('is announced again, the same change with stored: true, when the write of that change is stored, once', () => {
    const again: RiskState[] = [];
    const n = createRiskStateStored('acc', (st) => again.push(st));
    n.announced(change(3, { stored: false }));
    n.stored({ seq: 2 }); // an older state: says nothing of change 3
    expect(again).toEqual([]);
    n.stored({ seq: 3 });
    n.stored({ seq: 3 });
    expect(again).toEqual([change(3, { stored: true })]);
  });

  it('is not, once a later change was announced (the page would show the older state again), nor for a stored change or another account', () => {
    const again: RiskState[] = [];
    const n = createRiskStateStored('acc', (st) => again.push(st));
    n.announced(change(3, { stored: false }));
    n.announced(change(4, { stored: false, previous: 'HALTED', state: 'ACTIVE' }));
    n.stored({ seq: 3 });
    expect(again).toEqual([]);
    n.announced(change(5));
    n.stored({ seq: 5 });
    n.announced({ ...change(6, { stored: false }), account: 'other', id: 'rs:other:6' });
    n.stored({ seq: 6 });
    expect(again).toEqual([]);
  });

  it('is at once when its write was stored before the announcement that it failed (the book part of the same write failed)', () => {
    const again: RiskState[] = [];
    const n = createRiskStateStored('acc', (st) => again.push(st));
    n.stored({ seq: 7 });
    n.announced(change(7, { stored: false }));
    expect(again).toEqual([change(7, { stored: true })]);
  });

  it("risk actor: an operator's halt whose write failed is written with the next mark, and announced stored: true then", async () => {
    const bus = createMemoryBus();
    const subjects = subjectsFor('rss');
    const announced: RiskState[] = [];
    bus.subscribe(subjects.riskState(), (_s, data) => announced.push(RiskStateSchema.parse(JSON.parse(dec.decode(data)))));
    const memory = createMemoryRiskStore();
    let failTrading = false;
    const store: RiskStore = {
      ...memory,
      saveTrading: (account, trading, at, bound) => (failTrading ? Promise.reject(new Error('risk store: injected failure')) : memory.saveTrading(account, trading, at, bound)),
    };
    const actor = await startRiskActor({ bus, subjects, store, clock: createSimulatedClock(T0), log: silentLogger }, { account: 'acc', limits: baseLimits, consume: false });
    try {
      failTrading = true;
      await expect(actor.halt({ scope: 'all', reason: 'exchange incident' })).rejects.toThrow(/injected failure/);
      await bus.flush();
      expect(announced.map((s) => ({ state: s.state, stored: s.stored }))).toEqual([{ state: 'HALTED', stored: false }]);
      expect((await memory.load('acc')).trading).toBeUndefined();
      failTrading = false;
      await actor.market({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
      await bus.flush();
      expect((await memory.load('acc')).trading).toMatchObject({ state: 'HALTED' });
      expect(announced).toEqual([{ ...announced[0], stored: false }, { ...announced[0], stored: true }]);
    } finally {
      await actor.stop();
      await bus.close();
    }
  });
});
