/** Mean and population std of a column's finite values, and how many values were not finite. */
export type ColumnStats = Readonly<{ count: number; missing: number; mean: number; std: number; min: number; max: number }>;

/** Stats of column `j` of row-major `x` (`cols` wide) over `rows` (all rows when omitted). */
export function columnStats(x: Float64Array, cols: number, j: number, rows?: ArrayLike<number>): ColumnStats {
  const n = rows === undefined ? x.length / cols : rows.length;
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let k = 0; k < n; k++) {
    const v = x[(rows === undefined ? k : (rows[k] as number)) * cols + j] as number;
    if (!Number.isFinite(v)) continue;
    count++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = count === 0 ? NaN : sum / count;
  let ss = 0;
  for (let k = 0; k < n; k++) {
    const v = x[(rows === undefined ? k : (rows[k] as number)) * cols + j] as number;
    if (Number.isFinite(v)) ss += (v - mean) ** 2;
  }
  return { count, missing: n - count, mean, std: count === 0 ? NaN : Math.sqrt(ss / count), min: count === 0 ? NaN : min, max: count === 0 ? NaN : max };
}
