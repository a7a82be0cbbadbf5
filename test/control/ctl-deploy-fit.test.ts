import { describe, expect, it } from 'vitest';
import type { Supervisor } from '../../actors/supervisor.js';
import { engineControlTarget } from '../../cli/engine-control.js';
import { engineFitProblem } from '../../models/inference/engine-fit.js';
import { createMemoryModelRegistry } from '../../models/registry/memory-model-registry.js';
import type { ModelRegistry, NewModelVersion } from '../../models/registry/model-registry.js';
import { createCounters } from '../../state/counters.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { newModel, onnxBytes, SPEC, T0 } from '../contract/model-registry.fixtures.js';

const idleSupervisor: Supervisor = { status: () => [], halt: () => {}, resume: () => {}, restartGivenUp: () => [], stop: async () => {} };

/** A model this 1h engine can serve: features it computes, trained on 1h bars. */
const fits = (over: Partial<NewModelVersion> = {}): NewModelVersion =>
  newModel('direction-mlp', { featureSpec: { ...SPEC, features: ['log_ret_1', 'rsi_14'] }, details: { dataset: { timeframe: '1h' } }, ...over });

async function setup(): Promise<{ registry: ModelRegistry; deploy: (version: number, alias?: string, name?: string) => Promise<unknown> }> {
  const bus = createMemoryBus();
  const subjects = subjectsFor('sx');
  await bus.ensureStreams([{ name: 'MODELS', subjects: [subjects.model('*', '*')], maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' }]);
  const registry = createMemoryModelRegistry({ bus, subjects, clock: createSimulatedClock(T0) });
  const t = engineControlTarget({
    supervisor: idleSupervisor,
    counters: createCounters(),
    decisions: undefined,
    registry,
    known: { symbols: ['BTC/USDT'], strategies: ['dirmlp'] },
    served: { ref: 'direction-mlp@production', timeframe: '1h' },
  });
  const deploy = (version: number, alias = 'production', name = 'direction-mlp'): Promise<unknown> => Promise.resolve(t.deployModel({ name, version, alias }, 'carol'));
  return { registry, deploy };
}

/**
 * `sextant ctl model deploy direction-mlp 7` of a version trained on 5m bars (or reading a feature
 * the engine does not compute) moved production, answered ok, and the engine swapped to a model
 * that read its inputs in the wrong bars (or skipped every bar). Refused now, before the alias moves.
 */
describe('sextant ctl model deploy of a model the engine cannot serve', () => {
  it('refuses a version trained on other bars and leaves production where it was', async () => {
    const { registry, deploy } = await setup();
    await registry.register(fits(), onnxBytes(1));
    await registry.register(fits({ details: { dataset: { timeframe: '5m' } } }), onnxBytes(2));
    await deploy(1);
    await expect(deploy(2)).rejects.toMatchObject({
      code: 'REFUSED',
      message: 'direction-mlp@2 cannot be served by this engine: it was trained on 5m bars; this engine decides on 1h bars; direction-mlp@production left as it was',
    });
    expect((await registry.get('direction-mlp@production')).version).toBe(1);
  });

  it('refuses a version reading features the engine does not compute', async () => {
    const { registry, deploy } = await setup();
    await registry.register(fits({ featureSpec: SPEC }), onnxBytes(1));
    await expect(deploy(1)).rejects.toMatchObject({ code: 'REFUSED', message: expect.stringContaining('it reads features this engine does not compute: log_return_1') });
    await expect(registry.get('direction-mlp@production')).rejects.toThrow('not found');
  });

  it('deploys what fits, and leaves other aliases and models to the registry', async () => {
    const { registry, deploy } = await setup();
    await registry.register(fits(), onnxBytes(1));
    await registry.register(fits({ details: { dataset: { timeframe: '5m' } } }), onnxBytes(2));
    await registry.register({ ...fits({ details: { dataset: { timeframe: '5m' } } }), name: 'direction-5m' }, onnxBytes(3));
    await expect(deploy(1)).resolves.toMatchObject({ event: 'promoted', version: 1 });
    await expect(deploy(2, 'candidate')).resolves.toMatchObject({ event: 'promoted', version: 2 });
    await expect(deploy(1, 'production', 'direction-5m')).resolves.toMatchObject({ event: 'promoted', version: 1 });
  });

  it('names a sequence model whose window steps are not the engine\'s bars', () => {
    const v = { featureSpec: { ...SPEC, features: ['log_ret_1', 'rsi_14'], window: { steps: 16, stepMs: 300_000 } }, details: {} };
    expect(engineFitProblem(v, { timeframe: '1h' })).toBe("its input window steps 300000 ms; this engine's 1h bars are 3600000 ms apart");
    expect(engineFitProblem(v, { timeframe: '5m' })).toBeUndefined();
  });
});
