import { InferenceSession, Tensor, env } from 'onnxruntime-node';
import { batchView, runSteps } from './batch-shape.js';
import { ModelRuntimeError, ModelRuntimeErrorCode } from './model-runtime-error.js';
import { RuntimeWarningCode } from './model-runtime.js';
import type { InferenceThread, ModelRuntime, ModelSource, RuntimeWarning } from './model-runtime.js';

export const OnnxProvider = { cpu: 'cpu', cuda: 'cuda' } as const;
export type OnnxProvider = (typeof OnnxProvider)[keyof typeof OnnxProvider];

/** Engine settings; plain data, so they can be posted to an inference worker. */
export type OnnxSessionSettings = Readonly<{
  /** `'cuda'` asks for the CUDA execution provider and falls back to CPU with a warning when it cannot load. Default `'cpu'`. */
  provider?: OnnxProvider;
  /** GPU ordinal for CUDA. Default 0. */
  deviceId?: number;
  /**
   * Threads one `run` may use, the calling thread included. Default 1: the small dense models a
   * trading engine serves are fastest single-threaded — measured for 25→64→64→3 on a 16-core
   * Xeon, 1 thread scored 6.1 M rows/s at batch 256 and 4 threads 2.6 M (synchronisation costs
   * more than the arithmetic) — and every core kept free serves other actors. Raise it for large
   * models (long LSTM windows, wide layers) where one batch takes milliseconds.
   */
  intraOpNumThreads?: number;
  /** Default 1: models run sequentially (executionMode 'sequential'), so inter-op threads would idle. */
  interOpNumThreads?: number;
  /** Default `'all'`. */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Let intra-op threads busy-wait between runs. Default false: spinning shaves microseconds off
   * back-to-back runs but burns whole cores that the actors on the same machine need.
   */
  allowSpinning?: boolean;
}>;

/**
 * Opens an onnxruntime-node session on the calling thread. onnxruntime-node's `session.run` is
 * a synchronous native call deferred by one `setImmediate` (its binding is "a simple synchronized
 * inference session"), so whatever thread calls this is blocked for the whole inference:
 * `onnx-runtime.ts` therefore calls it from a worker thread unless told otherwise.
 */
export async function openOnnxSession(
  source: ModelSource,
  settings: OnnxSessionSettings,
  thread: InferenceThread,
  onWarning: (w: RuntimeWarning) => void,
): Promise<ModelRuntime> {
  const warnings: RuntimeWarning[] = [];
  const base: InferenceSession.SessionOptions = {
    intraOpNumThreads: settings.intraOpNumThreads ?? 1,
    interOpNumThreads: settings.interOpNumThreads ?? 1,
    executionMode: 'sequential',
    graphOptimizationLevel: settings.graphOptimizationLevel ?? 'all',
    extra: { session: { intra_op: { allow_spinning: settings.allowSpinning === true ? '1' : '0' } } },
  };
  const open = (options: InferenceSession.SessionOptions): Promise<InferenceSession> =>
    'bytes' in source ? InferenceSession.create(source.bytes, options) : InferenceSession.create(source.path, options);

  let session: InferenceSession | undefined;
  let device = 'cpu';
  if (settings.provider === OnnxProvider.cuda) {
    const deviceId = settings.deviceId ?? 0;
    try {
      session = await open({ ...base, executionProviders: [{ name: 'cuda', deviceId }, 'cpu'] });
      device = `cuda:${deviceId}`;
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      // Only a CPU session that opens proves the model was fine and CUDA was the problem.
      session = await openOrThrow(() => open({ ...base, executionProviders: ['cpu'] }), source);
      const w: RuntimeWarning = {
        code: RuntimeWarningCode.cudaUnavailable,
        message: `CUDA execution provider unavailable (${reason}); running on CPU. onnxruntime-node ships CUDA binaries separately: install without onnxruntime-node-install=skip on a machine with CUDA 12 and cuDNN 9.`,
      };
      warnings.push(w);
      onWarning(w);
    }
  } else {
    session = await openOrThrow(() => open({ ...base, executionProviders: ['cpu'] }), source);
  }
  return wrapSession(session, { engine: 'onnxruntime-node', version: env.versions.node ?? 'unknown', device, thread }, warnings);
}

