import type { SerializedRuntimeError } from './model-runtime-error.js';
import type { LoadedModelInfo, ModelSource, RuntimeWarning } from './model-runtime.js';
import type { OnnxSessionSettings } from './onnx-session.js';
import type { TfjsArtifacts } from './tfjs-artifacts.js';
import type { TfjsModelSettings } from './tfjs-model.js';

/**
 * Messages between a runtime host (`worker-runtime.ts`) and its inference worker
 * (`runtime-worker.ts`). Plain data only: everything here is structured-cloned, and batch
 * buffers are transferred, not copied.
 */

/** `workerData`: what to load. */
export type WorkerInit =
  | Readonly<{ kind: 'onnx'; source: ModelSource; settings: OnnxSessionSettings }>
  | Readonly<{ kind: 'tfjs'; artifacts: TfjsArtifacts; settings: TfjsModelSettings }>;

export type HostMessage =
  | Readonly<{ type: 'run'; id: number; batch: Float32Array; rows: number; cols: number; steps: number }>
  | Readonly<{ type: 'dispose' }>;

export type WorkerMessage =
  | Readonly<{ type: 'warning'; warning: RuntimeWarning }>
  | Readonly<{ type: 'ready'; info: LoadedModelInfo }>
  | Readonly<{ type: 'failed'; error: SerializedRuntimeError }>
  | Readonly<{ type: 'result'; id: number; outputs: Float32Array[] }>
  | Readonly<{ type: 'error'; id: number; error: SerializedRuntimeError }>
  | Readonly<{ type: 'disposed' }>;
