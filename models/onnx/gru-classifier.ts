import { attr } from './attribute.js';
import type { DenseLayer } from './dense-mlp.js';
import { createGraphBuilder } from './graph-builder.js';
import { OnnxExportError } from './onnx-export-error.js';
import { floatTensor, int64Tensor } from './tensor-value.js';

/**
 * A GRU layer in the tfjs/Keras layout: `kernel` `[inDim, 3·units]`, `recurrentKernel`
 * `[units, 3·units]`, `bias` `[3·units]`, gate blocks in the order update (z), reset (r),
 * candidate (h) — the same order as ONNX's `zrh`. Only the "reset before the recurrent product"
 * form (Keras `reset_after = false`, the only one tfjs has) with sigmoid gates and a tanh
 * candidate is exportable.
 */
export type GruLayer = Readonly<{
  kernel: Float32Array;
  recurrentKernel: Float32Array;
  bias: Float32Array;
  inDim: number;
  units: number;
}>;

export type GruClassifierSpec = Readonly<{
  gru: GruLayer;
  /** Dense layers on the last GRU state; the last one is usually softmax. */
  head: readonly DenseLayer[];
  /** Time steps per input (the window W); the input is `[batch, W, inDim]`, oldest step first. */
  window: number;
  inputName: string;
  outputName: string;
  opset?: number;
  batchDim?: string;
  metadata?: Readonly<Record<string, string>>;
  graphName?: string;
}>;

const ACTIVATION_OP = { relu: 'Relu', tanh: 'Tanh', sigmoid: 'Sigmoid', softmax: 'Softmax', linear: null } as const;

/** `[rows, cols]` row-major → `[cols, rows]`. */
function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c] as number;
  return out;
}

function checkFinite(what: string, v: Float32Array, n: number): void {
  if (v.length !== n) throw new OnnxExportError(`${what}: expected ${n} values, got ${v.length}`);
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i] as number)) throw new OnnxExportError(`${what}[${i}] = ${v[i]} is not finite`);
}

/**
 * Exports a GRU sequence classifier to ONNX bytes: `Transpose` to ONNX's time-major layout
 * (onnxruntime's CPU GRU does not take `layout = 1`), one `GRU` node (`linear_before_reset = 0`,
 * default Sigmoid/Tanh activations), its final state squeezed to `[batch, units]`, then Gemm
 * layers and their activations.
 *
 * Weight mapping: ONNX wants `W` `[1, 3·units, inDim]` and `R` `[1, 3·units, units]`, i.e. the
 * Keras kernels transposed, gate blocks unchanged (both zrh); `B` `[1, 6·units]` is the input
 * bias followed by the recurrent bias, which tfjs does not have (zeros). With
 * `linear_before_reset = 0` the candidate is `tanh(x·Wh + (r ⊙ h)·Rh + Wbh + Rbh)` — tfjs's
 * formula — and the new state `(1 − z) ⊙ h̃ + z ⊙ h`, also tfjs's.
 */
export function exportGruClassifier(spec: GruClassifierSpec): Uint8Array {
  const { gru, head, window } = spec;
  const u = gru.units;
  if (!Number.isSafeInteger(window) || window < 1) throw new OnnxExportError(`window must be a positive integer, got ${window}`);
  if (!Number.isSafeInteger(u) || u < 1 || !Number.isSafeInteger(gru.inDim) || gru.inDim < 1) throw new OnnxExportError(`GRU inDim and units must be positive integers, got ${gru.inDim}×${u}`);
  checkFinite('GRU kernel', gru.kernel, gru.inDim * 3 * u);
  checkFinite('GRU recurrent kernel', gru.recurrentKernel, u * 3 * u);
  checkFinite('GRU bias', gru.bias, 3 * u);
  if (head.length === 0) throw new OnnxExportError('a GRU classifier needs at least one dense layer after the GRU');
  head.forEach((l, i) => {
    const prev = i === 0 ? u : (head[i - 1] as DenseLayer).outDim;
    if (l.inDim !== prev) throw new OnnxExportError(`dense layer ${i}: inDim ${l.inDim} does not match ${prev}`);
    checkFinite(`dense layer ${i} weights`, l.weights, l.inDim * l.outDim);
    checkFinite(`dense layer ${i} bias`, l.bias, l.outDim);
  });

  const batch = spec.batchDim ?? 'batch';
  const g = createGraphBuilder({ name: spec.graphName ?? 'gru_classifier' });
  const x = g.input(spec.inputName, 'float32', [batch, window, gru.inDim]);
  const [timeMajor] = g.node('Transpose', [x], { perm: [1, 0, 2] }, { outputs: ['time_major'] }) as [string];
  const w = g.initializer('gru_W', floatTensor(transpose(gru.kernel, gru.inDim, 3 * u), [1, 3 * u, gru.inDim]));
  const r = g.initializer('gru_R', floatTensor(transpose(gru.recurrentKernel, u, 3 * u), [1, 3 * u, u]));
  const bias = new Float32Array(6 * u);
  bias.set(gru.bias, 0);
  const b = g.initializer('gru_B', floatTensor(bias, [1, 6 * u]));
  const [, yH] = g.node('GRU', [timeMajor, w, r, b], { hidden_size: u, linear_before_reset: 0, direction: 'forward' }, { outputs: ['gru_Y', 'gru_Y_h'] }) as [string, string];
  const axes = g.initializer('squeeze_axes', int64Tensor([0]));
  let [h] = g.node('Squeeze', [yH, axes], {}, { outputs: ['gru_state'] }) as [string];

  head.forEach((l, i) => {
    const isLast = i === head.length - 1;
    const op = ACTIVATION_OP[l.activation];
    const linearOut = isLast && op === null ? spec.outputName : `dense${i}_linear`;
    const wi = g.initializer(`dense${i}_weight`, floatTensor(l.weights, [l.inDim, l.outDim]));
    const bi = g.initializer(`dense${i}_bias`, floatTensor(l.bias, [l.outDim]));
    [h] = g.node('Gemm', [h, wi, bi], { alpha: attr.float(1), beta: attr.float(1), transA: 0, transB: 0 }, { outputs: [linearOut] }) as [string];
    if (op !== null) [h] = g.node(op, [h], op === 'Softmax' ? { axis: -1 } : {}, { outputs: [isLast ? spec.outputName : `dense${i}_${l.activation}`] }) as [string];
  });
  g.output(spec.outputName, 'float32', [batch, (head[head.length - 1] as DenseLayer).outDim]);
  return g.toModel({ opset: spec.opset ?? 17, metadata: spec.metadata });
}
