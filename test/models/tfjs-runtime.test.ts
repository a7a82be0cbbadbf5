import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isModelRuntimeError } from '../../models/runtime/model-runtime-error.js';
import { artifactsFromModel, packArtifacts, writeArtifacts } from '../../models/runtime/tfjs-artifacts.js';
import type { TfjsArtifacts } from '../../models/runtime/tfjs-artifacts.js';
import { createTfjsRuntime } from '../../models/runtime/tfjs-runtime.js';
import type { TfjsModelSource } from '../../models/runtime/tfjs-runtime.js';
import { modelRuntimeContract } from './model-runtime.contract.js';
import { mulberry32, uniform } from './mulberry32.js';
import { CLASSES, FEATURES, standardise, trainSmallMlp } from './train-mlp.js';
import type { TrainedMlp } from './train-mlp.js';
import * as tf from '@tensorflow/tfjs';

let trained: TrainedMlp;
let artifacts: TfjsArtifacts;
let dir: string;
const ROWS = 50;
let x: Float32Array;
let expected: Float32Array;

// One training run per file, shared by the contract suites and the tests below.
let training: Promise<TrainedMlp> | undefined;
const trainedOnce = (): Promise<TrainedMlp> => (training ??= trainSmallMlp());

beforeAll(async () => {
  trained = await trainedOnce();
  artifacts = await artifactsFromModel(trained.model);
  dir = await mkdtemp(join(tmpdir(), 'sx-tfjs-'));
  // The tfjs model takes standardised features (the ONNX export bakes standardisation in instead).
  x = standardise(uniform(mulberry32(21), ROWS * FEATURES, -20, 20), ROWS, trained.mean, trained.std);
  expected = tf.tidy(() => (trained.model.predict(tf.tensor2d(x, [ROWS, FEATURES])) as tf.Tensor).dataSync() as Float32Array);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

for (const thread of ['worker', 'main'] as const) {
  modelRuntimeContract(`tfjs (wasm), ${thread} thread`, {
    open: async () => createTfjsRuntime({ artifacts: await artifactsFromModel((await trainedOnce()).model) }, { thread }),
    cols: FEATURES,
    outputWidths: [CLASSES],
    batchTolerance: 0,
  });
}

describe('tfjs runtime adapter', () => {
  it('serves the trained model on a worker thread (wasm backend) with the same outputs as the model itself', async () => {
    const rt = await createTfjsRuntime({ model: trained.model });
    try {
      expect(rt.kind).toBe('tfjs');
      expect(rt.execution).toMatchObject({ engine: '@tensorflow/tfjs', thread: 'worker' });
      // tfjs-node(-gpu) is not installed here, so the wasm backend serves.
      expect(rt.execution.device).toMatch(/^wasm/);
      expect(rt.outputNames).toEqual([trained.model.layers[trained.model.layers.length - 1]?.name]);
      expect(rt.inputWidth).toBe(FEATURES);
      expect(rt.outputWidths).toEqual([CLASSES]);
      const [probs] = await rt.run(x, ROWS, FEATURES);
      expect(probs).toEqual(expected);
    } finally {
      await rt.dispose();
    }
  });

  it('loads the same model from a model.json directory, a packed file, packed bytes and in-memory artifacts', async () => {
    const modelJson = await writeArtifacts(artifacts, join(dir, 'model'));
    const packed = join(dir, 'model.tfjs');
    await writeFile(packed, packArtifacts(artifacts));
    const sources: TfjsModelSource[] = [{ path: modelJson }, { path: packed }, { bytes: packArtifacts(artifacts) }, { artifacts }];
    for (const source of sources) {
      const rt = await createTfjsRuntime(source, { thread: 'main' });
      expect((await rt.run(x, ROWS, FEATURES))[0]).toEqual(expected);
      await rt.dispose();
    }
  });

  it('refuses a corrupt artifact with LOAD_FAILED', async () => {
    const err = await createTfjsRuntime({ bytes: new Uint8Array([1, 2, 3]) }).catch((e: unknown) => e);
    expect(isModelRuntimeError(err) && err.code === 'LOAD_FAILED').toBe(true);
  });

});
