import { describe, expect, it } from 'vitest';
import { startRiskActor } from '../../actors/risk-actor.js';
import type { Supervisor } from '../../actors/supervisor.js';
import type { Decisions } from '../../cli/decisions.js';
import { engineControlTarget } from '../../cli/engine-control.js';
import { createCounters } from '../../state/counters.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { baseLimits, T0 } from '../risk/risk-fixtures.js';

const idleSupervisor: Supervisor = { status: () => [], halt: () => {}, resume: () => {}, restartGivenUp: () => [], stop: async () => {} };

async function target() {
  const risk = await startRiskActor(
    { bus: createMemoryBus(), subjects: subjectsFor('sx'), store: createMemoryRiskStore(), clock: createSimulatedClock(T0), log: silentLogger },
    { account: 'acc', limits: baseLimits, consume: false },
  );
  // The control target reads only the risk actor of the decision path for halts.
  const decisions = { risk } as unknown as Decisions;
  const t = engineControlTarget({
    supervisor: idleSupervisor,
    counters: createCounters(),
    decisions,
    registry: undefined,
    known: { symbols: ['BTC/USDT', 'ETH/USDT'], strategies: ['dirmlp'] },
  });
  return { t, risk };
}

describe('sextant ctl halt of one symbol or strategy', () => {
  it('refuses a symbol or strategy this engine does not trade (BTC-USDT, a typo) instead of answering ok and halting nothing', async () => {
    const { t, risk } = await target();
    await expect(Promise.resolve(t.halt({ target: { scope: 'symbol', value: 'BTC-USDT' }, reason: 'exchange incident' }, 'alice'))).rejects.toMatchObject({ code: 'REFUSED', message: expect.stringMatching(/BTC\/USDT/) });
    await expect(Promise.resolve(t.halt({ target: { scope: 'strategy', value: 'dirmpl' }, reason: 'bad model' }, 'alice'))).rejects.toMatchObject({ code: 'REFUSED' });
    expect(risk.core.trading().scopedHalts).toEqual([]);
    // One it trades is halted.
    await t.halt({ target: { scope: 'symbol', value: 'BTC/USDT' }, reason: 'exchange incident' }, 'alice');
    expect(risk.core.tradingFor('dirmlp', 'BTC/USDT')).toBe('HALTED');
    expect(risk.core.tradingFor('dirmlp', 'ETH/USDT')).toBe('ACTIVE');
    await risk.stop();
  });

  it('refuses a resume of a symbol or strategy neither traded nor halted (a typo) instead of answering ok while the halt holds', async () => {
    const { t, risk } = await target();
    await t.halt({ target: { scope: 'symbol', value: 'BTC/USDT' }, reason: 'exchange incident' }, 'alice');
    await expect(Promise.resolve(t.resume({ target: { scope: 'symbol', value: 'btc/usdt' }, reason: '' }, 'alice'))).rejects.toMatchObject({
      code: 'REFUSED',
      message: expect.stringMatching(/halted symbols: BTC\/USDT/),
    });
    await expect(Promise.resolve(t.resume({ target: { scope: 'strategy', value: 'dirmpl' }, reason: '' }, 'alice'))).rejects.toMatchObject({ code: 'REFUSED' });
    expect(risk.core.tradingFor('dirmlp', 'BTC/USDT')).toBe('HALTED');
    // A traded symbol resumes (whether halted or not), and so does a halted one the engine no longer trades.
    await expect(Promise.resolve(t.resume({ target: { scope: 'symbol', value: 'ETH/USDT' }, reason: '' }, 'alice'))).resolves.toMatchObject({ changes: [] });
    await t.resume({ target: { scope: 'symbol', value: 'BTC/USDT' }, reason: 'over' }, 'alice');
    expect(risk.core.tradingFor('dirmlp', 'BTC/USDT')).toBe('ACTIVE');
    await risk.halt({ scope: 'symbol', value: 'DOGE/USDT', reason: 'stored before the assets changed' });
    await t.resume({ target: { scope: 'symbol', value: 'DOGE/USDT' }, reason: '' }, 'alice');
    expect(risk.core.trading().scopedHalts).toEqual([]);
    await risk.stop();
  });
});
