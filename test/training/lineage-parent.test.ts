import { describe, expect, it } from 'vitest';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { lineageParent } from '../../models/registry/lineage-parent.js';
import { trainBaseline } from '../../models/training/train-baseline.js';
import { trainDirectionModel } from '../../models/training/train-direction-model.js';
import type { CachedTraining, TrainingCache } from '../../models/training/training-cache.js';
import { memoryRegistryHarness, newModel, onnxBytes } from '../contract/model-registry.fixtures.js';
import { randomWalkBars } from './synthetic-bars.js';

const ops = { actor: 'ops', reason: 'test' } as const;

/**
 * A registry where `name`@1 serves production, @2 is a retraining challenger it rejected and
 * (with `candidate`) @3 a version registered since, neither promoted nor rejected.
 */
async function registryWithRejected(name: string, candidate = false): Promise<ModelRegistry> {
  const { registry } = await memoryRegistryHarness();
  await registry.register(newModel(name), onnxBytes(1));
  await registry.promote(name, 1, ops);
  await registry.register(newModel(name, { parentVersion: 1 }), onnxBytes(2));
  await registry.reject(name, 2, { actor: 'retrainer', reason: 'worse than production on the shadow window' });
  if (candidate) await registry.register(newModel(name, { parentVersion: 1 }), onnxBytes(3));
  return registry;
}

const bars = [{ symbol: 'AAA/USDT', bars: randomWalkBars(700, 21) }];
const dataset = { source: 'synthetic', symbols: ['AAA/USDT'] };

/**
 * A version trained after a retraining challenger lost named the rejected challenger as its
 * parent (the newest version, rejected or not), so its lineage ran through a model that never
 * served. The parent is the production version, as the retraining actor records for a challenger.
 */
describe('a trained version’s parent is the production version, never a rejected one', () => {
  it('lineageParent: production; before any promotion the newest not rejected; none for a first version', async () => {
    expect(await lineageParent(await registryWithRejected('m', true), 'm')).toBe(1);
    const { registry: unpromoted } = await memoryRegistryHarness();
    expect(await lineageParent(unpromoted, 'm')).toBeNull();
    for (const seed of [1, 2, 3]) await unpromoted.register(newModel('m'), onnxBytes(seed));
    await unpromoted.reject('m', 3, ops);
    expect(await lineageParent(unpromoted, 'm')).toBe(2);
  });

  it('trainBaseline from the training cache names production, not the rejected challenger', async () => {
    const registry = await registryWithRejected('direction-mlp', true);
    const { parentVersion: _p, ...model } = newModel('direction-mlp', { configHash: 'cached' });
    const entry: CachedTraining<Record<string, never>> = { model, artifact: onnxBytes(9), report: {} };
    const cache: TrainingCache = { revision: 'test', where: 'memory', get: <R>() => Promise.resolve(entry as unknown as CachedTraining<R>), put: () => Promise.resolve() };
    const r = await trainBaseline(bars, dataset, { timeframe: '1h', barMs: 3_600_000 }, registry, cache);
    expect(r.cached).toBe(true);
    expect(r.model).toMatchObject({ version: 4, parentVersion: 1 });
  });

  it('trainBaseline, training, names production, not the rejected challenger', async () => {
    const registry = await registryWithRejected('direction-mlp');
    const trained = await trainBaseline(bars, dataset, { timeframe: '1h', barMs: 3_600_000, epochs: 1, hidden: [4] }, registry);
    expect(trained.model).toMatchObject({ version: 3, parentVersion: 1 });
  }, 30_000);

  it('trainDirectionModel names production, not the rejected challenger', async () => {
    const direction = await registryWithRejected('direction-mlp');
    const r = await trainDirectionModel(bars, dataset, { timeframe: '1h', barMs: 3_600_000, model: 'mlp', epochs: 1 }, direction, { thread: 'main' });
    expect(r.model).toMatchObject({ version: 3, parentVersion: 1 });
  }, 30_000);
});
