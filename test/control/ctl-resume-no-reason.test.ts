import { describe, expect, it } from 'vitest';
import { startRiskActor } from '../../actors/risk-actor.js';
import type { Supervisor } from '../../actors/supervisor.js';
import type { Decisions } from '../../cli/decisions.js';
import { engineControlTarget } from '../../cli/engine-control.js';
import { createCounters } from '../../state/counters.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { decodeText } from '../../streams/codec.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { RiskStateSchema } from '../../streams/messages/risk-state.js';
import type { RiskState } from '../../streams/messages/risk-state.js';
import { subjectsFor } from '../../streams/subjects.js';
import { baseLimits, T0 } from '../risk/risk-fixtures.js';

const idleSupervisor: Supervisor = { status: () => [], halt: () => {}, resume: () => {}, restartGivenUp: () => [], stop: async () => {} };

/**
 * `sextant ctl resume` may leave `--reason` out: the account's reason then became "" — announced
 * on `sx.risk.state`, stored with the trading state and shown by `ctl status` — naming neither who
 * lifted the halt nor that no reason was given. It now says both.
 */
describe('sextant ctl resume without --reason', () => {
  it.each([[''], ['   ']])('records who resumed and that no reason was given (reason %j)', async (given) => {
    const bus = createMemoryBus();
    const subjects = subjectsFor('sx');
    const store = createMemoryRiskStore();
    const announced: RiskState[] = [];
    bus.subscribe(subjects.riskState(), (_s, data) => announced.push(RiskStateSchema.parse(JSON.parse(decodeText(data)))));
    const risk = await startRiskActor({ bus, subjects, store, clock: createSimulatedClock(T0), log: silentLogger }, { account: 'acc', limits: baseLimits, consume: false });
    const t = engineControlTarget({ supervisor: idleSupervisor, counters: createCounters(), decisions: { risk } as unknown as Decisions, registry: undefined, known: { symbols: ['BTC/USDT'], strategies: ['dirmlp'] } });
    await t.halt({ target: { scope: 'all' }, reason: 'exchange incident' }, 'alice');
    await t.halt({ target: { scope: 'symbol', value: 'BTC/USDT' }, reason: 'bad feed' }, 'alice');
    await t.resume({ target: { scope: 'symbol', value: 'BTC/USDT' }, reason: given }, 'bob');
    await t.resume({ target: { scope: 'all' }, reason: given }, 'bob');
    expect(risk.status()).toMatchObject({ state: 'ACTIVE', reason: 'resumed by bob (no reason given)' });
    expect(((await store.load('acc')).trading as { reason?: string } | undefined)?.reason).toBe('resumed by bob (no reason given)');
    expect(announced.slice(-2).map((s) => ({ state: s.state, reason: s.reason, scopedReason: s.scopedReason }))).toEqual([
      { state: 'HALTED', reason: 'exchange incident', scopedReason: 'resumed by bob (no reason given)' },
      { state: 'ACTIVE', reason: 'resumed by bob (no reason given)', scopedReason: undefined },
    ]);
    // A reason given is kept as given.
    await t.halt({ target: { scope: 'all' }, reason: 'drill' }, 'alice');
    await t.resume({ target: { scope: 'all' }, reason: 'drill over' }, 'bob');
    expect(risk.status().reason).toBe('drill over');
    await risk.stop();
  });
});
