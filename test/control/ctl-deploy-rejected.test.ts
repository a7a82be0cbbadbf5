import { describe, expect, it } from 'vitest';
import type { Supervisor } from '../../actors/supervisor.js';
import type { Decisions } from '../../cli/decisions.js';
import { engineControlTarget } from '../../cli/engine-control.js';
import { createMemoryModelRegistry } from '../../models/registry/memory-model-registry.js';
import type { NewModelVersion } from '../../models/registry/model-registry.js';
import { createCounters } from '../../state/counters.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { newModel, onnxBytes, SPEC, T0 } from '../contract/model-registry.fixtures.js';

const idleSupervisor: Supervisor = { status: () => [], halt: () => {}, resume: () => {}, restartGivenUp: () => [], stop: async () => {} };

/** A model this 1h engine can serve: features it computes, trained on 1h bars. */
const fits = (over: Partial<NewModelVersion> = {}): NewModelVersion =>
  newModel('direction-mlp', { featureSpec: { ...SPEC, features: ['log_ret_1', 'rsi_14'] }, details: { dataset: { timeframe: '1h' } }, ...over });

/**
 * `ctl model deploy direction-mlp 2` of a version the registry rejected (a retraining challenger
 * that lost) answered NOT_FOUND "model direction-mlp@2 was rejected": the operator was told a
 * version `ctl model list` had just shown did not exist. It is REFUSED, with the registry's reason.
 */
describe('sextant ctl model deploy of a rejected version', () => {
  it('is REFUSED saying it was rejected; production and the served model stay as they were', async () => {
    const bus = createMemoryBus();
    const subjects = subjectsFor('sx');
    await bus.ensureStreams([{ name: 'MODELS', subjects: [subjects.model('*', '*')], maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' }]);
    const registry = createMemoryModelRegistry({ bus, subjects, clock: createSimulatedClock(T0) });
    await registry.register(fits(), onnxBytes(1));
    await registry.register(fits({ parentVersion: 1 }), onnxBytes(2));
    await registry.promote('direction-mlp', 1, { actor: 'ops', reason: 'first' });
    await registry.reject('direction-mlp', 2, { actor: 'retrainer', reason: 'worse than production on the shadow window' });
    const swaps: string[] = [];
    const decisions = { swapTo: async (ref: string) => (swaps.push(ref), { name: 'direction-mlp', version: 0 }) } as unknown as Decisions;
    const control = (served: boolean) =>
      engineControlTarget({
        supervisor: idleSupervisor,
        counters: createCounters(),
        decisions,
        registry,
        known: { symbols: ['BTC/USDT'], strategies: ['dirmlp'] },
        ...(served ? { served: { ref: 'direction-mlp@production', timeframe: '1h' as const } } : {}),
      });

    const refused = { code: 'REFUSED', message: 'model direction-mlp@2 was rejected' };
    // An engine serving the alias, and one that does not (the registry's business only).
    await expect(Promise.resolve(control(true).deployModel({ name: 'direction-mlp', version: 2, alias: 'production' }, 'carol'))).rejects.toMatchObject(refused);
    await expect(Promise.resolve(control(false).deployModel({ name: 'direction-mlp', version: 2, alias: 'candidate' }, 'carol'))).rejects.toMatchObject(refused);
    // A version that does not exist is still NOT_FOUND.
    await expect(Promise.resolve(control(false).deployModel({ name: 'direction-mlp', version: 7, alias: 'production' }, 'carol'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await registry.get('direction-mlp@production')).version).toBe(1);
    expect(swaps).toEqual([]);
  });
});
