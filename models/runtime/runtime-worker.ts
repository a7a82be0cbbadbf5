import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { ModelRuntimeErrorCode, serializeRuntimeError } from './model-runtime-error.js';
import type { ModelRuntime, RuntimeWarning } from './model-runtime.js';
import type { HostMessage, WorkerInit, WorkerMessage } from './worker-protocol.js';

/**
 * The inference worker: loads one model on its own thread and scores the batches posted to it,
 * one at a time in arrival order. Engines are imported by kind, so an ONNX worker never loads
 * tfjs and vice versa.
 */

const port = ((): MessagePort => {
  if (parentPort === null) throw new Error('runtime-worker.ts must run in a worker thread');
  return parentPort;
})();
const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
const onWarning = (warning: RuntimeWarning): void => post({ type: 'warning', warning });

async function load(init: WorkerInit): Promise<ModelRuntime> {
  if (init.kind === 'onnx') {
    const { openOnnxSession } = await import('./onnx-session.js');
    return openOnnxSession(init.source, init.settings, 'worker', onWarning);
  }
  const { openTfjsModel } = await import('./tfjs-model.js');
  return openTfjsModel(init.artifacts, init.settings, 'worker', onWarning);
}

/** Output buffers go back by transfer; a view into a larger or shared buffer is copied first. */
const transferable = (a: Float32Array): Float32Array =>
  a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer ? a : a.slice();

async function main(): Promise<void> {
  let runtime: ModelRuntime;
  try {
    runtime = await load(workerData as WorkerInit);
  } catch (e) {
    post({ type: 'failed', error: serializeRuntimeError(e, ModelRuntimeErrorCode.loadFailed) });
    port.close();
    return;
  }
  const { inputNames, outputNames, inputWidth, inputSteps, outputWidths, warnings, execution } = runtime;
  post({ type: 'ready', info: { inputNames, outputNames, inputWidth, ...(inputSteps !== undefined ? { inputSteps } : {}), outputWidths, warnings, execution } });

  // Runs are chained: the engine scores one batch at a time, and replies keep request order.
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (m: HostMessage) => {
    if (m.type === 'run') {
      queue = queue.then(async () => {
        try {
          const outputs = (await runtime.run(m.batch, m.rows, m.cols, m.steps)).map(transferable);
          try {
            post({ type: 'result', id: m.id, outputs }, outputs.map((o) => o.buffer as ArrayBuffer));
          } catch {
            // An engine-owned (external) buffer cannot be transferred; cloning it always works.
            post({ type: 'result', id: m.id, outputs });
          }
        } catch (e) {
          post({ type: 'error', id: m.id, error: serializeRuntimeError(e, ModelRuntimeErrorCode.runFailed) });
        }
      });
      return;
    }
    queue = queue.then(async () => {
      await runtime.dispose();
      post({ type: 'disposed' });
      port.close();
    });
  });
}

void main();
