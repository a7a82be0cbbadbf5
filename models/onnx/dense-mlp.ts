import { attr } from './attribute.js';
import { createGraphBuilder } from './graph-builder.js';
import { OnnxExportError } from './onnx-export-error.js';
import { floatTensor } from './tensor-value.js';

export const DENSE_ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'linear', 'softmax'] as const;
export type DenseActivation = (typeof DENSE_ACTIVATIONS)[number];

const ACTIVATION_OP = { relu: 'Relu', tanh: 'Tanh', sigmoid: 'Sigmoid', softmax: 'Softmax', linear: null } as const;

export type DenseLayer = Readonly<{
  /**
   * Row-major `[inDim, outDim]`, so `y = x·W + b`: the layout of a tfjs/Keras Dense kernel
   * (`layer.getWeights()[0]`), copied as is. (PyTorch's Linear stores `[outDim, inDim]`;
   * transpose it first.)
   */
  weights: Float32Array;
  bias: Float32Array;
  inDim: number;
  outDim: number;
  activation: DenseActivation;
}>;

export type DenseMlpSpec = Readonly<{
  layers: readonly DenseLayer[];
  inputName: string;
  outputName: string;
  /**
   * Feature standardisation baked into the graph as `(x − mean) / std`, so the model file carries
   * its own preprocessing and a served model cannot be fed unscaled features by mistake.
   */
  normalization?: Readonly<{ mean: Float32Array | readonly number[]; std: Float32Array | readonly number[] }>;
  /** `'gemm'` (default): one Gemm per layer, 2-D input. `'matmul-add'`: MatMul + Add, which also accepts `[batch, …, features]`. */
  linear?: 'gemm' | 'matmul-add';
  /** Default-domain opset; default 17 (onnxruntime ≥ 1.13). */
  opset?: number;
  /** Name of the batch dimension; default `'batch'`. */
  batchDim?: string;
  /** Written to ModelProto.metadata_props (model version, feature-spec hash, …). */
  metadata?: Readonly<Record<string, string>>;
  graphName?: string;
}>;

/**
 * Exports a dense feed-forward network to ONNX bytes: optional Sub/Div standardisation, then
 * per layer Gemm (or MatMul + Add) and its activation; a softmax layer ends in Softmax over the
 * last axis. Weights are checked for shape and finiteness, since a NaN written here would only
 * show up as NaN predictions in production.
 *
 * @example
 * const onnx = exportDenseMlp({
 *   inputName: 'features', outputName: 'probs',
 *   layers: [
 *     { weights: w0, bias: b0, inDim: 25, outDim: 64, activation: 'relu' },
 *     { weights: w1, bias: b1, inDim: 64, outDim: 3, activation: 'softmax' },
 *   ],
 * });
 */
export function exportDenseMlp(spec: DenseMlpSpec): Uint8Array {
  const { layers } = spec;
  if (layers.length === 0) throw new OnnxExportError('a dense MLP needs at least one layer');
  const first = layers[0] as DenseLayer;
  const last = layers[layers.length - 1] as DenseLayer;
  layers.forEach((l, i) => checkLayer(l, i, i === 0 ? undefined : (layers[i - 1] as DenseLayer).outDim));

  const batch = spec.batchDim ?? 'batch';
  const g = createGraphBuilder({ name: spec.graphName ?? 'dense_mlp' });
  let x = g.input(spec.inputName, 'float32', [batch, first.inDim]);

  if (spec.normalization !== undefined) {
    const { mean, std } = spec.normalization;
    checkVector('normalization.mean', mean, first.inDim, (v) => Number.isFinite(v));
    checkVector('normalization.std', std, first.inDim, (v) => Number.isFinite(v) && v > 0);
    const m = g.initializer('norm_mean', floatTensor(mean));
    const s = g.initializer('norm_std', floatTensor(std));
    [x] = g.node('Sub', [x, m], {}, { outputs: ['norm_centered'] }) as [string];
    [x] = g.node('Div', [x, s], {}, { outputs: ['norm_scaled'] }) as [string];
  }

  layers.forEach((l, i) => {
    const isLast = i === layers.length - 1;
    const op = ACTIVATION_OP[l.activation];
    const linearOut = isLast && op === null ? spec.outputName : `dense${i}_linear`;
    const w = g.initializer(`dense${i}_weight`, floatTensor(l.weights, [l.inDim, l.outDim]));
    const b = g.initializer(`dense${i}_bias`, floatTensor(l.bias, [l.outDim]));
    if (spec.linear === 'matmul-add') {
      const [mm] = g.node('MatMul', [x, w], {}, { outputs: [`dense${i}_matmul`] }) as [string];
      [x] = g.node('Add', [mm, b], {}, { outputs: [linearOut] }) as [string];
    } else {
      // alpha/beta are FLOAT attributes; the defaults (1) are spelled out so readers see the affine map.
      [x] = g.node('Gemm', [x, w, b], { alpha: attr.float(1), beta: attr.float(1), transA: 0, transB: 0 }, { outputs: [linearOut] }) as [string];
    }
    if (op !== null) {
      const out = isLast ? spec.outputName : `dense${i}_${l.activation}`;
      [x] = g.node(op, [x], op === 'Softmax' ? { axis: -1 } : {}, { outputs: [out] }) as [string];
    }
  });

  g.output(spec.outputName, 'float32', [batch, last.outDim]);
  return g.toModel({ opset: spec.opset ?? 17, metadata: spec.metadata });
}

function checkLayer(l: DenseLayer, i: number, prevOut: number | undefined): void {
  const where = `layer ${i}`;
  if (!Number.isSafeInteger(l.inDim) || l.inDim < 1 || !Number.isSafeInteger(l.outDim) || l.outDim < 1) {
    throw new OnnxExportError(`${where}: inDim and outDim must be positive integers, got ${l.inDim}×${l.outDim}`);
  }
  if (prevOut !== undefined && l.inDim !== prevOut) throw new OnnxExportError(`${where}: inDim ${l.inDim} does not match the previous layer's outDim ${prevOut}`);
  if (!DENSE_ACTIVATIONS.includes(l.activation)) throw new OnnxExportError(`${where}: unknown activation '${String(l.activation)}'`);
  checkVector(`${where} weights`, l.weights, l.inDim * l.outDim, Number.isFinite);
  checkVector(`${where} bias`, l.bias, l.outDim, Number.isFinite);
}

function checkVector(what: string, v: ArrayLike<number>, expectedLength: number, ok: (x: number) => boolean): void {
  if (v.length !== expectedLength) throw new OnnxExportError(`${what}: expected ${expectedLength} values, got ${v.length}`);
  for (let i = 0; i < v.length; i++) {
    if (!ok(v[i] as number)) throw new OnnxExportError(`${what}[${i}] = ${v[i]} is not allowed (non-finite, or a non-positive std)`);
  }
}
