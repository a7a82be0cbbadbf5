import type { ModelCalibration } from '../registry/model-registry.js';

/** Mean forward return of each class's rows (NaN-free: a class with no rows gets 0). */
export function classMeanReturns(y: ArrayLike<number>, r: ArrayLike<number>, classes = 3): number[] {
  const sum = new Array<number>(classes).fill(0);
  const count = new Array<number>(classes).fill(0);
  for (let i = 0; i < y.length; i++) {
    sum[y[i] as number]! += r[i] as number;
    count[y[i] as number]! += 1;
  }
  return sum.map((s, c) => ((count[c] as number) === 0 ? 0 : s / (count[c] as number)));
}

/** Σ_k p_k μ_k for each row of row-major probabilities. */
export function expectedReturns(probs: ArrayLike<number>, means: readonly number[]): Float64Array {
  const k = means.length;
  const n = probs.length / k;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let e = 0;
    for (let c = 0; c < k; c++) e += (probs[i * k + c] as number) * (means[c] as number);
    out[i] = e;
  }
  return out;
}

/**
 * The split-conformal quantile of nonconformity scores at coverage `q`: the ⌈(n+1)q⌉-th smallest
 * score (the empirical quantile at level ⌈(n+1)q⌉/n). With exchangeable data, a new score is at
 * most this with probability ≥ q. Throws when n is too small for the level (⌈(n+1)q⌉ > n).
 */
export function conformalQuantile(scores: ArrayLike<number>, q: number): number {
  const n = scores.length;
  if (!(q > 0 && q < 1)) throw new RangeError(`coverage must be in (0, 1), got ${q}`);
  const k = Math.ceil((n + 1) * q);
  if (k > n) {
    // The same rule as k, not ⌈q/(1 − q)⌉: in floating point 0.8/0.2 is just above 4 and would say 5.
    let need = n + 1;
    while (Math.ceil((need + 1) * q) > need) need++;
    throw new RangeError(`${n} calibration rows are too few for a ${q} conformal quantile (need ≥ ${need})`);
  }
  const sorted = Float64Array.from(scores).sort();
  return sorted[k - 1] as number;
}

/**
 * The calibration stored with a model: class mean returns from the training rows, and the 80 % /
 * 95 % conformal quantiles of |r − Σ p_k μ_k| over the calibration rows (rows the model never
 * trained on), so the interval `expected ± conformal95` covers about 95 % of outcomes. With
 * `scale` (each row's ATR14/close at decision time) the scores are |r − E| / scale and the
 * interval is `expected ± conformal95 · scale`: as wide as the market is wild.
 */
export function calibrate(
  train: Readonly<{ y: ArrayLike<number>; r: ArrayLike<number> }>,
  calibration: Readonly<{ probs: ArrayLike<number>; r: ArrayLike<number>; scale?: ArrayLike<number> }>,
  horizonMs: number,
): ModelCalibration {
  const means = classMeanReturns(train.y, train.r, 3);
  const expected = expectedReturns(calibration.probs, means);
  if (expected.length !== calibration.r.length) throw new RangeError(`calibration probabilities cover ${expected.length} rows, returns ${calibration.r.length}`);
  const scale = calibration.scale;
  if (scale !== undefined) {
    if (scale.length !== expected.length) throw new RangeError(`calibration scales cover ${scale.length} rows, returns ${expected.length}`);
    for (let i = 0; i < scale.length; i++) if (!((scale[i] as number) > 0 && Number.isFinite(scale[i]))) throw new RangeError(`calibration scale of row ${i} is ${scale[i]}: it must be a positive number`);
  }
  // Locally weighted conformal: |r − E| in units of the row's ATR14/close, so the interval scales with it.
  const scores = Float64Array.from(expected, (e, i) => Math.abs((calibration.r[i] as number) - e) / (scale === undefined ? 1 : (scale[i] as number)));
  return {
    classMeanReturns: [means[0] as number, means[1] as number, means[2] as number],
    conformal80: conformalQuantile(scores, 0.8),
    conformal95: conformalQuantile(scores, 0.95),
    horizonMs,
    ...(scale !== undefined ? { conformalScale: 'atr_14/close' as const } : {}),
  };
}

