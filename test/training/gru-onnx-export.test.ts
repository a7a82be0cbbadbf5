import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportGruClassifier } from '../../models/onnx/gru-classifier.js';
import { isOnnxExportError } from '../../models/onnx/onnx-export-error.js';
import { gruLayersOf } from '../../models/onnx/tfjs-gru-layers.js';
import { classificationMetrics } from '../../models/training/classification-metrics.js';
import { predictRows } from '../../models/training/fit-classifier.js';
import { mulberry32 } from '../../models/training/seeded-rng.js';
import { buildGruClassifier, trainGruClassifier } from '../../models/training/train-gru.js';
import type { TrainedSequenceClassifier } from '../../models/training/train-gru.js';
import { windowSumData } from './sequence-data.js';

const W = 6;
const COLS = 3;

async function runOnnx(bytes: Uint8Array, x: Float32Array, rows: number): Promise<Float32Array> {
  const session = await InferenceSession.create(bytes);
  try {
    const out = await session.run({ [session.inputNames[0] as string]: new Tensor('float32', x, [rows, W, COLS]) });
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

let trained: TrainedSequenceClassifier;
beforeAll(async () => {
  trained = await trainGruClassifier(windowSumData(1500, W, COLS, 1), windowSumData(300, W, COLS, 2), {
    units: 8,
    hidden: [6],
    classes: 3,
    seed: 3,
    epochs: 15,
    batchSize: 64,
    learningRate: 0.02,
    patience: 3,
  });
});
afterAll(() => trained.model.dispose());

describe('GRU sequence classifier, tfjs → ONNX', () => {
  it('learns a rule over the whole window (the parity check is on a trained model)', () => {
    const test = windowSumData(500, W, COLS, 9);
    const m = classificationMetrics(predictRows(trained.model, { ...test, shape: [W, COLS] }), test.y, 3);
    expect(m.accuracy).toBeGreaterThan(0.7);
    expect(trained.valLogLoss[trained.bestEpoch - 1]).toBe(Math.min(...trained.valLogLoss));
  });

  it('gives the tfjs probabilities in onnxruntime to 1e-5 on random inputs, saturated ones included', async () => {
    const { gru, head, window } = gruLayersOf(trained.model);
    expect(window).toBe(W);
    expect([gru.inDim, gru.units, head.map((l) => [l.inDim, l.outDim, l.activation])]).toEqual([COLS, 8, [[8, 6, 'relu'], [6, 3, 'softmax']]]);
    const bytes = exportGruClassifier({ gru, head, window, inputName: 'windows', outputName: 'probs' });
    const rng = mulberry32(77);
    const rows = 129;
    const x = new Float32Array(rows * W * COLS);
    for (let i = 0; i < x.length; i++) x[i] = (2 * rng() - 1) * (i % 7 === 0 ? 20 : 3);
    const expected = predictRows(trained.model, { x, rows, shape: [W, COLS] });
    const actual = await runOnnx(bytes, x, rows);
    expect(maxAbsDiff(actual, expected)).toBeLessThan(1e-5);
  });

  it('a GRU with non-zero biases (random weights) also matches: bias goes to Wb, Rb stays zero', async () => {
    const model = buildGruClassifier(W, COLS, { units: 5, classes: 3 });
    const rng = mulberry32(5);
    const { setWeightsRandom } = await import('./set-weights-random.js');
    setWeightsRandom(model, rng);
    try {
      const { gru, head, window } = gruLayersOf(model);
      expect(Array.from(gru.bias).some((b) => b !== 0)).toBe(true);
      const bytes = exportGruClassifier({ gru, head, window, inputName: 'windows', outputName: 'probs' });
      const rows = 64;
      const x = new Float32Array(rows * W * COLS).map(() => 4 * rng() - 2);
      expect(maxAbsDiff(await runOnnx(bytes, x, rows), predictRows(model, { x, rows, shape: [W, COLS] }))).toBeLessThan(1e-5);
    } finally {
      model.dispose();
    }
  });

  it('refuses a GRU with tfjs’s default hard-sigmoid gates instead of exporting a different model', async () => {
    const tf = await import('@tensorflow/tfjs');
    const model = tf.sequential({ layers: [tf.layers.gru({ inputShape: [W, COLS], units: 4 }), tf.layers.dense({ units: 3, activation: 'softmax' })] });
    try {
      let err: unknown;
      try {
        gruLayersOf(model);
      } catch (e) {
        err = e;
      }
      expect(isOnnxExportError(err)).toBe(true);
      expect(String(err)).toMatch(/recurrentActivation hardSigmoid/);
    } finally {
      model.dispose();
    }
  });
});
