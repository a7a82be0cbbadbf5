/** Probability floor for log loss: a confident wrong answer costs −ln(1e-7) ≈ 16, not ∞. */
export const LOG_LOSS_EPS = 1e-7;

export type ClassificationMetrics = Readonly<{
  n: number;
  accuracy: number;
  /** Mean −ln p(true class), p clipped to [eps, 1 − eps]. */
  logLoss: number;
  /** Multiclass Brier score: mean over rows of Σ_c (p_c − 1[c = true class])², in [0, 2]. */
  brier: number;
  /** Recall per class; null for a class with no rows. */
  recall: readonly (number | null)[];
  /** Rows per true class. */
  support: readonly number[];
  /** `confusion[true][predicted]` counts. */
  confusion: readonly (readonly number[])[];
}>;

/**
 * Accuracy, log loss, Brier score, per-class recall and the confusion matrix of row-major class
 * probabilities `probs` (`n × classes`) against labels `y`. The prediction is the argmax (the
 * lowest class on a tie).
 */
export function classificationMetrics(probs: ArrayLike<number>, y: ArrayLike<number>, classes: number, eps = LOG_LOSS_EPS): ClassificationMetrics {
  const n = y.length;
  if (n === 0) throw new RangeError('no rows to score');
  if (probs.length !== n * classes) throw new RangeError(`expected ${n * classes} probabilities (${n} rows × ${classes}), got ${probs.length}`);
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let correct = 0;
  let loss = 0;
  let brier = 0;
  for (let i = 0; i < n; i++) {
    const t = y[i] as number;
    if (!Number.isInteger(t) || t < 0 || t >= classes) throw new RangeError(`label ${t} at row ${i} is not a class in 0…${classes - 1}`);
    let best = 0;
    for (let c = 1; c < classes; c++) if ((probs[i * classes + c] as number) > (probs[i * classes + best] as number)) best = c;
    (confusion[t] as number[])[best]! += 1;
    if (best === t) correct++;
    const p = Math.min(Math.max(probs[i * classes + t] as number, eps), 1 - eps);
    loss -= Math.log(p);
    for (let c = 0; c < classes; c++) brier += ((probs[i * classes + c] as number) - (c === t ? 1 : 0)) ** 2;
  }
  const support = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const recall = confusion.map((row, c) => ((support[c] as number) === 0 ? null : (row[c] as number) / (support[c] as number)));
  return { n, accuracy: correct / n, logLoss: loss / n, brier: brier / n, recall, support, confusion };
}

/** Class frequencies of `y` (the majority-class baseline's probabilities). */
export function classFrequencies(y: ArrayLike<number>, classes: number): Float64Array {
  if (y.length === 0) throw new RangeError('no rows');
  const f = new Float64Array(classes);
  for (let i = 0; i < y.length; i++) f[y[i] as number] = (f[y[i] as number] as number) + 1;
  for (let c = 0; c < classes; c++) f[c] = (f[c] as number) / y.length;
  return f;
}

/**
 * The majority-class baseline: for every row, the training class frequencies. Its argmax is the
 * majority class (accuracy = that class's share) and its log loss is the entropy a model must
 * beat to have learnt anything beyond the class balance.
 */
export function majorityProbabilities(trainY: ArrayLike<number>, rows: number, classes: number): Float32Array {
  const f = classFrequencies(trainY, classes);
  const out = new Float32Array(rows * classes);
  for (let i = 0; i < rows; i++) for (let c = 0; c < classes; c++) out[i * classes + c] = f[c] as number;
  return out;
}
