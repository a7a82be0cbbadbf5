import { Worker } from 'node:worker_threads';
import { TrainingCancelledError, TrainingJobError } from './training-errors.js';
import type { TrainingHostMessage, TrainingWorkerData, TrainingWorkerMessage } from './training-protocol.js';
import type { TrainingProgress, TrainingResult, TrainingSpec } from './training-spec.js';

export type TrainingJob = Readonly<{
  /** Settles with the result, or rejects with `TrainingCancelledError` / `TrainingJobError`. */
  result: Promise<TrainingResult>;
  /** Asks the worker to stop at the next epoch or trial boundary; `result` then rejects as cancelled. */
  cancel(): void;
  /** Ends the worker at once (mid-epoch); `result` rejects as cancelled. */
  terminate(): Promise<void>;
}>;

/**
 * Same boot as models/runtime/worker-runtime.ts: under tsx (sources are `.ts`), Node 20 does not
 * carry the main thread's loader hooks into a worker, so a tiny ES module registers tsx's hooks
 * in the worker before importing the real entry; a compiled `.js` build starts it directly.
 */
function startWorker(data: TrainingWorkerData): Worker {
  const isTs = import.meta.url.endsWith('.ts');
  const entry = new URL(`./training-worker.${isTs ? 'ts' : 'js'}`, import.meta.url);
  if (!isTs) return new Worker(entry, { workerData: data });
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const boot = `import { register } from ${JSON.stringify(tsxApi)};\nregister();\nawait import(${JSON.stringify(entry.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { workerData: data });
}

/**
 * Starts a training job on a worker thread, so a long fit or search never blocks the caller's
 * event loop (the engine keeps deciding while a model retrains). The spec is copied into the
 * worker; progress (epochs, trials, phases) arrives through `onProgress` on this thread.
 *
 * @example
 * const job = startTrainingJob(spec, (p) => p.type === 'epoch' && log(p));
 * const { onnx, predictions } = await job.result;
 */
export function startTrainingJob(spec: TrainingSpec, onProgress: (p: TrainingProgress) => void = () => undefined): TrainingJob {
  const worker = startWorker({ spec });
  let settled = false;
  let cancelling = false;
  const result = new Promise<TrainingResult>((resolve, reject) => {
    const settle = (f: () => void): void => {
      if (settled) return;
      settled = true;
      f();
    };
    worker.on('message', (m: TrainingWorkerMessage) => {
      switch (m.type) {
        case 'progress':
          if (!settled) onProgress(m.progress);
          return;
        case 'result':
          settle(() => resolve(m.result));
          return;
        case 'cancelled':
          settle(() => reject(new TrainingCancelledError('training cancelled')));
          return;
        case 'failed':
          settle(() => reject(new TrainingJobError(`training failed: ${m.error.name}: ${m.error.message}`, false)));
          return;
      }
    });
    worker.on('error', (e) => settle(() => reject(new TrainingJobError(`training worker crashed: ${e.message}`, true, { cause: e }))));
    worker.on('exit', (code) =>
      settle(() => reject(cancelling ? new TrainingCancelledError('training cancelled') : new TrainingJobError(`training worker exited (code ${code}) without a result`, true))),
    );
  });
  return {
    result,
    cancel() {
      cancelling = true;
      if (!settled) worker.postMessage({ type: 'cancel' } satisfies TrainingHostMessage);
    },
    async terminate() {
      cancelling = true;
      await worker.terminate();
    },
  };
}
