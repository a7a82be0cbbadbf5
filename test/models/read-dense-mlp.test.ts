import { describe, expect, it } from 'vitest';
import { attr } from '../../models/onnx/attribute.js';
import { exportDenseMlp } from '../../models/onnx/dense-mlp.js';
import type { DenseLayer } from '../../models/onnx/dense-mlp.js';
import { createGraphBuilder } from '../../models/onnx/graph-builder.js';
import { readOnnxGraph } from '../../models/onnx/onnx-reader.js';
import { readDenseMlp } from '../../models/onnx/read-dense-mlp.js';
import { floatTensor } from '../../models/onnx/tensor-value.js';
import { mulberry32 } from './mulberry32.js';

const rng = mulberry32(7);
const values = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng() * 2 - 1);
const layer = (inDim: number, outDim: number, activation: DenseLayer['activation']): DenseLayer => ({ weights: values(inDim * outDim), bias: values(outDim), inDim, outDim, activation });
const LAYERS: readonly DenseLayer[] = [layer(5, 8, 'relu'), layer(8, 4, 'tanh'), layer(4, 3, 'softmax')];

describe('readDenseMlp: the layers of an exported MLP, read back from its ONNX bytes', () => {
  for (const linear of ['gemm', 'matmul-add'] as const) {
    it(`recovers every weight, bias and activation bit for bit (${linear})`, () => {
      const r = readDenseMlp(exportDenseMlp({ layers: LAYERS, inputName: 'x', outputName: 'probs', linear }));
      if (!r.ok) throw new Error(r.reason);
      expect(r.normalization).toBeUndefined();
      expect(r.layers.map((l) => [l.inDim, l.outDim, l.activation])).toEqual(LAYERS.map((l) => [l.inDim, l.outDim, l.activation]));
      r.layers.forEach((l, i) => {
        expect(Array.from(l.weights)).toEqual(Array.from((LAYERS[i] as DenseLayer).weights));
        expect(Array.from(l.bias)).toEqual(Array.from((LAYERS[i] as DenseLayer).bias));
      });
    });
  }

  it('reads a standardisation baked into the graph, and a final linear layer', () => {
    const mean = [1, 2, 3, 4, 5];
    const std = [0.5, 1, 2, 4, 8];
    const layers = [layer(5, 6, 'relu'), layer(6, 2, 'linear')];
    const r = readDenseMlp(exportDenseMlp({ layers, inputName: 'x', outputName: 'y', normalization: { mean, std } }));
    if (!r.ok) throw new Error(r.reason);
    expect(Array.from(r.normalization?.mean ?? [])).toEqual(mean);
    expect(Array.from(r.normalization?.std ?? [])).toEqual(std);
    expect(r.layers.map((l) => l.activation)).toEqual(['relu', 'linear']);
  });

  it('refuses what it cannot read as a dense MLP, with the reason', () => {
    expect(readDenseMlp(Uint8Array.from([0xff, 0xff, 0xff]))).toMatchObject({ ok: false, reason: expect.stringMatching(/not an ONNX model/) });

    // A Gemm that transposes its weights is not the layout exportDenseMlp writes.
    const g = createGraphBuilder({ name: 'transposed' });
    const x = g.input('x', 'float32', ['batch', 2]);
    const w = g.initializer('w', floatTensor([1, 2, 3, 4, 5, 6], [3, 2]));
    const b = g.initializer('b', floatTensor([0, 0, 0]));
    g.node('Gemm', [x, w, b], { alpha: attr.float(1), beta: attr.float(1), transA: 0, transB: 1 }, { outputs: ['y'] });
    g.output('y', 'float32', ['batch', 3]);
    expect(readDenseMlp(g.toModel({ opset: 17 }))).toMatchObject({ ok: false, reason: expect.stringMatching(/transposes/) });

    // Another operator in the chain (a GRU, a Conv, …) is not guessed through.
    const h = createGraphBuilder({ name: 'other' });
    const hx = h.input('x', 'float32', ['batch', 2]);
    h.node('Abs', [hx], {}, { outputs: ['y'] });
    h.output('y', 'float32', ['batch', 2]);
    expect(readDenseMlp(h.toModel({ opset: 17 }))).toMatchObject({ ok: false, reason: expect.stringMatching(/Abs/) });
  });

  it('reads the graph: nodes in order, initializers with their shapes, inputs and outputs', () => {
    const g = readOnnxGraph(exportDenseMlp({ layers: LAYERS, inputName: 'features', outputName: 'probs' }));
    expect(g.inputs).toEqual(['features']);
    expect(g.outputs).toEqual(['probs']);
    expect(g.nodes.map((n) => n.opType)).toEqual(['Gemm', 'Relu', 'Gemm', 'Tanh', 'Gemm', 'Softmax']);
    expect(g.initializers.get('dense1_weight')?.dims).toEqual([8, 4]);
    expect(g.nodes[0]?.ints.get('transB')).toBe(0);
    expect(g.nodes[0]?.floats.get('alpha')).toBe(1);
  });
});
