import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { trainDirectionModel } from '../../models/training/train-direction-model.js';
import type { TrainDirectionOptions } from '../../models/training/train-direction-model.js';
import type { TrainingProgress } from '../../models/training/training-spec.js';
import { randomWalkBars } from './synthetic-bars.js';
import { tinyRegistry } from './tiny-registry.js';

const bars = [
  { symbol: 'AAA/USDT', bars: randomWalkBars(1400, 1) },
  { symbol: 'BBB/USDT', bars: randomWalkBars(1400, 2, { price: 20 }) },
];
const dataset = { source: 'synthetic', symbols: ['AAA/USDT', 'BBB/USDT'] };
const base = { timeframe: '1h', barMs: 3_600_000, horizon: 4, seed: 3, epochs: 3 } satisfies TrainDirectionOptions;

describe('train → search → select → export → register (direction models)', () => {
  it('a GRU with TPE search and feature selection, in the worker, is registered with its lineage', async () => {
    const registry = tinyRegistry();
    const progress: TrainingProgress[] = [];
    const opts: TrainDirectionOptions = { ...base, model: 'gru', window: 8, search: 'tpe', trials: 3, selectFeatures: true, maxCorrelation: 0.9 };
    const r = await trainDirectionModel(bars, dataset, opts, registry, { onProgress: (p) => progress.push(p) });

    expect(r.model).toMatchObject({ name: 'direction-gru', version: 1, parentVersion: null, format: 'onnx' });
    expect(progress.filter((p) => p.type === 'trial')).toHaveLength(3);
    expect(progress.filter((p) => p.type === 'phase').map((p) => (p.type === 'phase' ? p.phase : ''))).toEqual(['selection', 'search', 'final']);
    // Feature selection ran: the spec lists only the kept columns, with their statistics.
    expect(r.features.length).toBeGreaterThan(0);
    expect(r.features.length).toBeLessThan(19);
    expect(r.model.featureSpec.features).toEqual(r.features);
    expect(r.model.featureSpec.mean).toHaveLength(r.features.length);
    const details = r.model.details as { search: { trials: unknown[] }; input: { window: number }; featureSelection: { correlated: { dropped: string; kept: string; correlation: number }[]; unimportant: string[] } };
    expect(details.search.trials).toHaveLength(3);
    expect(details.input.window).toBe(8);
    // Every column left out is accounted for, as correlated with a kept one or as unimportant.
    const selection = details.featureSelection;
    expect(selection.correlated.length + selection.unimportant.length).toBe(19 - r.features.length);
    for (const c of selection.correlated) expect(Math.abs(c.correlation)).toBeGreaterThan(0.9);
    expect(r.model.metrics['search_trials']).toBe(3);
    expect(r.model.metrics['search_best_val_log_loss']).toBe(r.search?.bestValLogLoss);
    expect(r.onnxParityMaxAbsDiff).toBeLessThanOrEqual(1e-5);
    expect(r.model.trainRange.from).toBeLessThan(r.model.trainRange.to);
    expect(r.model.configHash).toMatch(/^[0-9a-f]{64}$/);

    // The registered artifact is the GRU: it takes [batch, 8, k] windows and returns probabilities.
    const bytes = await registry.artifact(r.model);
    const s = await InferenceSession.create(bytes);
    try {
      const k = r.features.length;
      const out = await s.run({ windows: new Tensor('float32', new Float32Array(2 * 8 * k), [2, 8, k]) });
      const p = out['probs']?.data as Float32Array;
      expect(p).toHaveLength(6);
      expect((p[0] as number) + (p[1] as number) + (p[2] as number)).toBeCloseTo(1, 5);
    } finally {
      await s.release();
    }
  }, 180_000);

  it('an MLP version registered after another names it as parent; the config hash follows the options; worker and main thread train the same bits', async () => {
    const registry = tinyRegistry();
    const a = await trainDirectionModel(bars, dataset, { ...base, model: 'mlp', search: 'random', trials: 2 }, registry, { thread: 'main' });
    const b = await trainDirectionModel(bars, dataset, { ...base, model: 'mlp', search: 'random', trials: 2 }, registry, { thread: 'main' });
    const c = await trainDirectionModel(bars, dataset, { ...base, model: 'mlp', seed: 4 }, registry, { thread: 'main' });
    expect([a.model.version, b.model.version, c.model.version]).toEqual([1, 2, 3]);
    expect([b.model.parentVersion, c.model.parentVersion]).toEqual([1, 2]);
    expect(b.model.configHash).toBe(a.model.configHash);
    expect(c.model.configHash).not.toBe(a.model.configHash);
    // Same seed, same data, same search: the same model.
    expect(b.model.artifactSha256).toBe(a.model.artifactSha256);
    expect(b.test.model).toEqual(a.test.model);
    expect(a.model.featureSpec.features).toHaveLength(19);
    // The worker thread (its own tfjs engine) trains the bit-identical model.
    const w = await trainDirectionModel(bars, dataset, { ...base, model: 'mlp', search: 'random', trials: 2 }, registry);
    expect(w.model.artifactSha256).toBe(a.model.artifactSha256);
    expect(a.test.majority.accuracy).toBeGreaterThan(0);
  }, 180_000);
});
