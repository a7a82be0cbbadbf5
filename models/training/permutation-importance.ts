import { classificationMetrics } from './classification-metrics.js';
import { mulberry32, seededPermutation } from './seeded-rng.js';

/** Class probabilities (`rows × classes`, row-major) of row-major inputs. */
export type Predict = (x: Float32Array, rows: number) => Float32Array | Promise<Float32Array>;

export type ImportanceOptions = Readonly<{
  classes: number;
  /** Input columns per time step. */
  cols: number;
  /** Time steps per row (the window of a sequence model); default 1. */
  steps?: number;
  /** Shuffles per feature, each with its own seeded permutation; default 3. */
  repeats?: number;
  seed: number;
}>;

export type FeatureImportance = Readonly<{
  /** Log loss on the unshuffled rows. */
  baseLogLoss: number;
  /** Per column: mean increase in log loss when that column is shuffled across rows. */
  importance: readonly number[];
  /** Per column: standard deviation of the increase over the repeats. */
  spread: readonly number[];
}>;

/**
 * Permutation importance (Breiman 2001; Fisher, Rudin & Dominici 2019) on held-out rows: shuffle
 * one input column across rows — breaking its link to the label while keeping its
 * distribution — and measure how much the log loss rises. For sequence inputs the whole window
 * of that column moves with its row, so the feature's own history stays intact. Model-agnostic
 * (it only calls `predict`), seeded, and measured on validation rows so it ranks what generalises
 * rather than what was memorised.
 */
export async function permutationImportance(predict: Predict, x: Float32Array, y: Int32Array, opts: ImportanceOptions): Promise<FeatureImportance> {
  const steps = opts.steps ?? 1;
  const repeats = opts.repeats ?? 3;
  const width = steps * opts.cols;
  const rows = y.length;
  if (rows < 2) throw new RangeError(`permutation importance needs at least 2 rows, got ${rows}`);
  if (x.length !== rows * width) throw new RangeError(`expected ${rows * width} inputs (${rows} rows × ${steps} steps × ${opts.cols} columns), got ${x.length}`);
  if (!Number.isInteger(repeats) || repeats < 1) throw new RangeError(`repeats must be a positive integer, got ${repeats}`);
  const logLoss = async (input: Float32Array): Promise<number> => classificationMetrics(await predict(input, rows), y, opts.classes).logLoss;
  const baseLogLoss = await logLoss(x);
  const rng = mulberry32(opts.seed);
  const shuffled = new Float32Array(x.length);
  const importance: number[] = [];
  const spread: number[] = [];
  for (let j = 0; j < opts.cols; j++) {
    const rises: number[] = [];
    for (let k = 0; k < repeats; k++) {
      const perm = seededPermutation(rows, rng);
      shuffled.set(x);
      for (let r = 0; r < rows; r++) {
        const src = (perm[r] as number) * width;
        for (let t = 0; t < steps; t++) shuffled[r * width + t * opts.cols + j] = x[src + t * opts.cols + j] as number;
      }
      rises.push((await logLoss(shuffled)) - baseLogLoss);
    }
    const mean = rises.reduce((a, b) => a + b, 0) / repeats;
    importance.push(mean);
    spread.push(Math.sqrt(rises.reduce((a, b) => a + (b - mean) ** 2, 0) / repeats));
  }
  return { baseLogLoss, importance, spread };
}
