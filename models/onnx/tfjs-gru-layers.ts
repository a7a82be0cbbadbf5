import type { LayersModel } from '@tensorflow/tfjs';
import { DENSE_ACTIVATIONS } from './dense-mlp.js';
import type { DenseActivation, DenseLayer } from './dense-mlp.js';
import type { GruLayer } from './gru-classifier.js';
import { OnnxExportError } from './onnx-export-error.js';

const INFERENCE_IDENTITY: ReadonlySet<string> = new Set(['InputLayer', 'Dropout', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout']);
const isActivation = (a: unknown): a is DenseActivation => typeof a === 'string' && (DENSE_ACTIVATIONS as readonly string[]).includes(a);

/**
 * The GRU and the Dense head of a tfjs sequential model (`GRU → Dense …`), as
 * `exportGruClassifier` takes them. Refuses what the export would not reproduce exactly: a hard
 * sigmoid or other gate activation, `reset_after`, reversed or stateful or sequence-returning
 * GRUs, a GRU without bias handled as zeros.
 */
export function gruLayersOf(model: LayersModel): Readonly<{ gru: GruLayer; head: DenseLayer[]; window: number }> {
  let gru: GruLayer | undefined;
  let window = 0;
  const head: DenseLayer[] = [];
  for (const layer of model.layers) {
    const kind = layer.getClassName();
    if (INFERENCE_IDENTITY.has(kind)) continue;
    const config = layer.getConfig();
    if (kind === 'GRU') {
      if (gru !== undefined || head.length > 0) throw new OnnxExportError(`layer '${layer.name}': only one GRU, first, is exportable`);
      const bad: string[] = [];
      if (config['activation'] !== 'tanh') bad.push(`activation ${String(config['activation'])}`);
      if (config['recurrentActivation'] !== 'sigmoid') bad.push(`recurrentActivation ${String(config['recurrentActivation'])} (use 'sigmoid')`);
      if (config['returnSequences'] === true || config['goBackwards'] === true || config['stateful'] === true) bad.push('returnSequences/goBackwards/stateful');
      if (config['resetAfter'] === true) bad.push('resetAfter');
      if (bad.length > 0) throw new OnnxExportError(`layer '${layer.name}': not exportable as an ONNX GRU: ${bad.join(', ')}`);
      const [kernel, recurrent, bias] = layer.getWeights();
      if (kernel === undefined || recurrent === undefined || kernel.shape.length !== 2) throw new OnnxExportError(`layer '${layer.name}' has no GRU kernels`);
      const [inDim, threeU] = kernel.shape as [number, number];
      const units = threeU / 3;
      const shape = layer.batchInputShape ?? (model.inputs[0]?.shape as (number | null)[] | undefined);
      window = Number(shape?.[1]);
      if (!Number.isSafeInteger(window) || window < 1) throw new OnnxExportError(`layer '${layer.name}': the window (time steps) must be fixed in the input shape`);
      gru = {
        kernel: Float32Array.from(kernel.dataSync()),
        recurrentKernel: Float32Array.from(recurrent.dataSync()),
        bias: bias === undefined ? new Float32Array(threeU) : Float32Array.from(bias.dataSync()),
        inDim,
        units,
      };
      continue;
    }
    if (kind !== 'Dense') throw new OnnxExportError(`layer '${layer.name}' is a ${kind}; a GRU classifier exports GRU then Dense layers`);
    if (gru === undefined) throw new OnnxExportError(`layer '${layer.name}': Dense before the GRU`);
    const activation = config['activation'] ?? 'linear';
    if (!isActivation(activation)) throw new OnnxExportError(`layer '${layer.name}': activation '${String(activation)}' is not exportable`);
    const [k, b] = layer.getWeights();
    if (k === undefined || k.shape.length !== 2) throw new OnnxExportError(`layer '${layer.name}' has no 2-D kernel`);
    const [inDim, outDim] = k.shape as [number, number];
    head.push({ weights: Float32Array.from(k.dataSync()), bias: b === undefined ? new Float32Array(outDim) : Float32Array.from(b.dataSync()), inDim, outDim, activation });
  }
  if (gru === undefined) throw new OnnxExportError('the model has no GRU layer');
  return { gru, head, window };
}
