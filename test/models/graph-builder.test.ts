import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { attr } from '../../models/onnx/attribute.js';
import { createGraphBuilder } from '../../models/onnx/graph-builder.js';
import { isOnnxExportError } from '../../models/onnx/onnx-export-error.js';
import { floatTensor } from '../../models/onnx/tensor-value.js';
import { mulberry32, uniform } from './mulberry32.js';

async function run(bytes: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, Float32Array | BigInt64Array>> {
  const s = await InferenceSession.create(bytes);
  try {
    const out = await s.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await s.release();
  }
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

function expectExportError(f: () => unknown, pattern: RegExp): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(isOnnxExportError(err), String(err)).toBe(true);
  expect((err as Error).message).toMatch(pattern);
}

describe('graph builder', () => {
  it('builds an LSTM node (three outputs, an omitted optional input) that matches a reference LSTM', async () => {
    const [seq, batch, inSize, hidden] = [4, 2, 3, 2];
    const rng = mulberry32(11);
    const W = uniform(rng, 4 * hidden * inSize);
    const R = uniform(rng, 4 * hidden * hidden);
    const B = uniform(rng, 8 * hidden);
    const H0 = uniform(rng, batch * hidden);
    const X = uniform(rng, seq * batch * inSize);

    const g = createGraphBuilder({ name: 'lstm' });
    const x = g.input('x', 'float32', ['seq', batch, inSize]);
    const w = g.initializer('W', floatTensor(W, [1, 4 * hidden, inSize]));
    const r = g.initializer('R', floatTensor(R, [1, 4 * hidden, hidden]));
    const b = g.initializer('B', floatTensor(B, [1, 8 * hidden]));
    const h0 = g.initializer('initial_h', floatTensor(H0, [1, batch, hidden]));
    const [y, yH, yC] = g.node('LSTM', [x, w, r, b, '', h0], { hidden_size: hidden }, { outputs: ['Y', 'Y_h', 'Y_c'] }) as [string, string, string];
    g.output(y, 'float32', ['seq', 1, batch, hidden]);
    g.output(yH, 'float32', [1, batch, hidden]);
    g.output(yC, 'float32', [1, batch, hidden]);
    const out = await run(g.toModel({ opset: 17 }), { x: new Tensor('float32', X, [seq, batch, inSize]) });

    // ONNX LSTM, gate order i, o, f, c; B = [Wb, Rb].
    const gate = (k: number, bi: number, j: number, h: readonly number[], t: number): number => {
      let s = (B[k * hidden + j] as number) + (B[4 * hidden + k * hidden + j] as number);
      for (let i = 0; i < inSize; i++) s += (X[(t * batch + bi) * inSize + i] as number) * (W[(k * hidden + j) * inSize + i] as number);
      for (let i = 0; i < hidden; i++) s += (h[i] as number) * (R[(k * hidden + j) * hidden + i] as number);
      return s;
    };
    for (let bi = 0; bi < batch; bi++) {
      let h = Array.from(H0.subarray(bi * hidden, bi * hidden + hidden));
      let c = Array.from({ length: hidden }, () => 0);
      for (let t = 0; t < seq; t++) {
        const next = h.map((_, j) => {
          const i = sigmoid(gate(0, bi, j, h, t));
          const o = sigmoid(gate(1, bi, j, h, t));
          const f = sigmoid(gate(2, bi, j, h, t));
          const cc = Math.tanh(gate(3, bi, j, h, t));
          const cNew = f * (c[j] as number) + i * cc;
          return [o * Math.tanh(cNew), cNew] as const;
        });
        h = next.map((v) => v[0]);
        c = next.map((v) => v[1]);
        for (let j = 0; j < hidden; j++) expect(out['Y']?.[(t * batch + bi) * hidden + j]).toBeCloseTo(h[j] as number, 5);
      }
      for (let j = 0; j < hidden; j++) {
        expect(out['Y_h']?.[bi * hidden + j]).toBeCloseTo(h[j] as number, 5);
        expect(out['Y_c']?.[bi * hidden + j]).toBeCloseTo(c[j] as number, 5);
      }
    }
  });

  it('builds an ai.onnx.ml TreeEnsembleRegressor with its domain imported and float attributes typed explicitly', async () => {
    const g = createGraphBuilder({ name: 'stump' });
    const x = g.input('x', 'float32', ['batch', 2]);
    const [y] = g.node(
      'TreeEnsembleRegressor',
      [x],
      {
        n_targets: 1,
        nodes_treeids: [0, 0, 0],
        nodes_nodeids: [0, 1, 2],
        nodes_featureids: [1, 0, 0],
        nodes_modes: ['BRANCH_LEQ', 'LEAF', 'LEAF'],
        nodes_values: attr.floats([0.5, 0, 0]),
        nodes_truenodeids: [1, 0, 0],
        nodes_falsenodeids: [2, 0, 0],
        target_treeids: [0, 0],
        target_nodeids: [1, 2],
        target_ids: [0, 0],
        target_weights: attr.floats([10, 20]),
        aggregate_function: 'SUM',
        post_transform: 'NONE',
      },
      { domain: 'ai.onnx.ml', outputs: ['y'] },
    );
    g.output(y as string, 'float32', ['batch', 1]);
    expectExportError(() => g.toModel({ opset: 17 }), /domain 'ai.onnx.ml'/);
    const bytes = g.toModel({ opset: 17, domains: { 'ai.onnx.ml': 3 } });
    const out = await run(bytes, { x: new Tensor('float32', new Float32Array([9, 0.2, -9, 0.9, 0, 0.5]), [3, 2]) });
    expect(Array.from(out['y'] as Float32Array)).toEqual([10, 20, 10]);
  });

  it('nests a subgraph as a graph attribute (If with outer-scope references)', async () => {
    const g = createGraphBuilder({ name: 'branchy' });
    const x = g.input('x', 'float32', ['n']);
    const cond = g.input('cond', 'bool', []);
    const branch = (name: string, factor: number) => {
      const b = createGraphBuilder({ name, outerScope: [x] });
      const k = b.initializer(`${name}_k`, floatTensor([factor]));
      const [o] = b.node('Mul', [x, k], {}, { outputs: [`${name}_out`] });
      b.output(o as string, 'float32', ['n']);
      return b.toGraph();
    };
    const [y] = g.node('If', [cond], { then_branch: attr.graph(branch('then', 2)), else_branch: attr.graph(branch('else', -1)) }, { outputs: ['y'] });
    g.output(y as string, 'float32', ['n']);
    const bytes = g.toModel({ opset: 17 });
    const xs = new Tensor('float32', new Float32Array([1, 2, 3]), [3]);
    expect(Array.from((await run(bytes, { x: xs, cond: new Tensor('bool', new Uint8Array([1]), []) }))['y'] as Float32Array)).toEqual([2, 4, 6]);
    expect(Array.from((await run(bytes, { x: xs, cond: new Tensor('bool', new Uint8Array([0]), []) }))['y'] as Float32Array)).toEqual([-1, -2, -3]);
  });

  it('types attributes strictly: Gemm alpha as FLOAT even when integral', async () => {
    const g = createGraphBuilder();
    const a = g.input('a', 'float32', [1, 2]);
    const b = g.initializer('b', floatTensor([1, 2, 3, 4], [2, 2]));
    const [y] = g.node('Gemm', [a, b], { alpha: attr.float(2), transB: 1 });
    g.output(y as string, 'float32', [1, 2]);
    const out = await run(g.toModel({ opset: 13 }), { a: new Tensor('float32', new Float32Array([1, 1]), [1, 2]) });
    expect(Array.from(Object.values(out)[0] as Float32Array)).toEqual([6, 14]);
  });

  it('names automatic outputs uniquely and reports naming mistakes at build time', () => {
    const g = createGraphBuilder({ name: 'g' });
    const x = g.input('x', 'float32', [1]);
    const [a] = g.node('Relu', [x]);
    const [b] = g.node('Relu', [a as string]);
    const [c, d] = g.node('Split', [b as string], { axis: 0 }, { outputs: 2 });
    expect(new Set([a, b, c, d]).size).toBe(4);
    expectExportError(() => g.node('Relu', ['nope']), /input 'nope' is not defined/);
    expectExportError(() => g.input('x', 'float32', [1]), /already defined/);
    expectExportError(() => g.node('Relu', [x], {}, { outputs: [a as string] }), /already defined/);
    expectExportError(() => g.output('missing', 'float32'), /not defined/);
    expectExportError(() => g.node('Foo', [x], { list: [1, 2.5] }), /ambiguous/);
    expectExportError(() => g.initializer('w', { elemType: 'float32', dims: [2, 2], data: new Float32Array(3) }), /hold 4 elements/);
    expectExportError(() => createGraphBuilder().toModel({ opset: 17 }), /no outputs/);
  });
});
