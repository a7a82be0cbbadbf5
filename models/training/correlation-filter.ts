/** A column dropped by the correlation filter, and the kept column it duplicates. */
export type DroppedFeature = Readonly<{ column: number; keptInstead: number; correlation: number }>;

export type CorrelationFilterResult = Readonly<{ kept: readonly number[]; dropped: readonly DroppedFeature[] }>;

/**
 * Pearson correlation of every pair of columns of a row-major `rows × cols` matrix, over `indices`
 * (default all rows). `cols × cols`, row-major; a constant column correlates 0 with everything.
 */
export function correlationMatrix(x: ArrayLike<number>, cols: number, indices?: ArrayLike<number>): Float64Array {
  const n = indices?.length ?? Math.floor(x.length / cols);
  const at = (k: number): number => (indices === undefined ? k : (indices[k] as number));
  if (n < 2) throw new RangeError(`need at least 2 rows for correlations, got ${n}`);
  const mean = new Float64Array(cols);
  for (let k = 0; k < n; k++) for (let j = 0; j < cols; j++) mean[j] = (mean[j] as number) + (x[at(k) * cols + j] as number) / n;
  const cov = new Float64Array(cols * cols);
  const d = new Float64Array(cols);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < cols; j++) d[j] = (x[at(k) * cols + j] as number) - (mean[j] as number);
    for (let a = 0; a < cols; a++) for (let b = a; b < cols; b++) cov[a * cols + b] = (cov[a * cols + b] as number) + (d[a] as number) * (d[b] as number);
  }
  const out = new Float64Array(cols * cols);
  for (let a = 0; a < cols; a++) {
    for (let b = a; b < cols; b++) {
      const den = Math.sqrt((cov[a * cols + a] as number) * (cov[b * cols + b] as number));
      const r = a === b ? 1 : den > 0 ? (cov[a * cols + b] as number) / den : 0;
      out[a * cols + b] = r;
      out[b * cols + a] = r;
    }
  }
  return out;
}

/**
 * Drops one of each pair of columns with |ρ| above `threshold`, keeping the more important one:
 * columns are visited from the most to the least important (ties: lower index first) and a
 * column is kept only if it is not too correlated with any column already kept. Importance is
 * typically {@link permutationImportance}'s; correlated inputs split that importance between
 * them, so the filter runs on it rather than the other way round.
 */
export function correlationFilter(corr: Float64Array, cols: number, importance: readonly number[], threshold: number): CorrelationFilterResult {
  if (!(threshold > 0 && threshold <= 1)) throw new RangeError(`threshold must be in (0, 1], got ${threshold}`);
  if (importance.length !== cols || corr.length !== cols * cols) throw new RangeError('importance and the correlation matrix must match the column count');
  const order = Array.from({ length: cols }, (_, j) => j).sort((a, b) => (importance[b] as number) - (importance[a] as number) || a - b);
  const kept: number[] = [];
  const dropped: DroppedFeature[] = [];
  for (const j of order) {
    const twin = kept.find((k) => Math.abs(corr[j * cols + k] as number) > threshold);
    if (twin === undefined) kept.push(j);
    else dropped.push({ column: j, keptInstead: twin, correlation: corr[j * cols + twin] as number });
  }
  return { kept: kept.sort((a, b) => a - b), dropped };
}
