import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { lowerThreadPriority } from './lower-thread-priority.js';
import { runTrainingSpec } from './run-training-spec.js';
import { isTrainingCancelled } from './training-errors.js';
import type { TrainingHostMessage, TrainingWorkerData, TrainingWorkerMessage } from './training-protocol.js';

/**
 * The training worker: runs one `TrainingSpec` on its own thread (its own tfjs engine, wasm
 * backend) and posts progress, then the result. A `cancel` message is seen between epochs and
 * between search trials; the worker then answers `cancelled` and ends.
 */

const port = ((): MessagePort => {
  if (parentPort === null) throw new Error('training-worker.ts must run in a worker thread');
  return parentPort;
})();
const post = (m: TrainingWorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

let cancelRequested = false;
port.on('message', (m: TrainingHostMessage) => {
  if (m.type === 'cancel') cancelRequested = true;
});

async function main(): Promise<void> {
  const { spec, lowerPriority } = workerData as TrainingWorkerData;
  if (lowerPriority) lowerThreadPriority(); // the live path must not stall: training yields a contested core

  try {
    const result = await runTrainingSpec(spec, { onProgress: (progress) => post({ type: 'progress', progress }), cancelled: () => cancelRequested });
    const buffers = [result.onnx, ...Object.values(result.predictions)].map((a) => a.buffer as ArrayBuffer);
    post({ type: 'result', result }, [...new Set(buffers)]);
  } catch (e) {
    if (isTrainingCancelled(e)) post({ type: 'cancelled' });
    else post({ type: 'failed', error: { name: e instanceof Error ? e.name : 'Error', message: e instanceof Error ? e.message : String(e) } });
  } finally {
    port.close();
  }
}

void main();
