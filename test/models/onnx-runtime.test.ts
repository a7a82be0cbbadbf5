import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGraphBuilder } from '../../models/onnx/graph-builder.js';
import type { RuntimeWarning } from '../../models/runtime/model-runtime.js';
import { macsPerRowBound } from '../../models/runtime/inline-or-worker.js';
import { createOnnxRuntime } from '../../models/runtime/onnx-runtime.js';
import { expectRuntimeError, modelRuntimeContract } from './model-runtime.contract.js';
import { mulberry32, uniform } from './mulberry32.js';
import { referenceMlpOnnx } from './reference-mlp.js';

const bytes = referenceMlpOnnx();
const COLS = 25;
const WIDTH = 3;

for (const thread of ['worker', 'main', 'auto'] as const) {
  modelRuntimeContract(`onnxruntime-node, ${thread} thread`, {
    open: () => createOnnxRuntime({ bytes }, { thread }),
    cols: COLS,
    outputWidths: [WIDTH],
    batchTolerance: 0,
  });
}
// `auto` with a budget of 4 rows a call on the calling thread: the contract's batches go to both sides.
modelRuntimeContract('onnxruntime-node, auto placement split between the threads', {
  open: () => createOnnxRuntime({ bytes }, { thread: 'auto', inlineMaxMacs: 4 * macsPerRowBound(bytes.byteLength) }),
  cols: COLS,
  outputWidths: [WIDTH],
  batchTolerance: 0,
});

describe('ONNX runtime adapter: loading, providers, lifecycle', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sx-onnx-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each(['worker', 'main', 'auto'] as const)('describes the model and where it runs (%s thread)', async (thread) => {
    const rt = await createOnnxRuntime({ bytes }, { thread });
    expect(rt).toMatchObject({ kind: 'onnx', inputNames: ['features'], outputNames: ['probs'], inputWidth: COLS, outputWidths: [WIDTH], warnings: [] });
    expect(rt.execution).toMatchObject({ engine: 'onnxruntime-node', version: expect.any(String), device: 'cpu', thread });
    await rt.dispose();
  });

  it('gives identical outputs on the worker and the main thread, from bytes and from a path', async () => {
    const path = join(dir, 'mlp.onnx');
    await writeFile(path, bytes);
    const x = uniform(mulberry32(6), 100 * COLS, -2, 2);
    const outs: Float32Array[] = [];
    for (const [source, thread] of [
      [{ bytes }, 'main'],
      [{ path }, 'worker'],
      [{ path }, 'main'],
      [{ path }, 'auto'],
      [{ bytes }, 'auto'],
    ] as const) {
      const rt = await createOnnxRuntime(source, { thread });
      outs.push((await rt.run(x, 100, COLS))[0] as Float32Array);
      await rt.dispose();
    }
    expect(outs[1]).toEqual(outs[0]);
    expect(outs[2]).toEqual(outs[0]);
    expect(outs[3]).toEqual(outs[0]);
    expect(outs[4]).toEqual(outs[0]);
  });

  it.each(['worker', 'main', 'auto'] as const)('falls back to CPU with a CUDA_UNAVAILABLE warning when CUDA cannot load (%s thread)', async (thread) => {
    const seen: RuntimeWarning[] = [];
    const rt = await createOnnxRuntime({ bytes }, { provider: 'cuda', thread, onWarning: (w) => seen.push(w) });
    try {
      // auto keeps every CUDA call on the worker
      expect(rt.execution.thread).toBe(thread === 'auto' ? 'worker' : thread);
      if (rt.execution.device.startsWith('cuda')) {
        // A machine with onnxruntime-node's CUDA binaries, CUDA 12 and a GPU: nothing to fall back from.
        expect(seen).toEqual([]);
      } else {
        expect(rt.execution.device).toBe('cpu');
        expect(seen.map((w) => w.code)).toEqual(['CUDA_UNAVAILABLE']);
        expect(rt.warnings).toEqual(seen);
        expect(seen[0]?.message).toMatch(/running on CPU/);
      }
      const [probs] = await rt.run(new Float32Array(COLS).fill(0.5), 1, COLS);
      expect(probs?.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    } finally {
      await rt.dispose();
    }
  });

  it.each(['worker', 'main', 'auto'] as const)('reports unreadable models as LOAD_FAILED and unsupported ones as UNSUPPORTED_MODEL (%s)', async (thread) => {
    await expectRuntimeError(createOnnxRuntime({ bytes: new Uint8Array([1, 2, 3, 4]) }, { thread }), 'LOAD_FAILED');
    await expectRuntimeError(createOnnxRuntime({ path: join(dir, 'missing.onnx') }, { thread }), 'LOAD_FAILED');
    const g = createGraphBuilder();
    const a = g.input('a', 'float32', ['n', 2]);
    const b = g.input('b', 'float32', ['n', 2]);
    const [y] = g.node('Add', [a, b]);
    g.output(y as string, 'float32', ['n', 2]);
    await expectRuntimeError(createOnnxRuntime({ bytes: g.toModel({ opset: 17 }) }, { thread }), 'UNSUPPORTED_MODEL');
  });

});
