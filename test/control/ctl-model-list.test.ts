import { describe, expect, it } from 'vitest';
import { engineControlTarget } from '../../cli/engine-control.js';
import { createCounters } from '../../state/counters.js';
import { idleSupervisor, memoryRegistryHarness, newModel, onnxBytes, T0 } from '../contract/model-registry.fixtures.js';

/** `ctl model list direction-mpl` (a typo) answered ok with `[]`, read as "no versions yet". */
describe('sextant ctl model list of a model the registry does not hold', () => {
  it('is NOT_FOUND, naming the models it holds; a known model lists its versions', async () => {
    const { registry } = await memoryRegistryHarness();
    const t = engineControlTarget({ supervisor: idleSupervisor, counters: createCounters(), decisions: undefined, registry, known: { symbols: ['BTC/USDT'], strategies: ['dirmlp'] } });
    const list = (name: string | undefined): Promise<unknown> => Promise.resolve(t.listModels(name));

    await expect(list('direction-mpl')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no model direction-mpl in the registry (models: none)' });
    await registry.register(newModel('direction-mlp'), onnxBytes(1));
    await registry.register(newModel('direction-gru'), onnxBytes(2));
    await expect(list('direction-mpl')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no model direction-mpl in the registry (models: direction-gru, direction-mlp)' });
    await expect(list('direction-mlp')).resolves.toMatchObject([{ name: 'direction-mlp', version: 1 }]);
    await expect(list(undefined)).resolves.toHaveLength(2);
  });
});

/**
 * `ctl model list` did not say which versions the registry rejected (a retraining challenger), so an
 * operator picked one and learnt only from the deploy's refusal; nor their parent or config hash.
 */
describe('sextant ctl model list marks rejected versions and shows lineage', () => {
  it('says rejected, parentVersion and configHash of each version, keeping the fields it had', async () => {
    const { registry } = await memoryRegistryHarness();
    const t = engineControlTarget({ supervisor: idleSupervisor, counters: createCounters(), decisions: undefined, registry, known: { symbols: ['BTC/USDT'], strategies: ['dirmlp'] } });
    await registry.register(newModel('direction-mlp'), onnxBytes(1));
    await registry.register(newModel('direction-mlp', { parentVersion: 1, configHash: 'cfg-retrain-2' }), onnxBytes(2));
    await registry.promote('direction-mlp', 1, { actor: 'ops', reason: 'first' });
    await registry.promote('direction-mlp', 2, { alias: 'candidate', actor: 'retrainer', reason: 'challenger' });
    await registry.reject('direction-mlp', 2, { actor: 'retrainer', reason: 'worse than production on the shadow window' });

    const listed = await Promise.resolve(t.listModels('direction-mlp'));
    expect(listed).toEqual([
      { name: 'direction-mlp', version: 2, aliases: [], rejected: true, parentVersion: 1, configHash: 'cfg-retrain-2', metrics: expect.any(Object), trainRange: expect.any(Object), createdAt: T0 },
      { name: 'direction-mlp', version: 1, aliases: ['production'], rejected: false, parentVersion: null, configHash: 'cfg-aa11', metrics: expect.any(Object), trainRange: expect.any(Object), createdAt: T0 },
    ]);
  });
});

/**
 * `ctl model rollback direction-mpl` (a typo) answered NOT_FOUND "model direction-mpl not found",
 * and a deploy of it "model direction-mpl@1 not found", without saying which models the registry
 * holds (as `ctl model list` of it does).
 */
describe('sextant ctl model rollback or deploy of a model the registry does not hold', () => {
  it('is NOT_FOUND, naming the models it holds (ten at most); an unknown version of a known model says so as before', async () => {
    const { registry } = await memoryRegistryHarness();
    const t = engineControlTarget({ supervisor: idleSupervisor, counters: createCounters(), decisions: undefined, registry, known: { symbols: ['BTC/USDT'], strategies: ['dirmlp'] } });
    const rollback = (name: string): Promise<unknown> => Promise.resolve(t.rollbackModel({ name, alias: 'production' }, 'carol'));
    const deploy = (name: string, version: number): Promise<unknown> => Promise.resolve(t.deployModel({ name, version, alias: 'production' }, 'carol'));

    await expect(rollback('direction-mpl')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no model direction-mpl in the registry (models: none)' });
    await registry.register(newModel('direction-mlp'), onnxBytes(1));
    await registry.register(newModel('direction-gru'), onnxBytes(2));
    await expect(rollback('direction-mpl')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no model direction-mpl in the registry (models: direction-gru, direction-mlp)' });
    await expect(deploy('direction-mpl', 1)).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no model direction-mpl in the registry (models: direction-gru, direction-mlp)' });
    await expect(deploy('direction-mlp', 9)).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'model direction-mlp@9 not found' });
    for (let i = 0; i < 10; i++) await registry.register(newModel(`m${String(i).padStart(2, '0')}`), onnxBytes(3 + i));
    await expect(rollback('direction-mpl')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no model direction-mpl in the registry (models: direction-gru, direction-mlp, m00, m01, m02, m03, m04, m05, m06, m07, and 2 more: sextant ctl model list)' });
  });
});
