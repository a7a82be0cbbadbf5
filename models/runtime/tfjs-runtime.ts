import type { LayersModel } from '@tensorflow/tfjs';
import type { InferenceThread, ModelRuntime, ModelSource, RuntimeWarning } from './model-runtime.js';
import { artifactsFromModel, readArtifacts, unpackArtifacts } from './tfjs-artifacts.js';
import type { TfjsArtifacts } from './tfjs-artifacts.js';
import { openTfjsModel } from './tfjs-model.js';
import type { TfjsModelSettings } from './tfjs-model.js';
import { spawnWorkerRuntime } from './worker-runtime.js';

/**
 * A tfjs LayersModel from: a `model.json` path (tfjs's directory layout) or a packed `.tfjs`
 * file path; packed bytes; artifacts in memory; or a live model (serialised and loaded into the
 * runtime's own engine, so later training of the original does not change what is served).
 */
export type TfjsModelSource = ModelSource | Readonly<{ artifacts: TfjsArtifacts }> | Readonly<{ model: LayersModel }>;

export type TfjsRuntimeOptions = TfjsModelSettings &
  Readonly<{
    /**
     * `'worker'` (default): tfjs runs on a worker thread. Its wasm and native kernels compute
     * synchronously on the thread that calls `predict`, so on the main thread every batch would
     * stall the event loop for its full duration. `'main'` is for backtests and tests.
     */
    thread?: InferenceThread;
    onWarning?: (w: RuntimeWarning) => void;
  }>;

const emitWarning = (w: RuntimeWarning): void => process.emitWarning(w.message, { code: w.code });

async function toArtifacts(source: TfjsModelSource): Promise<TfjsArtifacts> {
  if ('artifacts' in source) return source.artifacts;
  if ('model' in source) return artifactsFromModel(source.model);
  if ('bytes' in source) return unpackArtifacts(source.bytes);
  return readArtifacts(source.path);
}

/**
 * Loads a tfjs LayersModel on the best available backend: tfjs-node-gpu or tfjs-node when the
 * user installed them, else WebAssembly (see `tfjs-backend.ts`).
 *
 * @example
 * const rt = await createTfjsRuntime({ path: 'artifacts/direction-mlp/model.json' });
 * const [probs] = await rt.run(features, rows, 25);
 */
export async function createTfjsRuntime(source: TfjsModelSource, options: TfjsRuntimeOptions = {}): Promise<ModelRuntime> {
  const { thread = 'worker', onWarning = emitWarning, ...settings } = options;
  const artifacts = await toArtifacts(source);
  if (thread === 'main') return openTfjsModel(artifacts, settings, 'main', onWarning);
  return spawnWorkerRuntime('tfjs', { kind: 'tfjs', artifacts, settings }, onWarning);
}
