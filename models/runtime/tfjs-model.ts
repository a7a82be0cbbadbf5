import { batchView, runSteps } from './batch-shape.js';
import { ModelRuntimeError, ModelRuntimeErrorCode } from './model-runtime-error.js';
import type { InferenceThread, ModelRuntime, RuntimeWarning } from './model-runtime.js';
import { toModelArtifacts } from './tfjs-artifacts.js';
import type { TfjsArtifacts } from './tfjs-artifacts.js';
import { selectTfjsBackend } from './tfjs-backend.js';
import type { TfjsBackendPreference } from './tfjs-backend.js';

/** Engine settings; plain data, so they can be posted to an inference worker. */
export type TfjsModelSettings = Readonly<{ backend?: TfjsBackendPreference }>;

/**
 * Loads a LayersModel into the calling thread's tfjs engine. Every tfjs backend computes on the
 * thread that calls `predict` (wasm kernels and tfjs-node's native ops are synchronous), so this
 * blocks its thread for the whole inference; `tfjs-runtime.ts` calls it from a worker unless
 * told otherwise. tfjs is imported lazily so that ONNX-only processes never load it.
 */
export async function openTfjsModel(
  artifacts: TfjsArtifacts,
  settings: TfjsModelSettings,
  thread: InferenceThread,
  onWarning: (w: RuntimeWarning) => void,
): Promise<ModelRuntime> {
  const tf = await import('@tensorflow/tfjs');
  const selected = await selectTfjsBackend(tf, settings.backend ?? 'auto', onWarning);
  let model: Awaited<ReturnType<typeof tf.loadLayersModel>>;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory(toModelArtifacts(artifacts)));
  } catch (e) {
    throw new ModelRuntimeError(ModelRuntimeErrorCode.loadFailed, `cannot load tfjs model: ${(e as Error).message}`, { cause: e });
  }
  const [input, ...extraInputs] = model.inputs;
  if (input === undefined || extraInputs.length > 0 || input.shape.length !== 2) {
    model.dispose();
    throw new ModelRuntimeError(ModelRuntimeErrorCode.unsupportedModel, 'the runtime feeds exactly one [rows, cols] input; this model has a different input signature');
  }
  const lastDim = (shape: readonly (number | null)[]): number | null => shape[shape.length - 1] ?? null;
  const inputWidth = lastDim(input.shape);
  // Named after their layers, as tfjs's Container does; read from the tensors because a
  // Sequential loaded from artifacts fills `inputNames`/`outputNames` only once built.
  const inputNames = model.inputs.map((t) => t.sourceLayer.name);
  const outputNames = model.outputs.map((t) => t.sourceLayer.name);
  let disposed = false;

  return {
    kind: 'tfjs',
    execution: { engine: '@tensorflow/tfjs', version: tf.version.tfjs, device: `${selected.backend} (${selected.detail})`, thread },
    inputNames,
    outputNames,
    inputWidth,
    outputWidths: model.outputs.map((o) => lastDim(o.shape)),
    warnings: selected.warnings,
    async run(batch, rows, cols, steps) {
      if (disposed) throw new ModelRuntimeError(ModelRuntimeErrorCode.disposed, 'the tfjs runtime was disposed');
      runSteps(steps, undefined);
      // predict() below runs synchronously, so by the time run() returns its promise the model is
      // done with the weights; only reading the outputs is still pending, and that survives dispose().
      const data = batchView(batch, rows, cols, inputWidth);
      if (rows === 0) return outputNames.map(() => new Float32Array(0));
      let outs: Awaited<ReturnType<typeof tf.tensor>>[];
      try {
        outs = tf.tidy(() => {
          // One predict over all rows: tfjs would otherwise split the batch into chunks of 32.
          const y = model.predict(tf.tensor2d(data, [rows, cols], 'float32'), { batchSize: rows });
          return Array.isArray(y) ? y : [y];
        });
      } catch (e) {
        throw new ModelRuntimeError(ModelRuntimeErrorCode.runFailed, `tfjs inference failed: ${(e as Error).message}`, { cause: e });
      }
      try {
        const arrays = await Promise.all(outs.map((t) => t.data<'float32'>()));
        return arrays.map((a) => (a instanceof Float32Array ? a : Float32Array.from(a)));
      } finally {
        for (const t of outs) t.dispose();
      }
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      model.dispose();
    },
  };
}
