import { afterAll, describe, expect, it } from 'vitest';
import { exportDenseMlp } from '../../models/onnx/dense-mlp.js';
import type { ModelRuntime } from '../../models/runtime/model-runtime.js';
import { createOnnxRuntime } from '../../models/runtime/onnx-runtime.js';
import { mulberry32, uniform } from './mulberry32.js';
import { referenceLayers } from './reference-mlp.js';

// A wide model and a large batch: one call is a few hundred million multiply-adds.
const SIZES = [64, 512, 512, 3];
const ROWS = 2_000;
const onnx = exportDenseMlp({ layers: referenceLayers(5, SIZES), inputName: 'features', outputName: 'probs' });
const batch = uniform(mulberry32(9), ROWS * 64, -1, 1);

/** How many times the caller's event loop turned (setImmediate callbacks ran) while one call scored the batch. */
async function turnsDuring(rt: ModelRuntime): Promise<{ turns: number; outputs: Float32Array }> {
  let turns = 0;
  let on = true;
  const spin = (): void => {
    if (!on) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  const [outputs] = await rt.run(batch, ROWS, 64);
  on = false;
  return { turns, outputs: outputs as Float32Array };
}

const runtimes: ModelRuntime[] = [];
afterAll(async () => {
  for (const r of runtimes) await r.dispose();
});

describe('inference and the caller\'s event loop (not a timing test: it counts loop turns)', () => {
  it('on a worker, the loop keeps turning while a large batch scores; on the main thread it is held for the call', async () => {
    const worker = await createOnnxRuntime({ bytes: onnx }, { thread: 'worker' });
    const main = await createOnnxRuntime({ bytes: onnx }, { thread: 'main' });
    runtimes.push(worker, main);
    expect([worker.execution.thread, main.execution.thread]).toEqual(['worker', 'main']);
    await turnsDuring(worker); // warm both sessions: first calls allocate
    await turnsDuring(main);
    const w = await turnsDuring(worker);
    const m = await turnsDuring(main);
    expect(Array.from(w.outputs)).toEqual(Array.from(m.outputs)); // same model, same answers
    // The worker's call leaves the loop free: it turns many times while the batch scores. The
    // main-thread session (what backtests use) blocks it for the call: a turn or two at most,
    // before and after.
    expect(m.turns).toBeLessThanOrEqual(3);
    expect(w.turns).toBeGreaterThan(20 * Math.max(1, m.turns));
  });
});
