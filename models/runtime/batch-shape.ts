import { ModelRuntimeError, ModelRuntimeErrorCode } from './model-runtime-error.js';

/**
 * Checks `run` arguments before they reach an engine, whose own messages for a short buffer or a
 * wrong width are cryptic (or, for a too-long buffer, silently wrong), and returns exactly the
 * `rows × cols` values to score.
 */
export function batchView(batch: Float32Array, rows: number, cols: number, inputWidth: number | null): Float32Array {
  if (!Number.isSafeInteger(rows) || rows < 0) throw new ModelRuntimeError(ModelRuntimeErrorCode.badInput, `rows must be a non-negative integer, got ${rows}`);
  if (!Number.isSafeInteger(cols) || cols < 1) throw new ModelRuntimeError(ModelRuntimeErrorCode.badInput, `cols must be a positive integer, got ${cols}`);
  if (inputWidth !== null && cols !== inputWidth) throw new ModelRuntimeError(ModelRuntimeErrorCode.badInput, `the model takes ${inputWidth} features per row, got cols = ${cols}`);
  const n = rows * cols;
  if (batch.length < n) throw new ModelRuntimeError(ModelRuntimeErrorCode.badInput, `batch holds ${batch.length} values, ${rows} × ${cols} = ${n} needed`);
  return batch.length === n ? batch : batch.subarray(0, n);
}

/**
 * Time steps of one `run`: `steps` when given, else the model's fixed steps (1 for a
 * `[rows, cols]` model). Refuses steps a model cannot take, before they reach its engine.
 */
export function runSteps(steps: number | undefined, inputSteps: number | null | undefined): number {
  if (inputSteps === undefined) {
    if (steps !== undefined && steps !== 1) throw new ModelRuntimeError(ModelRuntimeErrorCode.badInput, `the model reads [rows, cols] rows, got steps = ${steps}`);
    return 1;
  }
  const s = steps ?? inputSteps;
  if (s === null) throw new ModelRuntimeError(ModelRuntimeErrorCode.badInput, 'the model reads windows of a dynamic length: give steps');
  if (!Number.isSafeInteger(s) || s < 1) throw new ModelRuntimeError(ModelRuntimeErrorCode.badInput, `steps must be a positive integer, got ${s}`);
  if (inputSteps !== null && s !== inputSteps) throw new ModelRuntimeError(ModelRuntimeErrorCode.badInput, `the model reads windows of ${inputSteps} steps, got steps = ${s}`);
  return s;
}
