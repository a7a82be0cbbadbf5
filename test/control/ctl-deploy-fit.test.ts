import { describe, expect, it } from 'vitest';
import { engineControlTarget } from '../../cli/engine-control.js';
import { engineFitProblem } from '../../models/inference/engine-fit.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { createCounters } from '../../state/counters.js';
import { idleSupervisor, memoryRegistryHarness, onnxBytes, servableModel, SPEC } from '../contract/model-registry.fixtures.js';

async function setup(): Promise<{ registry: ModelRegistry; deploy: (version: number, alias?: string, name?: string) => Promise<unknown> }> {
  const { registry } = await memoryRegistryHarness();
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
    await registry.register(servableModel(), onnxBytes(1));
    await registry.register(servableModel({ details: { dataset: { timeframe: '5m' } } }), onnxBytes(2));
    await deploy(1);
    await expect(deploy(2)).rejects.toMatchObject({
      code: 'REFUSED',
      message: 'direction-mlp@2 cannot be served by this engine: it was trained on 5m bars; this engine decides on 1h bars; direction-mlp@production left as it was',
    });
    expect((await registry.get('direction-mlp@production')).version).toBe(1);
  });

  it('refuses a version reading features the engine does not compute', async () => {
    const { registry, deploy } = await setup();
    await registry.register(servableModel({ featureSpec: SPEC }), onnxBytes(1));
    await expect(deploy(1)).rejects.toMatchObject({ code: 'REFUSED', message: expect.stringContaining('it reads features this engine does not compute: log_return_1') });
    await expect(registry.get('direction-mlp@production')).rejects.toThrow('not found');
  });

  it('deploys what fits, and leaves other aliases and models to the registry', async () => {
    const { registry, deploy } = await setup();
    await registry.register(servableModel(), onnxBytes(1));
    await registry.register(servableModel({ details: { dataset: { timeframe: '5m' } } }), onnxBytes(2));
    await registry.register({ ...servableModel({ details: { dataset: { timeframe: '5m' } } }), name: 'direction-5m' }, onnxBytes(3));
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
