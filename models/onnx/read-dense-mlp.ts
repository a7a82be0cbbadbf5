import type { DenseActivation, DenseLayer } from './dense-mlp.js';
import { readOnnxGraph } from './onnx-reader.js';
import type { ReadGraph, ReadNode, ReadTensor } from './onnx-reader.js';

const ACTIVATION_OF: Readonly<Record<string, DenseActivation>> = { Relu: 'relu', Tanh: 'tanh', Sigmoid: 'sigmoid', Softmax: 'softmax' };

export type ReadDenseMlp =
  | Readonly<{ ok: true; layers: readonly DenseLayer[]; normalization?: Readonly<{ mean: Float32Array; std: Float32Array }> }>
  | Readonly<{ ok: false; reason: string }>;

/**
 * The layers of a dense MLP from its ONNX bytes, when the graph is one `exportDenseMlp` writes:
 * optional Sub/Div standardisation, then per layer a Gemm (no transposes, alpha = beta = 1) or a
 * MatMul + Add, each followed by at most one activation, in one chain from the single input to the
 * single output. Anything else (a GRU, an ensemble, a graph from another exporter) is `ok: false`
 * with the reason, never a guess.
 */
export function readDenseMlp(onnx: Uint8Array): ReadDenseMlp {
  let g: ReadGraph;
  try {
    g = readOnnxGraph(onnx);
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
  if (g.inputs.length !== 1 || g.outputs.length !== 1) return { ok: false, reason: `${g.inputs.length} inputs and ${g.outputs.length} outputs (a dense MLP has one of each)` };
  let x = g.inputs[0] as string;
  const nodes = g.nodes;
  let i = 0;
  const weight = (name: string | undefined): ReadTensor | undefined => (name === undefined ? undefined : g.initializers.get(name));
  const chained = (n: ReadNode | undefined, op: string): boolean => n !== undefined && n.opType === op && n.domain === '' && n.inputs[0] === x && n.outputs.length === 1;

  let normalization: { mean: Float32Array; std: Float32Array } | undefined;
  const sub = nodes[0];
  if (sub !== undefined && chained(sub, 'Sub')) {
    x = sub.outputs[0] as string;
    const div = nodes[1];
    const mean = weight(sub.inputs[1]);
    const std = weight(div?.inputs[1]);
    if (div === undefined || !chained(div, 'Div') || mean === undefined || std === undefined) return { ok: false, reason: 'a Sub not followed by the Div of a standardisation' };
    x = div.outputs[0] as string;
    normalization = { mean: mean.data, std: std.data };
    i = 2;
  }

  const layers: DenseLayer[] = [];
  while (i < nodes.length) {
    const n = nodes[i] as ReadNode;
    let w: ReadTensor | undefined;
    let b: ReadTensor | undefined;
    if (chained(n, 'Gemm')) {
      if ((n.ints.get('transA') ?? 0) !== 0 || (n.ints.get('transB') ?? 0) !== 0 || (n.floats.get('alpha') ?? 1) !== 1 || (n.floats.get('beta') ?? 1) !== 1) {
        return { ok: false, reason: `Gemm ${i} transposes or scales its operands` };
      }
      w = weight(n.inputs[1]);
      b = weight(n.inputs[2]);
      x = n.outputs[0] as string;
      i++;
    } else if (chained(n, 'MatMul')) {
      w = weight(n.inputs[1]);
      x = n.outputs[0] as string;
      const add = nodes[i + 1];
      if (add === undefined || !chained(add, 'Add')) return { ok: false, reason: `MatMul ${i} not followed by the Add of its bias` };
      b = weight(add.inputs[1]);
      x = add.outputs[0] as string;
      i += 2;
    } else {
      return { ok: false, reason: `node ${i} is ${n.opType}, not the Gemm or MatMul of a dense layer` };
    }
    if (w === undefined || b === undefined || w.dims.length !== 2 || b.dims.length !== 1 || w.dims[1] !== b.dims[0]) {
      return { ok: false, reason: `layer ${layers.length}: weights or bias missing or of the wrong shape` };
    }
    let activation: DenseActivation = 'linear';
    const next = nodes[i];
    const act = next === undefined ? undefined : ACTIVATION_OF[next.opType];
    if (next !== undefined && act !== undefined && chained(next, next.opType)) {
      if (act === 'softmax' && (next.ints.get('axis') ?? -1) !== -1) return { ok: false, reason: `Softmax ${i} over axis ${next.ints.get('axis')}` };
      activation = act;
      x = next.outputs[0] as string;
      i++;
    }
    const [inDim, outDim] = w.dims as [number, number];
    const prev = layers[layers.length - 1];
    if (prev !== undefined && prev.outDim !== inDim) return { ok: false, reason: `layer ${layers.length} reads ${inDim} values, the previous one writes ${prev.outDim}` };
    layers.push({ weights: w.data, bias: b.data, inDim, outDim, activation });
  }
  if (layers.length === 0) return { ok: false, reason: 'no dense layer' };
  if (x !== g.outputs[0]) return { ok: false, reason: `the chain ends in ${x}, not the output ${g.outputs[0]}` };
  return { ok: true, layers, ...(normalization !== undefined ? { normalization } : {}) };
}
