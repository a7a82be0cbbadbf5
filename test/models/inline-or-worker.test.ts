import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_INLINE_MAX_MACS, inlineOrWorker, macsPerRowBound } from '../../models/runtime/inline-or-worker.js';
import type { ModelRuntime } from '../../models/runtime/model-runtime.js';
import { createOnnxRuntime } from '../../models/runtime/onnx-runtime.js';
import { mulberry32, uniform } from './mulberry32.js';
import { referenceMlpOnnx } from './reference-mlp.js';

const bytes = referenceMlpOnnx();
const COLS = 25;
const PER_ROW = macsPerRowBound(bytes.byteLength);

/** A real runtime whose calls are counted (rows per call), to see which side a call went to. */
const counted = (rt: ModelRuntime, calls: number[]): ModelRuntime => ({
  ...rt,
  run: (batch, rows, cols, steps) => {
    calls.push(rows);
    return rt.run(batch, rows, cols, steps);
  },
});

const open: ModelRuntime[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.dispose()));
});

async function pair(maxRows: number): Promise<{ rt: ModelRuntime; inline: number[]; worker: number[] }> {
  const inline: number[] = [];
  const worker: number[] = [];
  const main = await createOnnxRuntime({ bytes }, { thread: 'main' });
  const wrk = await createOnnxRuntime({ bytes }, { thread: 'worker' });
  const rt = inlineOrWorker(counted(main, inline), counted(wrk, worker), PER_ROW, maxRows * PER_ROW);
  open.push(rt);
  return { rt, inline, worker };
}

describe('inlineOrWorker: small calls on the calling thread, large ones on the worker', () => {
  it("bounds a model's multiply-adds per row by its float32 weights, from its bytes", () => {
    // 25→64→64→3: 25·64 + 64·64 + 64·3 = 5,888 weights (and 131 biases); the bound is at least that, and not wildly more.
    expect(PER_ROW).toBeGreaterThanOrEqual(5_888);
    expect(PER_ROW).toBeLessThan(2 * 6_019);
    expect(DEFAULT_INLINE_MAX_MACS / PER_ROW).toBeGreaterThan(100); // a live release of a few assets' rows stays inline
  });

  it('routes each call by rows × steps against the budget, and the outputs do not depend on the side', async () => {
    const { rt, inline, worker } = await pair(8);
    expect(rt.execution.thread).toBe('auto');
    const x = uniform(mulberry32(3), 64 * COLS, -2, 2);
    const small = (await rt.run(x, 8, COLS))[0] as Float32Array;
    const large = (await rt.run(x, 64, COLS))[0] as Float32Array;
    expect(inline).toEqual([8]);
    expect(worker).toEqual([64]);
    // the first 8 rows of the worker's call equal the inline call's
    expect(large.subarray(0, small.length)).toEqual(small);
  });

  it('settles calls in call order, even when a later inline call finishes first', async () => {
    const { rt, inline, worker } = await pair(1);
    const big = uniform(mulberry32(4), 20_000 * COLS, -2, 2);
    const order: string[] = [];
    const a = rt.run(big, 20_000, COLS).then(() => order.push('worker call'));
    const b = rt.run(big, 1, COLS).then(() => order.push('inline call'));
    await Promise.all([a, b]);
    expect(worker).toEqual([20_000]);
    expect(inline).toEqual([1]);
    expect(order).toEqual(['worker call', 'inline call']);
  });

  it('passes a rejection to its own call only; later calls still settle', async () => {
    const { rt } = await pair(4);
    const x = uniform(mulberry32(5), 4 * COLS, -2, 2);
    const bad = rt.run(x, 2, COLS + 1); // wrong width
    const good = rt.run(x, 2, COLS);
    await expect(bad).rejects.toMatchObject({ code: 'BAD_INPUT' });
    expect(((await good)[0] as Float32Array).length).toBe(6);
  });

  it('refuses a budget or row cost that is not a number it can use', async () => {
    const main = await createOnnxRuntime({ bytes }, { thread: 'main' });
    open.push(main);
    expect(() => inlineOrWorker(main, main, 0)).toThrow(RangeError);
    expect(() => inlineOrWorker(main, main, PER_ROW, Number.NaN)).toThrow(RangeError);
  });
});
