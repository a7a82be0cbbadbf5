import type { LayersModel } from '@tensorflow/tfjs';
import { DENSE_ACTIVATIONS } from './dense-mlp.js';
import type { DenseActivation, DenseLayer } from './dense-mlp.js';
import { OnnxExportError } from './onnx-export-error.js';

/** Layers that are the identity at inference time and so export to nothing. */
const INFERENCE_IDENTITY: ReadonlySet<string> = new Set(['InputLayer', 'Dropout', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout']);

const isActivation = (a: unknown): a is DenseActivation => typeof a === 'string' && (DENSE_ACTIVATIONS as readonly string[]).includes(a);

/**
 * The Dense layers of a tfjs sequential model, in order, as `exportDenseMlp` takes them. Refuses
 * any layer it cannot export faithfully (a BatchNormalization, a `selu` activation …) rather
 * than export a model that scores differently from the one that was validated.
 *
 * @example
 * const onnx = exportDenseMlp({ layers: denseLayersOf(model), inputName: 'features', outputName: 'probs' });
 */
export function denseLayersOf(model: LayersModel): DenseLayer[] {
  const out: DenseLayer[] = [];
  for (const layer of model.layers) {
    const kind = layer.getClassName();
    if (INFERENCE_IDENTITY.has(kind)) continue;
    if (kind !== 'Dense') throw new OnnxExportError(`layer '${layer.name}' is a ${kind}; only Dense layers (and inference-time no-ops) export as a dense MLP`);
    const config = layer.getConfig();
    const activation = config['activation'] ?? 'linear';
    if (!isActivation(activation)) throw new OnnxExportError(`layer '${layer.name}': activation '${String(activation)}' is not exportable (${DENSE_ACTIVATIONS.join(', ')})`);
    const [kernel, bias] = layer.getWeights();
    if (kernel === undefined || kernel.shape.length !== 2) throw new OnnxExportError(`layer '${layer.name}' has no 2-D kernel`);
    const [inDim, outDim] = kernel.shape as [number, number];
    out.push({
      weights: Float32Array.from(kernel.dataSync()),
      bias: bias === undefined ? new Float32Array(outDim) : Float32Array.from(bias.dataSync()),
      inDim,
      outDim,
      activation,
    });
  }
  if (out.length === 0) throw new OnnxExportError('the model has no Dense layers');
  return out;
}
