/** Per-column mean and standard deviation, and the `(x − mean) / std` map they define. */
export type Standardiser = Readonly<{ mean: Float64Array; std: Float64Array }>;

/** Floor on a column's std, so a constant column standardises to 0 instead of NaN. */
const MIN_STD = 1e-12;

/**
 * Mean and (population) std of each column over `indices` only — the training rows. Statistics
 * taken over calibration or test rows would leak their distribution into the model's inputs.
 */
export function fitStandardiser(x: Float64Array, cols: number, indices: Int32Array): Standardiser {
  if (indices.length === 0) throw new RangeError('cannot fit a standardiser on no rows');
  const mean = new Float64Array(cols);
  const std = new Float64Array(cols);
  for (const i of indices) for (let j = 0; j < cols; j++) mean[j] = (mean[j] as number) + (x[i * cols + j] as number);
  for (let j = 0; j < cols; j++) mean[j] = (mean[j] as number) / indices.length;
  for (const i of indices) for (let j = 0; j < cols; j++) std[j] = (std[j] as number) + ((x[i * cols + j] as number) - (mean[j] as number)) ** 2;
  for (let j = 0; j < cols; j++) std[j] = Math.max(Math.sqrt((std[j] as number) / indices.length), MIN_STD);
  return { mean, std };
}

/** The rows `indices` of `x`, standardised, as the float32 matrix a model consumes. */
export function standardiseRows(x: Float64Array, cols: number, indices: Int32Array, s: Standardiser): Float32Array {
  const out = new Float32Array(indices.length * cols);
  indices.forEach((i, k) => {
    for (let j = 0; j < cols; j++) out[k * cols + j] = ((x[i * cols + j] as number) - (s.mean[j] as number)) / (s.std[j] as number);
  });
  return out;
}

/** `values[indices]`, as a new typed array. */
export function pick<T extends Int32Array | Float64Array>(values: T, indices: Int32Array): T {
  const out = new (values.constructor as new (n: number) => T)(indices.length);
  indices.forEach((i, k) => {
    out[k] = values[i] as number;
  });
  return out;
}
