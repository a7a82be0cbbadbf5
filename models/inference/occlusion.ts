import type { ModelRuntime } from '../runtime/model-runtime.js';
import { expectedReturn } from './prediction-math.js';

/**
 * Occlusion attributions computed in the same batched model call as the predictions: for B rows
 * of F features the batch holds B blocks of 1 + F rows — the original row, then one copy per
 * feature with that feature replaced by its reference (the running baseline). One `run` over
 * B × (1 + F) rows costs far less than 1 + F calls, since per-call overhead dominates small
 * models. Attribution of feature j = expectedReturn(original) − expectedReturn(occluded j): how
 * much the feature's deviation from its reference moved the expected return.
 */

/** Rows the batch holds per input row: the original and one occluded copy per feature. */
export const occlusionStride = (features: number): number => 1 + features;

/**
 * Writes the occlusion batch for row `i` (its F values at `rows[i·F]`) into `out`: block
 * `i·(1+F)` is the original, block `i·(1+F) + 1 + j` the row with feature j set to `reference[j]`.
 */
export function writeOcclusionBlock(rows: Float32Array, i: number, features: number, reference: ArrayLike<number>, out: Float32Array): void {
  const f = features;
  const src = i * f;
  const base = i * (1 + f) * f;
  for (let j = 0; j < f; j++) out[base + j] = rows[src + j] as number;
  // copyWithin is a memmove inside one buffer: no subarray view allocated per row.
  for (let r = 1; r <= f; r++) out.copyWithin(base + r * f, base, base + f);
  for (let j = 0; j < f; j++) out[base + (1 + j) * f + j] = reference[j] as number;
}

/**
 * Contributions of row `i` from the probabilities of its occlusion block: `out[j]` (j < F) gets
 * expectedReturn(original) − expectedReturn(occluded j).
 */
export function blockContributions(probs: Float32Array, i: number, features: number, means: readonly [number, number, number], out: Float64Array): number {
  const first = i * (1 + features);
  const e0 = expectedReturn(probs, first, means);
  for (let j = 0; j < features; j++) out[j] = e0 - expectedReturn(probs, first + 1 + j, means);
  return e0;
}

export type Attribution = Readonly<{ feature: string; contribution: number }>;

/**
 * The `k` largest contributions by magnitude, largest first; equal magnitudes keep spec order,
 * so the ranking is deterministic. Selection, not a sort: k is small and this runs per row.
 */
export function topAttributions(contrib: Float64Array, names: readonly string[], k: number): Attribution[] {
  const n = Math.min(k, names.length);
  const picked: number[] = [];
  for (let j = 0; j < names.length; j++) {
    const a = Math.abs(contrib[j] as number);
    // A model that answers an occluded row with NaN or ±Infinity says nothing of that feature: a
    // published attribution must be a number (the decision path publishes without a schema pass).
    if (!Number.isFinite(a)) continue;
    let pos = picked.length;
    while (pos > 0 && Math.abs(contrib[picked[pos - 1] as number] as number) < a) pos--;
    if (pos < n) {
      picked.splice(pos, 0, j);
      if (picked.length > n) picked.pop();
    }
  }
  return picked.map((j) => ({ feature: names[j] as string, contribution: contrib[j] as number }));
}

/** Predictions' probabilities and per-feature contributions of B rows, from one `run`. */
export type OcclusionResult = Readonly<{
  /** B × 3 probabilities of the original rows. */
  probs: Float32Array;
  /** B × F contributions (row-major). */
  contributions: Float64Array;
}>;

/**
 * Scores B rows and their occlusions against `references[i]` (one reference per row, because
 * each asset has its own baseline) in one `runtime.run` call.
 *
 * @example
 * const { probs, contributions } = await occlude(rt, 0, rows, 2, 25, [refA, refB], [-0.002, 0, 0.002]);
 */
export async function occlude(
  runtime: ModelRuntime,
  outputIndex: number,
  rows: Float32Array,
  count: number,
  features: number,
  references: readonly ArrayLike<number>[],
  means: readonly [number, number, number],
): Promise<OcclusionResult> {
  const stride = occlusionStride(features);
  const batch = new Float32Array(count * stride * features);
  for (let i = 0; i < count; i++) writeOcclusionBlock(rows, i, features, references[i] as ArrayLike<number>, batch);
  const outs = await runtime.run(batch, count * stride, features);
  const all = outs[outputIndex] as Float32Array;
  const probs = new Float32Array(count * 3);
  const contributions = new Float64Array(count * features);
  const scratch = new Float64Array(features);
  for (let i = 0; i < count; i++) {
    probs.set(all.subarray(i * stride * 3, i * stride * 3 + 3), i * 3);
    blockContributions(all, i, features, means, scratch);
    contributions.set(scratch, i * features);
  }
  return { probs, contributions };
}

/**
 * {@link writeOcclusionBlock} for a sequence model: row `i` is a window of `steps × features`
 * values (at `windows[i·steps·F]`, oldest step first), and occluding feature j sets it to
 * `reference[j]` at every step of the window, so the attribution measures what the feature's
 * whole recent path (not only its last value) moved the expected return.
 */
export function writeWindowOcclusionBlock(windows: Float32Array, i: number, steps: number, features: number, reference: ArrayLike<number>, out: Float32Array): void {
  const w = steps * features;
  const src = i * w;
  const base = i * (1 + features) * w;
  out.set(windows.subarray(src, src + w), base);
  for (let r = 1; r <= features; r++) out.copyWithin(base + r * w, base, base + w);
  for (let j = 0; j < features; j++) {
    const ref = reference[j] as number;
    const block = base + (1 + j) * w;
    for (let t = 0; t < steps; t++) out[block + t * features + j] = ref;
  }
}
