import { exportDenseMlp } from '../../models/onnx/dense-mlp.js';
import { exportGruClassifier } from '../../models/onnx/gru-classifier.js';
import type { FeatureSpec } from '../../models/registry/feature-spec.js';
import type { ModelCalibration } from '../../models/registry/model-registry.js';
import type { ModelRuntime } from '../../models/runtime/model-runtime.js';
import type { FeatureVector } from '../../streams/messages/feature-vector.js';
import { featureVectorId } from '../../streams/messages/feature-vector.js';
import { mulberry32, uniform } from '../models/mulberry32.js';
import { referenceLayers } from '../models/reference-mlp.js';

/** Five features of the engine's vectors: two price levels (as ratios to the close) and three scale-free ones. */
export const SPEC: FeatureSpec = {
  version: 1,
  features: ['sma_20', 'rsi_14', 'log_ret_1', 'ewma_vol', 'atr_14'],
  mean: [1, 50, 0, 0.01, 0.005],
  std: [0.01, 15, 0.004, 0.005, 0.002],
  transforms: ['rel_price', 'raw', 'raw', 'raw', 'rel_price'],
};

export const CALIBRATION: ModelCalibration = { classMeanReturns: [-0.004, 0.0001, 0.005], conformal80: 0.003, conformal95: 0.006, horizonMs: 3_600_000 };

/** A 5 → 16 → 3 softmax MLP with seeded weights: the shape of the trained direction model. */
export const mlpOnnx = (seed: number): Uint8Array =>
  exportDenseMlp({ layers: referenceLayers(seed, [SPEC.features.length, 16, 3]), inputName: 'features', outputName: 'probs' });

/** A 5-feature GRU (4 units, softmax head) with seeded weights, reading windows of `steps` vectors. */
export function gruOnnx(seed: number, steps: number): Uint8Array {
  const rng = mulberry32(seed);
  const f = SPEC.features.length;
  const u = 4;
  return exportGruClassifier({
    gru: { kernel: uniform(rng, f * 3 * u, -0.5, 0.5), recurrentKernel: uniform(rng, u * 3 * u, -0.5, 0.5), bias: uniform(rng, 3 * u, -0.1, 0.1), inDim: f, units: u },
    head: [{ weights: uniform(rng, u * 3, -1, 1), bias: new Float32Array(3), inDim: u, outDim: 3, activation: 'softmax' }],
    window: steps,
    inputName: 'windows',
    outputName: 'probs',
  });
}

/**
 * A linear model (x·W + b, no activation) whose three outputs stand in for class probabilities:
 * its expected return is linear in x, so occlusion attributions are known in closed form.
 */
export function linearModel(seed: number, features: number): { onnx: Uint8Array; weights: Float32Array; bias: Float32Array } {
  const rng = mulberry32(seed);
  const weights = uniform(rng, features * 3, -0.3, 0.3);
  const bias = new Float32Array([0.3, 0.4, 0.3]);
  const onnx = exportDenseMlp({ layers: [{ weights, bias, inDim: features, outDim: 3, activation: 'linear' }], inputName: 'features', outputName: 'probs' });
  return { onnx, weights, bias };
}

const ASSETS = [
  ['binance', 'BTC/USDT'],
  ['binance', 'ETH/USDT'],
  ['kraken', 'SOL/USD'],
] as const;

/**
 * `n` vectors per asset, interleaved as a live process would receive them, with realistic values
 * and some warming-up nulls (every 17th vector lacks `rsi_14`).
 */
export function vectors(n: number, seed = 7): FeatureVector[] {
  const rng = mulberry32(seed);
  const price = ASSETS.map((_, a) => 100 * (a + 1));
  const out: FeatureVector[] = [];
  for (let i = 0; i < n; i++) {
    ASSETS.forEach(([venue, symbol], a) => {
      const r = (rng() - 0.5) * 0.02;
      price[a] = (price[a] as number) * Math.exp(r);
      const close = price[a] as number;
      const k = i * ASSETS.length + a;
      out.push({
        type: 'feat.vector',
        v: 1,
        id: featureVectorId(`bar:${venue}:${symbol}:${i}`),
        venue,
        symbol,
        ts: 1_700_000_000_000 + i * 300_000,
        source: `bar:${venue}:${symbol}:${i}`,
        values: {
          close,
          sma_20: close * (1 + (rng() - 0.5) * 0.03),
          rsi_14: k % 17 === 5 ? null : 20 + 60 * rng(),
          log_ret_1: r,
          ewma_vol: 0.005 + 0.01 * rng(),
          atr_14: close * (0.002 + 0.006 * rng()),
          mid: null,
        },
      });
    });
  }
  return out;
}

/** Wraps a runtime to count `run` calls and rows, so tests can check batching. */
export function counting(rt: ModelRuntime): ModelRuntime & { calls: number[] } {
  const calls: number[] = [];
  return {
    ...rt,
    calls,
    run: (batch, rows, cols) => {
      calls.push(rows);
      return rt.run(batch, rows, cols);
    },
  };
}
