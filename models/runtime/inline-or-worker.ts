import type { ModelRuntime } from './model-runtime.js';

/**
 * Multiply-adds one `run` may take on the caller's thread under placement `auto` (default
 * 1,000,000: tens of microseconds on one core for the dense models served here). Above it the
 * call goes to the worker thread.
 */
export const DEFAULT_INLINE_MAX_MACS = 1_000_000;

/** Throws a RangeError unless `maxMacs` is a budget `inlineOrWorker` can use (finite, ≥ 0). */
export function checkInlineBudget(maxMacs: number): void {
  if (!(Number.isFinite(maxMacs) && maxMacs >= 0)) throw new RangeError(`inlineMaxMacs must be finite and ≥ 0, got ${maxMacs}`);
}

/**
 * An upper bound of a model's multiply-adds per row, from its ONNX bytes: every float32 weight
 * is used at most once per row (time step, for a sequence model) by the dense layers and
 * recurrent cells served here, and the graph's other bytes only raise the bound.
 */
export const macsPerRowBound = (onnxBytes: number): number => Math.max(1, Math.ceil(onnxBytes / 4));

/**
 * One model on two threads: each `run` small enough — `rows × steps × macsPerRow ≤ maxMacs` —
 * runs on the caller's thread (no thread hop: a message to the worker, a wake-up there and one
 * back cost more than a small model's arithmetic), the others on the worker, so a large batch
 * never blocks the caller's event loop for longer than a small one does. The choice depends on
 * the call's size only, never on timing, and both sides run the same model with the same
 * settings, so the outputs are the same wherever a call ran. Runs settle in call order.
 * `execution` is the worker's, with `thread: 'auto'`.
 */
export function inlineOrWorker(inline: ModelRuntime, worker: ModelRuntime, macsPerRow: number, maxMacs: number = DEFAULT_INLINE_MAX_MACS): ModelRuntime {
  if (!(Number.isFinite(macsPerRow) && macsPerRow > 0)) throw new RangeError(`macsPerRow must be positive, got ${macsPerRow}`);
  checkInlineBudget(maxMacs);
  const maxRows = Math.floor(maxMacs / macsPerRow);
  let last: Promise<unknown> = Promise.resolve();
  const stepsOf = (steps: number | undefined): number => steps ?? worker.inputSteps ?? 1;
  return {
    kind: worker.kind,
    execution: { ...worker.execution, thread: 'auto' },
    inputNames: worker.inputNames,
    outputNames: worker.outputNames,
    inputWidth: worker.inputWidth,
    ...(worker.inputSteps !== undefined ? { inputSteps: worker.inputSteps } : {}),
    outputWidths: worker.outputWidths,
    warnings: worker.warnings,
    run(batch, rows, cols, steps) {
      const side = rows * stepsOf(steps) <= maxRows ? inline : worker;
      const mine = side.run(batch, rows, cols, steps);
      // An inline call can finish before a worker call made earlier: it waits for it to settle
      // (`last` never rejects).
      const ordered = last.then(() => mine);
      last = ordered.catch(() => undefined);
      return ordered;
    },
    async dispose() {
      await Promise.all([inline.dispose(), worker.dispose()]);
    },
  };
}
