import { describe, expect, it } from 'vitest';
import { startRiskActor } from '../../actors/risk-actor.js';
import type { Supervisor } from '../../actors/supervisor.js';
import type { Decisions } from '../../cli/decisions.js';
import { engineControlTarget } from '../../cli/engine-control.js';
import { acceptedLine } from '../../gateways/dashboard/src/control-accepted.js';
import { createCounters } from '../../state/counters.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { baseLimits, T0 } from '../risk/risk-fixtures.js';

const idleSupervisor: Supervisor = { status: () => [], halt: () => {}, resume: () => {}, restartGivenUp: () => [], stop: async () => {} };

async function target(supervisor: Supervisor = idleSupervisor) {
  const risk = await startRiskActor(
    { bus: createMemoryBus(), subjects: subjectsFor('sx'), store: createMemoryRiskStore(), clock: createSimulatedClock(T0), log: silentLogger },
    { account: 'acc', limits: baseLimits, consume: false },
  );
  // The control target reads only the risk actor of the decision path for halts.
  const decisions = { risk } as unknown as Decisions;
  const t = engineControlTarget({
    supervisor,
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
    // A halted symbol resumes, and so does a halted one the engine no longer trades.
    await t.resume({ target: { scope: 'symbol', value: 'BTC/USDT' }, reason: 'over' }, 'alice');
    expect(risk.core.tradingFor('dirmlp', 'BTC/USDT')).toBe('ACTIVE');
    await risk.halt({ scope: 'symbol', value: 'DOGE/USDT', reason: 'stored before the assets changed' });
    await t.resume({ target: { scope: 'symbol', value: 'DOGE/USDT' }, reason: '' }, 'alice');
    expect(risk.core.trading().scopedHalts).toEqual([]);
    await risk.stop();
  });

  it('refuses a resume of a traded strategy or symbol that is not halted, naming what is, instead of answering ok as if lifted', async () => {
    const { t, risk } = await target();
    await t.halt({ target: { scope: 'symbol', value: 'BTC/USDT' }, reason: 'exchange incident' }, 'alice');
    // The operator halted a symbol and resumes the strategy: the symbol's halt still holds.
    await expect(Promise.resolve(t.resume({ target: { scope: 'strategy', value: 'dirmlp' }, reason: 'over' }, 'alice'))).rejects.toMatchObject({
      code: 'REFUSED',
      message: 'strategy dirmlp is not halted (account ACTIVE; halted: symbol BTC/USDT): nothing resumed',
    });
    await expect(Promise.resolve(t.resume({ target: { scope: 'symbol', value: 'ETH/USDT' }, reason: '' }, 'alice'))).rejects.toMatchObject({ code: 'REFUSED', message: expect.stringMatching(/^symbol ETH\/USDT is not halted/) });
    expect(risk.core.tradingFor('dirmlp', 'BTC/USDT')).toBe('HALTED');
    // Halted, it resumes.
    await t.halt({ target: { scope: 'strategy', value: 'dirmlp' }, reason: 'bad model' }, 'alice');
    await expect(Promise.resolve(t.resume({ target: { scope: 'strategy', value: 'dirmlp' }, reason: 'fixed' }, 'alice'))).resolves.toMatchObject({ status: 'ACTIVE' });
    expect(risk.core.trading().scopedHalts).toEqual([{ scope: 'symbol', value: 'BTC/USDT', reason: 'exchange incident' }]);
    // The account-wide resume of an ACTIVE account answers ok, naming its state (it also restarts given-up actors).
    await expect(Promise.resolve(t.resume({ target: { scope: 'all' }, reason: '' }, 'alice'))).resolves.toMatchObject({ changes: [], status: 'ACTIVE' });
    await risk.stop();
  });

  it('says which scoped halts an account-wide resume leaves standing, and how to lift them, instead of a bare ok', async () => {
    const { t, risk } = await target();
    await t.halt({ target: { scope: 'all' }, reason: 'desk says stop' }, 'alice');
    await t.halt({ target: { scope: 'symbol', value: 'BTC/USDT' }, reason: 'bad feed' }, 'alice');
    await t.halt({ target: { scope: 'strategy', value: 'dirmlp' }, reason: '' }, 'alice');
    const reply = await t.resume({ target: { scope: 'all' }, reason: 'all clear' }, 'alice');
    expect(reply).toMatchObject({
      status: 'ACTIVE',
      scopedHalts: [
        { scope: 'symbol', value: 'BTC/USDT', reason: 'bad feed' },
        { scope: 'strategy', value: 'dirmlp', reason: '' },
      ],
      warning:
        'the account-wide resume leaves halts of symbol BTC/USDT (bad feed), strategy dirmlp standing: they are lifted by name (sextant ctl resume --symbol BTC/USDT; sextant ctl resume --strategy dirmlp)',
    });
    // The dashboard's line for the accepted command shows the warning too, as the page gets the reply (JSON over HTTP).
    expect(acceptedLine('resume', null, JSON.parse(JSON.stringify(reply)))).toBe(
      'resume accepted; trading state ACTIVE; warning: the account-wide resume leaves halts of symbol BTC/USDT (bad feed), strategy dirmlp standing: they are lifted by name (sextant ctl resume --symbol BTC/USDT; sextant ctl resume --strategy dirmlp)',
    );
    // The account's halt is lifted, the scoped ones are not.
    expect(risk.core.tradingFor('dirmlp', 'ETH/USDT')).toBe('HALTED');
    await t.resume({ target: { scope: 'strategy', value: 'dirmlp' }, reason: 'fixed' }, 'alice');
    await t.resume({ target: { scope: 'symbol', value: 'BTC/USDT' }, reason: 'feed back' }, 'alice');
    // None left: no warning.
    const bare = (await t.resume({ target: { scope: 'all' }, reason: '' }, 'alice')) as Record<string, unknown>;
    expect(bare).toMatchObject({ status: 'ACTIVE' });
    expect('warning' in bare || 'scopedHalts' in bare).toBe(false);
    await risk.stop();
  });

  it('answers ok to a symbol resume that starts given-up asset actors again, though the symbol is not halted', async () => {
    const { t, risk } = await target({ ...idleSupervisor, restartGivenUp: () => ['asset:binance:ETH/USDT'] });
    await expect(Promise.resolve(t.resume({ target: { scope: 'symbol', value: 'ETH/USDT' }, reason: 'store repaired' }, 'alice'))).resolves.toMatchObject({ changes: [], restarted: ['asset:binance:ETH/USDT'] });
    await risk.stop();
  });
});
