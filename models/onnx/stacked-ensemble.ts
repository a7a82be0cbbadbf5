import { attr } from './attribute.js';
import type { DenseLayer } from './dense-mlp.js';
import { createGraphBuilder } from './graph-builder.js';
import type { GraphBuilder } from './graph-builder.js';
import { OnnxExportError } from './onnx-export-error.js';
import { floatTensor } from './tensor-value.js';

const ACTIVATION_OP = { relu: 'Relu', tanh: 'Tanh', sigmoid: 'Sigmoid', softmax: 'Softmax', linear: null } as const;

export type StackedEnsembleSpec = Readonly<{
  /** Each base model's dense layers (as `denseLayersOf` returns them), all reading the same input and ending in a softmax. */
  bases: readonly (readonly DenseLayer[])[];
  /** The meta-learner: one softmax layer over the bases' probabilities, concatenated in base order. */
  meta: DenseLayer;
  inputName: string;
  outputName: string;
  opset?: number;
  metadata?: Readonly<Record<string, string>>;
  graphName?: string;
}>;

/** Appends `layers` to `g` from `x`, names prefixed; returns the last output's name. */
function appendDense(g: GraphBuilder, x: string, layers: readonly DenseLayer[], prefix: string, finalName?: string): string {
  let h = x;
  layers.forEach((l, i) => {
    const isLast = i === layers.length - 1;
    const op = ACTIVATION_OP[l.activation];
    const w = g.initializer(`${prefix}_dense${i}_weight`, floatTensor(l.weights, [l.inDim, l.outDim]));
    const b = g.initializer(`${prefix}_dense${i}_bias`, floatTensor(l.bias, [l.outDim]));
    const linearOut = isLast && op === null && finalName !== undefined ? finalName : `${prefix}_dense${i}_linear`;
    [h] = g.node('Gemm', [h, w, b], { alpha: attr.float(1), beta: attr.float(1), transA: 0, transB: 0 }, { outputs: [linearOut] }) as [string];
    if (op !== null) [h] = g.node(op, [h], op === 'Softmax' ? { axis: -1 } : {}, { outputs: [isLast && finalName !== undefined ? finalName : `${prefix}_dense${i}_${l.activation}`] }) as [string];
  });
  return h;
}

/**
 * A stacked ensemble as one ONNX graph: every base network runs on the same input, their class
 * probabilities are concatenated (`Concat`, axis 1, base order) and the logistic-regression
 * meta-learner (Gemm + Softmax) maps them to the final probabilities. One file, one session,
 * one call: serving an ensemble costs the same plumbing as serving a single model.
 */
export function exportStackedEnsemble(spec: StackedEnsembleSpec): Uint8Array {
  const { bases, meta } = spec;
  if (bases.length < 2) throw new OnnxExportError(`a stacked ensemble needs at least 2 base models, got ${bases.length}`);
  const inDim = bases[0]?.[0]?.inDim;
  if (inDim === undefined) throw new OnnxExportError('base model 0 has no layers');
  let concatWidth = 0;
  bases.forEach((layers, k) => {
    if (layers.length === 0 || layers[0]?.inDim !== inDim) throw new OnnxExportError(`base model ${k}: must read the same ${inDim} inputs`);
    const last = layers[layers.length - 1] as DenseLayer;
    if (last.activation !== 'softmax') throw new OnnxExportError(`base model ${k}: must end in softmax (the meta-learner reads probabilities)`);
    concatWidth += last.outDim;
  });
  if (meta.inDim !== concatWidth) throw new OnnxExportError(`meta-learner reads ${meta.inDim} values; the bases give ${concatWidth}`);
  if (meta.activation !== 'softmax') throw new OnnxExportError('the meta-learner must be a softmax layer');

  const g = createGraphBuilder({ name: spec.graphName ?? 'stacked_ensemble' });
  const x = g.input(spec.inputName, 'float32', ['batch', inDim]);
  const probs = bases.map((layers, k) => appendDense(g, x, layers, `base${k}`));
  const [stacked] = g.node('Concat', probs, { axis: 1 }, { outputs: ['base_probs'] }) as [string];
  appendDense(g, stacked, [meta], 'meta', spec.outputName);
  g.output(spec.outputName, 'float32', ['batch', meta.outDim]);
  return g.toModel({ opset: spec.opset ?? 17, metadata: spec.metadata });
}
