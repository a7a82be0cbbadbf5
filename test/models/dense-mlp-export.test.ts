import { InferenceSession, Tensor } from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportDenseMlp } from '../../models/onnx/dense-mlp.js';
import type { DenseLayer } from '../../models/onnx/dense-mlp.js';
import { isOnnxExportError } from '../../models/onnx/onnx-export-error.js';
import { denseLayersOf } from '../../models/onnx/tfjs-dense-layers.js';
import { mulberry32, uniform } from './mulberry32.js';
import { CLASSES, FEATURES, predictTfjs, trainSmallMlp } from './train-mlp.js';
import type { TrainedMlp } from './train-mlp.js';

let trained: TrainedMlp;
beforeAll(async () => {
  trained = await trainSmallMlp();
});

async function runOnnx(bytes: Uint8Array, x: Float32Array, rows: number, cols: number): Promise<Float32Array> {
  const session = await InferenceSession.create(bytes);
  try {
    const out = await session.run({ [session.inputNames[0] as string]: new Tensor('float32', x, [rows, cols]) });
    return out[session.outputNames[0] as string]?.data as Float32Array;
  } finally {
    await session.release();
  }
}

const maxAbsDiff = (a: Float32Array, b: Float32Array): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
};

describe('dense MLP trained in tfjs, exported to ONNX', () => {
  it('learned the synthetic 3-class problem (the parity check is on a real model, not noise)', () => {
    expect(trained.accuracy).toBeGreaterThan(0.85);
  });

  it.each(['gemm', 'matmul-add'] as const)('gives tfjs outputs in onnxruntime to 1e-5, normalisation in-graph (%s)', async (linear) => {
    const bytes = exportDenseMlp({
      layers: denseLayersOf(trained.model),
      inputName: 'features',
      outputName: 'probs',
      normalization: { mean: trained.mean, std: trained.std },
      linear,
    });
    // Held-out rows drawn past the training range too, so saturated activations are compared.
    const rows = 257;
    const x = uniform(mulberry32(99), rows * FEATURES, -30, 30);
    const expected = predictTfjs(trained, x, rows);
    const actual = await runOnnx(bytes, x, rows, FEATURES);
    expect(actual.length).toBe(rows * CLASSES);
    expect(maxAbsDiff(actual, expected)).toBeLessThan(1e-5);
    // And they are probabilities.
    for (let r = 0; r < rows; r++) expect((actual[r * 3] as number) + (actual[r * 3 + 1] as number) + (actual[r * 3 + 2] as number)).toBeCloseTo(1, 5);
  });

  it('reads the Dense layers of the tfjs model in order with their activations', () => {
    const layers = denseLayersOf(trained.model);
    expect(layers.map((l) => [l.inDim, l.outDim, l.activation])).toEqual([
      [8, 16, 'relu'],
      [16, 12, 'tanh'],
      [12, 3, 'softmax'],
    ]);
  });

  it('exports every activation faithfully (checked against a float64 reference)', async () => {
    const rng = mulberry32(5);
    const acts = ['sigmoid', 'linear', 'tanh', 'relu'] as const;
    const layers: DenseLayer[] = acts.map((activation) => ({
      weights: uniform(rng, 4 * 4),
      bias: uniform(rng, 4),
      inDim: 4,
      outDim: 4,
      activation,
    }));
    const bytes = exportDenseMlp({ layers, inputName: 'x', outputName: 'y' });
    const x = uniform(rng, 5 * 4, -3, 3);
    const actual = await runOnnx(bytes, x, 5, 4);
    const f = { sigmoid: (v: number) => 1 / (1 + Math.exp(-v)), linear: (v: number) => v, tanh: Math.tanh, relu: (v: number) => Math.max(0, v) };
    for (let r = 0; r < 5; r++) {
      let h = Array.from(x.subarray(r * 4, r * 4 + 4));
      for (const l of layers) {
        h = Array.from({ length: l.outDim }, (_, o) => f[l.activation as keyof typeof f](h.reduce((s, v, i) => s + v * (l.weights[i * l.outDim + o] as number), l.bias[o] as number)));
      }
      for (let o = 0; o < 4; o++) expect(actual[r * 4 + o]).toBeCloseTo(h[o] as number, 5);
    }
  });

  it('refuses mismatched layer sizes, non-finite weights and a zero std with an OnnxExportError', () => {
    const ok: DenseLayer = { weights: new Float32Array(6), bias: new Float32Array(3), inDim: 2, outDim: 3, activation: 'relu' };
    const cases: (() => Uint8Array)[] = [
      () => exportDenseMlp({ layers: [ok, { ...ok, inDim: 2 }], inputName: 'x', outputName: 'y' }),
      () => exportDenseMlp({ layers: [{ ...ok, weights: new Float32Array([0, 0, Number.NaN, 0, 0, 0]) }], inputName: 'x', outputName: 'y' }),
      () => exportDenseMlp({ layers: [{ ...ok, bias: new Float32Array(2) }], inputName: 'x', outputName: 'y' }),
      () => exportDenseMlp({ layers: [ok], inputName: 'x', outputName: 'y', normalization: { mean: [0, 0], std: [1, 0] } }),
      () => exportDenseMlp({ layers: [], inputName: 'x', outputName: 'y' }),
      () => exportDenseMlp({ layers: [ok], inputName: 'x', outputName: 'x' }),
    ];
    for (const c of cases) {
      let err: unknown;
      try {
        c();
      } catch (e) {
        err = e;
      }
      expect(isOnnxExportError(err), String(err)).toBe(true);
      expect((err as { retryable: boolean }).retryable).toBe(false);
    }
  });
});
