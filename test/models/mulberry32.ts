/** The same seeded PRNG the training pipeline uses: every test model is bit-identical run to run. */
export { mulberry32 } from '../../models/training/seeded-rng.js';

/** `n` floats uniform in [lo, hi). */
export function uniform(rng: () => number, n: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rng();
  return out;
}
