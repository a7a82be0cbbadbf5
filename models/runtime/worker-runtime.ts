import { batchView, runSteps } from './batch-shape.js';
import { startWorker } from './start-worker.js';
import { ModelRuntimeError, ModelRuntimeErrorCode, deserializeRuntimeError } from './model-runtime-error.js';
import type { LoadedModelInfo, ModelRuntime, ModelRuntimeKind, RuntimeWarning } from './model-runtime.js';
import type { HostMessage, WorkerInit, WorkerMessage } from './worker-protocol.js';

type Pending = { resolve: (outputs: Float32Array[]) => void; reject: (e: ModelRuntimeError) => void };

/**
 * A `ModelRuntime` whose engine lives on its own worker thread, so inference never blocks the
 * caller's event loop. Each `run` copies its rows into a fresh buffer that is transferred (not
 * cloned) to the worker, and outputs are transferred back. Runs are scored in call order. The
 * worker holds the process open only while runs are in flight.
 */
export async function spawnWorkerRuntime(kind: ModelRuntimeKind, init: WorkerInit, onWarning: (w: RuntimeWarning) => void): Promise<ModelRuntime> {
  const worker = startWorker(import.meta.url, 'runtime-worker', init);
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let dead: ModelRuntimeError | undefined;
  let onReady: { resolve: (info: LoadedModelInfo) => void; reject: (e: ModelRuntimeError) => void } | undefined;
  let onDisposed: (() => void) | undefined;

  const fail = (e: ModelRuntimeError): void => {
    dead ??= e;
    onReady?.reject(e);
    onReady = undefined;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
    onDisposed?.();
    worker.unref();
  };
  const settle = (id: number): Pending | undefined => {
    const p = pending.get(id);
    pending.delete(id);
    if (pending.size === 0) worker.unref();
    return p;
  };

  worker.on('message', (m: WorkerMessage) => {
    switch (m.type) {
      case 'warning':
        onWarning(m.warning);
        return;
      case 'ready':
        onReady?.resolve(m.info);
        onReady = undefined;
        worker.unref();
        return;
      case 'failed':
        fail(deserializeRuntimeError(m.error));
        return;
      case 'result':
        settle(m.id)?.resolve(m.outputs);
        return;
      case 'error':
        settle(m.id)?.reject(deserializeRuntimeError(m.error));
        return;
      case 'disposed':
        onDisposed?.();
        return;
    }
  });
  worker.on('error', (e) => fail(new ModelRuntimeError(ModelRuntimeErrorCode.workerExited, `inference worker crashed: ${e.message}`, { cause: e })));
  worker.on('exit', (code) => fail(new ModelRuntimeError(ModelRuntimeErrorCode.workerExited, `inference worker exited (code ${code})`)));

  const info = await new Promise<LoadedModelInfo>((resolve, reject) => {
    onReady = { resolve, reject };
  }).catch(async (e: unknown) => {
    await worker.terminate();
    throw e;
  });

  const post = (m: HostMessage, transfer: ArrayBuffer[] = []): void => worker.postMessage(m, transfer);
  let disposed = false;

  return {
    kind,
    ...info,
    run(batch, rows, cols, steps) {
      if (disposed) return Promise.reject(new ModelRuntimeError(ModelRuntimeErrorCode.disposed, 'the model runtime was disposed'));
      if (dead !== undefined) return Promise.reject(dead);
      let copy: Float32Array;
      let t: number;
      try {
        t = runSteps(steps, info.inputSteps);
        copy = batchView(batch, rows * t, cols, info.inputWidth).slice();
      } catch (e) {
        return Promise.reject(e as Error);
      }
      if (rows === 0) return Promise.resolve(info.outputNames.map(() => new Float32Array(0)));
      const id = nextId++;
      return new Promise<Float32Array[]>((resolve, reject) => {
        if (pending.size === 0) worker.ref();
        pending.set(id, { resolve, reject });
        post({ type: 'run', id, batch: copy, rows, cols, steps: t }, [copy.buffer as ArrayBuffer]);
      });
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      if (dead === undefined) {
        // The worker finishes queued runs, releases its session, then says so.
        worker.ref();
        await new Promise<void>((resolve) => {
          onDisposed = resolve;
          post({ type: 'dispose' });
        });
      }
      await worker.terminate();
    },
  };
}
