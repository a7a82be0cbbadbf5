/**
 * The `ModelRuntime` port: a loaded model that scores a batch of feature rows. Strategy actors
 * depend on this type only; `onnx-runtime.ts` and `tfjs-runtime.ts` are its adapters.
 *
 * One `run` call scores many rows (one per asset, or one per occlusion probe), because per-call
 * overhead — a thread hop, tensor wrapping, kernel launches — dominates the arithmetic of the
 * small models a trading engine serves; batching is what makes a million predictions a second
 * reachable.
 */

export const ModelRuntimeKind = { onnx: 'onnx', tfjs: 'tfjs' } as const;
export type ModelRuntimeKind = (typeof ModelRuntimeKind)[keyof typeof ModelRuntimeKind];

/** Where a model comes from: its file, or its bytes (from the registry's artifact store). */
export type ModelSource = Readonly<{ bytes: Uint8Array }> | Readonly<{ path: string }>;

/** Where inference runs. `worker` keeps the actor's event loop free; `main` saves a thread hop (backtests). */
export const InferenceThread = { worker: 'worker', main: 'main' } as const;
export type InferenceThread = (typeof InferenceThread)[keyof typeof InferenceThread];

/**
 * Where an ONNX model's calls run: on one thread, or `auto` — each call on the caller's thread
 * when it is small, on the worker otherwise (see `inline-or-worker.ts`).
 */
export const InferencePlacement = { ...InferenceThread, auto: 'auto' } as const;
export type InferencePlacement = (typeof InferencePlacement)[keyof typeof InferencePlacement];

/** What actually executes the model, for status pages and logs: e.g. onnxruntime-node 1.30.0 on cpu in a worker. */
export type ExecutionInfo = Readonly<{ engine: string; version: string; device: string; thread: InferencePlacement }>;

/** A degradation the runtime worked around (asked-for CUDA, got CPU). Reported, never thrown. */
export const RuntimeWarningCode = {
  cudaUnavailable: 'CUDA_UNAVAILABLE',
  tfjsNativeUnavailable: 'TFJS_NATIVE_UNAVAILABLE',
  tfjsWasmUnavailable: 'TFJS_WASM_UNAVAILABLE',
} as const;
export type RuntimeWarningCode = (typeof RuntimeWarningCode)[keyof typeof RuntimeWarningCode];
export type RuntimeWarning = Readonly<{ code: RuntimeWarningCode; message: string }>;

export type ModelRuntime = Readonly<{
  kind: ModelRuntimeKind;
  execution: ExecutionInfo;
  inputNames: readonly string[];
  outputNames: readonly string[];
  /** Features per row (per time step, for a sequence model) the model expects, when its input shape fixes it. */
  inputWidth: number | null;
  /**
   * Set for a sequence model, whose input is `[rows, steps, cols]` (oldest step first): the
   * steps its graph fixes, or null when the graph leaves them dynamic. Absent for `[rows, cols]`
   * models.
   */
  inputSteps?: number | null;
  /** Values per row of each output, when fixed (3 for class probabilities over down/flat/up). */
  outputWidths: readonly (number | null)[];
  /** Degradations met while loading (also passed to `onWarning` as they happen). */
  warnings: readonly RuntimeWarning[];
  /**
   * Scores `rows` rows of `cols` features, row-major in `batch` (only the first `rows × cols`
   * values are read; the caller may reuse `batch` as soon as the promise is created). Resolves to
   * one row-major Float32Array per output, in `outputNames` order, each `rows × width` long.
   * Rejects with a `ModelRuntimeError`. For a sequence model a row is a window of `steps` time
   * steps (default: its fixed `inputSteps`) of `cols` features: `batch` holds `rows × steps × cols`
   * values; `steps` must be 1 (or omitted) for a `[rows, cols]` model.
   */
  run(batch: Float32Array, rows: number, cols: number, steps?: number): Promise<Float32Array[]>;
  /** Frees the session (and its worker); later `run` calls reject with code DISPOSED. */
  dispose(): Promise<void>;
}>;

/** Fields of a `ModelRuntime` that describe a loaded model; what a worker reports back after loading. */
export type LoadedModelInfo = Pick<ModelRuntime, 'inputNames' | 'outputNames' | 'inputWidth' | 'inputSteps' | 'outputWidths' | 'warnings' | 'execution'>;
