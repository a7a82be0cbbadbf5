import { exportDenseMlp } from '../../models/onnx/dense-mlp.js';
import type { DenseActivation, DenseLayer } from '../../models/onnx/dense-mlp.js';
import { mulberry32, uniform } from './mulberry32.js';

/** The serving-size model of the throughput target: 25 features → 64 → 64 → 3 classes. */
export const REFERENCE_SIZES = [25, 64, 64, 3] as const;

/** Seeded weights for `sizes` (Glorot-uniform scale), ReLU hidden layers, softmax head. */
export function referenceLayers(seed = 1, sizes: readonly number[] = REFERENCE_SIZES): DenseLayer[] {
  const rng = mulberry32(seed);
  return sizes.slice(1).map((outDim, i) => {
    const inDim = sizes[i] as number;
    const limit = Math.sqrt(6 / (inDim + outDim));
    const activation: DenseActivation = i === sizes.length - 2 ? 'softmax' : 'relu';
    return { weights: uniform(rng, inDim * outDim, -limit, limit), bias: uniform(rng, outDim, -0.1, 0.1), inDim, outDim, activation };
  });
}

export const referenceMlpOnnx = (seed = 1): Uint8Array => exportDenseMlp({ layers: referenceLayers(seed), inputName: 'features', outputName: 'probs' });
