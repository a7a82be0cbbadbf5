import type { ModelRuntime, ModelSource, RuntimeWarning, InferenceThread } from './model-runtime.js';
import { openOnnxSession } from './onnx-session.js';
import type { OnnxSessionSettings } from './onnx-session.js';
import { spawnWorkerRuntime } from './worker-runtime.js';

export type OnnxRuntimeOptions = OnnxSessionSettings &
  Readonly<{
    /**
     * `'worker'` (default): the session lives on a worker thread, so the caller's event loop
     * keeps serving ticks while a batch is scored. `'main'`: the session runs on the calling
     * thread, which onnxruntime-node blocks for each inference — for backtests and benchmarks
     * that want the lowest overhead and have nothing else to serve.
     */
    thread?: InferenceThread;
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
  const { thread = 'worker', onWarning = emitWarning, ...settings } = options;
  if (thread === 'main') return openOnnxSession(source, settings, 'main', onWarning);
  return spawnWorkerRuntime('onnx', { kind: 'onnx', source, settings }, onWarning);
}
