import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadSymbolBars, trainCommand } from '../../cli/commands/train.js';
import { createStrategyCore } from '../../models/inference/strategy-core.js';
import { createOnnxRuntime } from '../../models/runtime/onnx-runtime.js';
import type { Prediction } from '../../streams/messages/prediction.js';
import { PredictionSchema } from '../../streams/messages/prediction.js';
import { barEvents } from '../strategy/gru-on-real-bars.js';
import { testDataDir } from '../support/data-dir.js';
import { tinyRegistry } from './tiny-registry.js';

// Three months of real BTC and ETH 1h bars from ../shared/data, two epochs: the CLI path in seconds.
const SYMBOLS = ['BTC/USDT', 'ETH/USDT'];
const ARGS = ['--symbols', SYMBOLS.join(','), '--from', '2023-01-01', '--to', '2023-04-01', '--epochs', '2', '--seed', '3'];

describe('sextant train --model ensemble', () => {
  it('registers a stacked ensemble (one ONNX graph) with metrics and lineage, and the strategy core serves it', async () => {
    const registry = tinyRegistry();
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => out.push(s) > 0) as typeof process.stdout.write;
    try {
      await trainCommand(() => Promise.resolve(registry)).parseAsync(['--model', 'ensemble', ...ARGS], { from: 'user' });
    } finally {
      process.stdout.write = write;
    }
    const [m] = await registry.list('direction-ensemble');
    if (m === undefined) throw new Error('no direction-ensemble registered');
    expect(m).toMatchObject({ name: 'direction-ensemble', version: 1, parentVersion: null, format: 'onnx' });
    expect(m.details).toMatchObject({ kind: 'direction-classifier', model: 'ensemble', input: { layout: '[batch, features]' }, dataset: { symbols: SYMBOLS } });
    expect(m.configHash).toMatch(/^[0-9a-f]{16,}$/);
    expect(m.trainRange.from).toBeLessThan(m.trainRange.to);
    expect(m.featureSpec.window).toBeUndefined();
    for (const k of ['test_accuracy', 'test_log_loss', 'majority_log_loss', 'val_log_loss']) expect(Number.isFinite(m.metrics[k])).toBe(true);
    expect(m.metrics['onnx_parity_max_abs_diff']).toBeLessThan(1e-5);
    const text = out.join('');
    expect(text).toMatch(/registered direction-ensemble@1 \(parent none\), ensemble, 19 features/);
    expect(text).toMatch(/training: meta-learner \d+ epochs/);

    // Served: the bars after the training window, through the strategy core on onnxruntime.
    const artifact = await registry.artifact(m);
    const runtime = await createOnnxRuntime({ bytes: artifact }, { thread: 'main' });
    try {
      expect(runtime.inputSteps).toBeUndefined();
      const core = createStrategyCore({ strategy: 'ens', model: { name: m.name, version: m.version, runtime, featureSpec: m.featureSpec, calibration: m.calibration, featureSpecHash: m.featureSpecHash }, minConfidence: 0.4, maxIntervalWidth: 1, positionSize: 1, allowShort: true, topK: 2 });
      const bars = await loadSymbolBars(testDataDir(), SYMBOLS, '1h', { from: Date.parse('2023-01-01T00:00:00Z'), to: Date.parse('2023-04-15T00:00:00Z') });
      const vectors = bars.flatMap((b) => barEvents(b.symbol, b.bars).slice(-300).map((e) => e.vector)).sort((a, b) => a.ts - b.ts || a.symbol.localeCompare(b.symbol));
      const preds: Prediction[] = await core.onFeatures(vectors);
      expect(preds).toHaveLength(vectors.length);
      for (const p of preds) expect(PredictionSchema.safeParse(p).error).toBeUndefined();
      // The same rows straight through onnxruntime: the core's probabilities are the graph's.
      const spec = m.featureSpec;
      const x = new Float32Array(vectors.length * spec.features.length);
      vectors.forEach((v, i) =>
        spec.features.forEach((name, j) => {
          const raw = v.values[name] as number;
          const t = spec.transforms[j] === 'rel_price' ? raw / (v.values['close'] as number) : raw;
          x[i * spec.features.length + j] = (t - (spec.mean[j] as number)) / (spec.std[j] as number);
        }),
      );
      const session = await InferenceSession.create(artifact);
      let direct: Float32Array;
      try {
        direct = (await session.run({ features: new Tensor('float32', x, [vectors.length, spec.features.length]) }))['probs']?.data as Float32Array;
      } finally {
        await session.release();
      }
      let diff = 0;
      preds.forEach((p, i) => {
        diff = Math.max(diff, Math.abs(p.probs.down - (direct[i * 3] as number)), Math.abs(p.probs.flat - (direct[i * 3 + 1] as number)), Math.abs(p.probs.up - (direct[i * 3 + 2] as number)));
      });
      expect(diff).toBeLessThan(1e-5);
    } finally {
      await runtime.dispose();
    }
  }, 180_000);
});
