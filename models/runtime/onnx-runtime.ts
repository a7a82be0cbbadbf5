import { stat } from 'node:fs/promises';
import { checkInlineBudget, inlineOrWorker, macsPerRowBound } from './inline-or-worker.js';
import { ModelRuntimeError, ModelRuntimeErrorCode } from './model-runtime-error.js';
import type { ModelRuntime, ModelSource, RuntimeWarning, InferencePlacement } from './model-runtime.js';
import { openOnnxSession } from './onnx-session.js';
import type { OnnxSessionSettings } from './onnx-session.js';
import { spawnWorkerRuntime } from './worker-runtime.js';

export type OnnxRuntimeOptions = OnnxSessionSettings &
  Readonly<{
    /**
     * `'worker'` (default): the session lives on a worker thread, so the caller's event loop
     * keeps serving ticks while a batch is scored. `'main'`: the session runs on the calling
     * thread, which onnxruntime-node blocks for each inference — for backtests and benchmarks
     * that want the lowest overhead and have nothing else to serve. `'auto'`: both — each call
     * whose multiply-adds (rows × steps × the model's weights, bounded from its bytes) are at most
     * `inlineMaxMacs` runs on the calling thread, larger ones on the worker (`inline-or-worker.ts`);
     * with the CUDA provider, every call on the worker.
     */
    thread?: InferencePlacement;
    /** Under `thread: 'auto'`: the most multiply-adds a call may take on the calling thread. Default 1,000,000. */
    inlineMaxMacs?: number;
    /** Told about degradations such as a CUDA request served on CPU. Default: `process.emitWarning`. */
    onWarning?: (w: RuntimeWarning) => void;
  }>;

const emitWarning = (w: RuntimeWarning): void => process.emitWarning(w.message, { code: w.code });

/**
 * Loads an ONNX model into onnxruntime-node.
 *
 * @example
 * const rt = await createOnnxRuntime({ path: 'artifacts/direction-mlp@7.onnx' }, { provider: 'cuda' });
 * const [probs] = await rt.run(features, assets.length, 25); // probs: assets.length × 3
 */
export async function createOnnxRuntime(source: ModelSource, options: OnnxRuntimeOptions = {}): Promise<ModelRuntime> {
  const { thread = 'worker', onWarning = emitWarning, inlineMaxMacs, ...settings } = options;
  if (thread === 'main') return openOnnxSession(source, settings, 'main', onWarning);
  // On CUDA every call goes to the worker: a GPU call's transfers would block the caller's
  // thread, and two sessions could land on different devices (one falling back to CPU).
  if (thread === 'worker' || settings.provider === 'cuda') return spawnWorkerRuntime('onnx', { kind: 'onnx', source, settings }, onWarning);
  if (inlineMaxMacs !== undefined) checkInlineBudget(inlineMaxMacs);
  // The worker's warnings are the ones reported; the inline session meets the same ones silently.
  const worker = await spawnWorkerRuntime('onnx', { kind: 'onnx', source, settings }, onWarning);
  try {
    const bytes = 'bytes' in source ? source.bytes.byteLength : (await stat(source.path)).size;
    const inline = await openOnnxSession(source, settings, 'main', () => undefined);
    return inlineOrWorker(inline, worker, macsPerRowBound(bytes), inlineMaxMacs);
  } catch (e) {
    await worker.dispose();
    if (e instanceof ModelRuntimeError) throw e;
    throw new ModelRuntimeError(ModelRuntimeErrorCode.loadFailed, `cannot load ONNX model (${'path' in source ? source.path : 'bytes'}): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
