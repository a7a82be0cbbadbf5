import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportDenseMlp } from '../../models/onnx/dense-mlp.js';
import { exportGruClassifier } from '../../models/onnx/gru-classifier.js';
import { gruLayersOf } from '../../models/onnx/tfjs-gru-layers.js';
import type { ModelRuntime } from '../../models/runtime/model-runtime.js';
import { createOnnxRuntime } from '../../models/runtime/onnx-runtime.js';
import { predictRows } from '../../models/training/fit-classifier.js';
import { mulberry32 } from '../../models/training/seeded-rng.js';
import { buildGruClassifier } from '../../models/training/train-gru.js';
import { setWeightsRandom } from '../training/set-weights-random.js';
import { referenceLayers } from './reference-mlp.js';

const STEPS = 5;
const COLS = 4;
const model = buildGruClassifier(STEPS, COLS, { units: 6, classes: 3 });
setWeightsRandom(model, mulberry32(8));
const { gru, head } = gruLayersOf(model);
const bytes = exportGruClassifier({ gru, head, window: STEPS, inputName: 'windows', outputName: 'probs' });
const rows = 33;
const x = new Float32Array(rows * STEPS * COLS).map((_, i) => Math.sin(i * 0.37) * 2);
const expected = predictRows(model, { x, rows, shape: [STEPS, COLS] });

const rts: ModelRuntime[] = [];
beforeAll(async () => {
  rts.push(await createOnnxRuntime({ bytes }, { thread: 'worker' }), await createOnnxRuntime({ bytes }, { thread: 'main' }));
});
afterAll(async () => {
  model.dispose();
  await Promise.all(rts.map((r) => r.dispose()));
});

describe('ONNX runtime, sequence model ([rows, steps, cols] input)', () => {
  it('reports its steps and scores windows like tfjs, on the worker and on the main thread', async () => {
    for (const rt of rts) {
      expect([rt.inputWidth, rt.inputSteps]).toEqual([COLS, STEPS]);
      const [probs] = await rt.run(x, rows, COLS);
      const [same] = await rt.run(x, rows, COLS, STEPS);
      expect(same).toEqual(probs);
      let diff = 0;
      for (let i = 0; i < expected.length; i++) diff = Math.max(diff, Math.abs((probs?.[i] as number) - (expected[i] as number)));
      expect(diff).toBeLessThan(1e-5);
    }
  });

  it('refuses other steps, and steps for a [rows, cols] model, as BAD_INPUT', async () => {
    for (const rt of rts) await expect(rt.run(x, rows, COLS, STEPS - 1)).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/windows of 5 steps, got steps = 4/) as unknown });
    const flat = await createOnnxRuntime({ bytes: exportDenseMlp({ layers: referenceLayers(1, [COLS, 3]), inputName: 'features', outputName: 'probs' }) }, { thread: 'main' });
    try {
      expect(flat.inputSteps).toBeUndefined();
      await expect(flat.run(x, rows, COLS, 2)).rejects.toMatchObject({ code: 'BAD_INPUT' });
    } finally {
      await flat.dispose();
    }
  });
});
