/**
 * Inference figures for the report and for `bench/` (not a test; run it alone on a quiet
 * machine): `npm run bench:inference -- [--quick]`.
 *
 * For the 25 → 64 → 64 → 3 MLP: rows/s at batch 1, 16 and 256 (and 4096) for onnxruntime-node on
 * the main thread and on a worker, sequential and with 4 runs in flight, and tfjs (wasm) likewise;
 * then event-loop lag while 1,000 batched inferences of 256 rows run, on each thread.
 * `--onnx-only` skips tfjs (which is then never loaded).
 */
import { availableParallelism, cpus } from 'node:os';
import type { LayersModel } from '@tensorflow/tfjs';
import type { ModelRuntime } from '../models/runtime/model-runtime.js';
import { createOnnxRuntime } from '../models/runtime/onnx-runtime.js';
import { createTfjsRuntime } from '../models/runtime/tfjs-runtime.js';
import { measureLag } from '../test/models/event-loop-lag.js';
import { DEFAULT_INLINE_MAX_MACS, macsPerRowBound } from '../models/runtime/inline-or-worker.js';
import { mulberry32, uniform } from '../test/models/mulberry32.js';
import { REFERENCE_SIZES, referenceLayers, referenceMlpOnnx } from '../test/models/reference-mlp.js';

const quick = process.argv.includes('--quick');
const onnxOnly = process.argv.includes('--onnx-only');
const COLS = REFERENCE_SIZES[0];
const rng = mulberry32(42);

async function tfjsReferenceModel(): Promise<LayersModel> {
  const tf = await import('@tensorflow/tfjs');
  const { selectTfjsBackend } = await import('../models/runtime/tfjs-backend.js');
  await selectTfjsBackend(tf, 'wasm', () => undefined);
  const layers = referenceLayers();
  const model = tf.sequential({
    layers: layers.map((l, i) => tf.layers.dense({ units: l.outDim, activation: l.activation, ...(i === 0 ? { inputShape: [COLS] } : {}) })),
  });
  model.setWeights(layers.flatMap((l) => [tf.tensor2d(l.weights, [l.inDim, l.outDim]), tf.tensor1d(l.bias)]));
  return model;
}

async function throughput(rt: ModelRuntime, rows: number, inFlight: number): Promise<number> {
  const x = uniform(rng, rows * COLS);
  const budgetRows = quick ? 200_000 : 4_000_000;
  const calls = Math.max(200, Math.min(40_000, Math.ceil(budgetRows / rows)));
  for (let i = 0; i < Math.min(100, calls); i++) await rt.run(x, rows, COLS);
  const t0 = performance.now();
  let issued = 0;
  const lane = async (): Promise<void> => {
    while (issued < calls) {
      issued++;
      await rt.run(x, rows, COLS);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return (rows * calls) / ((performance.now() - t0) / 1000);
}

const fmt = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0));

async function main(): Promise<void> {
  console.log(`# ${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}, Node ${process.version}`);
  const onnx = referenceMlpOnnx();
  const runtimes: [string, () => Promise<ModelRuntime>][] = [
    ['onnx main', () => createOnnxRuntime({ bytes: onnx }, { thread: 'main' })],
    ['onnx worker', () => createOnnxRuntime({ bytes: onnx }, { thread: 'worker' })],
    ['onnx main, 4 intra-op threads', () => createOnnxRuntime({ bytes: onnx }, { thread: 'main', intraOpNumThreads: 4 })],
    ['onnx auto', () => createOnnxRuntime({ bytes: onnx }, { thread: 'auto' })],
  ];
  /** The largest call `auto` still runs on the calling thread: its longest stall of the event loop. */
  const inlineRows = Math.floor(DEFAULT_INLINE_MAX_MACS / macsPerRowBound(onnx.byteLength));
  if (!onnxOnly) {
    const tfjsModel = await tfjsReferenceModel();
    runtimes.push(
      ['tfjs main', () => createTfjsRuntime({ model: tfjsModel }, { thread: 'main' })],
      ['tfjs worker', () => createTfjsRuntime({ model: tfjsModel }, { thread: 'worker' })],
    );
  }
  console.log('\n| runtime | device | in flight | batch 1 | batch 16 | batch 256 | batch 4096 |\n| --- | --- | --- | --- | --- | --- | --- |');
  for (const [name, open] of runtimes) {
    const rt = await open();
    for (const inFlight of name.endsWith('worker') ? [1, 4] : [1]) {
      const cells: string[] = [];
      for (const rows of [1, 16, 256, 4096]) cells.push(`${fmt(await throughput(rt, rows, inFlight))} rows/s`);
      console.log(`| ${name} | ${rt.execution.device} | ${inFlight} | ${cells.join(' | ')} |`);
    }
    await rt.dispose();
  }

  console.log('\n| runtime | 1,000 runs × rows | elapsed | loop lag p99 | loop lag max | mean |\n| --- | --- | --- | --- | --- | --- |');
  const lagRuns: [string, () => Promise<ModelRuntime>, number][] = runtimes.map(([name, open]) => [name, open, 256]);
  lagRuns.push(['onnx auto, largest inline call', () => createOnnxRuntime({ bytes: onnx }, { thread: 'auto' }), inlineRows]);
  for (const [name, open, rows] of lagRuns) {
    const rt = await open();
    const x = uniform(rng, rows * COLS);
    for (let i = 0; i < 50; i++) await rt.run(x, rows, COLS);
    const lag = await measureLag(async () => {
      for (let i = 0; i < 1000; i++) await rt.run(x, rows, COLS);
    });
    console.log(`| ${name} | ${fmt((rows * 1000) / (lag.elapsedMs / 1000))} rows/s (${rows} a run) | ${lag.elapsedMs.toFixed(0)} ms | ${lag.p99LagMs.toFixed(2)} ms | ${lag.maxLagMs.toFixed(2)} ms | ${lag.meanLagMs.toFixed(3)} ms |`);
    await rt.dispose();
  }
}

await main();