async function openOrThrow(open: () => Promise<InferenceSession>, source: ModelSource): Promise<InferenceSession> {
  try {
    return await open();
  } catch (e) {
    const what = 'path' in source ? source.path : `${source.bytes.length} bytes`;
    throw new ModelRuntimeError(ModelRuntimeErrorCode.loadFailed, `cannot load ONNX model (${what}): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

function wrapSession(session: InferenceSession, execution: ModelRuntime['execution'], warnings: readonly RuntimeWarning[]): ModelRuntime {
  const unsupported = (why: string): ModelRuntimeError => {
    void session.release();
    return new ModelRuntimeError(ModelRuntimeErrorCode.unsupportedModel, why);
  };
  const [input, ...extraInputs] = session.inputMetadata;
  if (input === undefined || extraInputs.length > 0) throw unsupported(`the model has ${session.inputNames.length} inputs; the runtime feeds exactly one [rows, cols] or [rows, steps, cols] float32 input`);
  if (!input.isTensor || input.type !== 'float32') throw unsupported(`input '${input.name}' must be a float32 tensor`);
  if (input.shape.length !== 2 && input.shape.length !== 3) throw unsupported(`input '${input.name}' has rank ${input.shape.length}; the runtime feeds [rows, cols] or [rows, steps, cols]`);
  for (const o of session.outputMetadata) {
    if (!o.isTensor || o.type === 'string') throw unsupported(`output '${o.name}' is not a numeric tensor (e.g. a ZipMap sequence); export the model without it`);
  }
  const lastDim = (shape: readonly (number | string)[]): number | null => {
    const d = shape[shape.length - 1];
    return shape.length >= 2 && typeof d === 'number' ? d : null;
  };
  const inputWidth = lastDim(input.shape);
  const stepDim = input.shape[1];
  const inputSteps = input.shape.length === 3 ? (typeof stepDim === 'number' ? stepDim : null) : undefined;
  const outputWidths = session.outputMetadata.map((o) => (o.isTensor ? lastDim(o.shape) : null));
  const inputName = input.name;
  const outputNames = [...session.outputNames];
  let disposed = false;
  const inFlight = new Set<Promise<Float32Array[]>>();
  const inputs = createInputPool();
  const score = async (data: Float32Array, dims: readonly number[]): Promise<Float32Array[]> => {
    let result: InferenceSession.ReturnType;
    try {
      result = await session.run({ [inputName]: new Tensor('float32', data, dims) });
    } catch (e) {
      throw new ModelRuntimeError(ModelRuntimeErrorCode.runFailed, `ONNX inference failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    return outputNames.map((n) => toFloat32(result[n], n));
  };

  return {
    kind: 'onnx',
    execution,
    inputNames: [inputName],
    outputNames,
    inputWidth,
    ...(inputSteps !== undefined ? { inputSteps } : {}),
    outputWidths,
    warnings,
    run(batch, rows, cols, steps) {
      if (disposed) return Promise.reject(new ModelRuntimeError(ModelRuntimeErrorCode.disposed, 'the ONNX runtime was disposed'));
      let view: Float32Array;
      let dims: readonly number[];
      try {
        const t = runSteps(steps, inputSteps);
        view = batchView(batch, rows * t, cols, inputWidth);
        dims = inputSteps === undefined ? [rows, cols] : [rows, t, cols];
      } catch (e) {
        return Promise.reject(e as Error);
      }
      if (rows === 0) return Promise.resolve(outputNames.map(() => new Float32Array(0)));
      // Copied: onnxruntime-node reads the buffer one setImmediate later, and callers may reuse theirs at once.
      const copy = inputs.copyOf(view);
      const p = score(copy, dims);
      inFlight.add(p);
      void p
        .finally(() => {
          inFlight.delete(p);
          inputs.release(copy);
        })
        .catch(() => undefined);
      return p;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      // Runs already accepted finish first: releasing under them would fail them (or worse, in native code).
      await Promise.allSettled([...inFlight]);
      await session.release();
    },
  };
}

/** Input copies up to this many values (4 MB) are pooled; larger ones are allocated per run. */
const POOLED_MAX = 1 << 20;
/** Spare buffers kept per capacity. */
const SPARES = 2;

/**
 * Reusable input copies. A fresh `Float32Array` per run costs an ArrayBuffer allocation and
 * external memory for the GC to account for; at 256 rows per run that `slice` was ~8 % of a CPU
 * profile of bench/strategy.bench.ts's loop. Capacities are powers of two, handed out
 * as exact-length views; a buffer returns to the pool once the run that read it has settled.
 */
function createInputPool(): Readonly<{ copyOf(view: Float32Array): Float32Array; release(copy: Float32Array): void }> {
  const free = new Map<number, Float32Array[]>();
  return {
    copyOf(view) {
      const n = view.length;
      if (n > POOLED_MAX) return view.slice();
      const capacity = n <= 64 ? 64 : 2 ** Math.ceil(Math.log2(n));
      const buf = free.get(capacity)?.pop() ?? new Float32Array(capacity);
      buf.set(view);
      return n === capacity ? buf : buf.subarray(0, n);
    },
    release(copy) {
      const buf = copy.length === copy.buffer.byteLength / 4 ? copy : new Float32Array(copy.buffer);
      if (buf.length > POOLED_MAX) return;
      let spares = free.get(buf.length);
      if (spares === undefined) free.set(buf.length, (spares = []));
      if (spares.length < SPARES) spares.push(buf);
    },
  };
}

/** Output as float32: class labels (int64) and masks (bool) become numbers so the port has one element type. */
function toFloat32(value: InferenceSession.ReturnType[string] | undefined, name: string): Float32Array {
  if (value === undefined || !(value instanceof Tensor)) throw new ModelRuntimeError(ModelRuntimeErrorCode.runFailed, `output '${name}' is missing or not a tensor`);
  const d = value.data;
  if (d instanceof Float32Array) return d;
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) return Float32Array.from(d, (x) => Number(x));
  if (Array.isArray(d)) throw new ModelRuntimeError(ModelRuntimeErrorCode.runFailed, `output '${name}' holds strings`);
  return Float32Array.from(d as ArrayLike<number>);
}
