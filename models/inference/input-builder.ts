import type { FeatureVector } from '../../streams/messages/feature-vector.js';
import type { FeatureSpec } from '../registry/feature-spec.js';
import { compileNamedValueReader, compilePositiveValueReader } from './named-value-reader.js';

/**
 * Value keys tried, in order, for the price a vector was computed at: `close` first because the
 * training pipeline derives `rel_price` features and labels from bar closes; `mid` for vectors
 * produced by ticks when no close is carried.
 */
export const DEFAULT_PRICE_KEYS: readonly string[] = ['close', 'mid'];

/** Why a vector produced no input row. */
export const SkipReason = {
  /** A feature the spec needs is absent or null (still warming up). */
  missingFeature: 'MISSING_FEATURE',
  /** No positive finite price under any of the price keys. */
  noPrice: 'NO_PRICE',
  /** A transformed or normalised value is not finite (e.g. an overflow). */
  nonFinite: 'NON_FINITE',
} as const;
export type SkipReason = (typeof SkipReason)[keyof typeof SkipReason];

export type InputBuilderOptions = Readonly<{
  /** See {@link DEFAULT_PRICE_KEYS}. */
  priceKeys?: readonly string[];
  /**
   * Apply the spec's `(x − mean) / std` here (default). Set false for a model whose graph carries
   * its own standardisation (`exportDenseMlp({ normalization })`), or it would be applied twice.
   */
  normalize?: boolean;
}>;

export type InputBuilder = Readonly<{
  /** Features per row (the spec's length). */
  width: number;
  /**
   * Writes the model row of `vector` into `out` at `offset` (`width` values) and returns the
   * price it used, or a {@link SkipReason} when the vector cannot be scored. `out` may be
   * partially written on a skip.
   */
  build(vector: FeatureVector, out: Float32Array, offset: number): number | SkipReason;
  /** The price of a vector (first positive finite price key), or undefined. */
  priceOf(vector: FeatureVector): number | undefined;
}>;

/**
 * Turns feature vectors into model rows per a {@link FeatureSpec}: columns in spec order, each
 * transformed (`raw`, or `rel_price` = value / price so level features become scale-free) and
 * standardised. A row with a missing feature is refused rather than imputed: a model fed a
 * made-up value gives a confident-looking prediction nobody can trust.
 *
 * @example
 * const b = createInputBuilder(spec);
 * const row = new Float32Array(b.width);
 * const price = b.build(vector, row, 0); // number, or 'MISSING_FEATURE' | 'NO_PRICE' | 'NON_FINITE'
 */
export function createInputBuilder(spec: FeatureSpec, options: InputBuilderOptions = {}): InputBuilder {
  const priceKeys = options.priceKeys ?? DEFAULT_PRICE_KEYS;
  if (priceKeys.length === 0) throw new RangeError('priceKeys must name at least one value');
  const normalize = options.normalize ?? true;
  const names = [...spec.features];
  const width = names.length;
  const mean = Float64Array.from(spec.mean);
  const invStd = Float64Array.from(spec.std, (s) => 1 / s);
  const relPrice = spec.transforms.map((t) => t === 'rel_price');

  const readPrice = compilePositiveValueReader(priceKeys);
  const readFeatures = compileNamedValueReader(names);
  const raw = new Float64Array(width);
  const priceOf = (vector: FeatureVector): number | undefined => readPrice(vector.values);

  const build = (vector: FeatureVector, out: Float32Array, offset: number): number | SkipReason => {
    const price = readPrice(vector.values);
    if (price === undefined) return SkipReason.noPrice;
    // Features before the first missing one are still checked in order, so the reason is the same as reading them one by one.
    const present = readFeatures(vector.values, raw);
    for (let j = 0; j < width; j++) {
      if (j === present) return SkipReason.missingFeature;
      let x = raw[j] as number;
      if (relPrice[j] === true) x /= price;
      if (normalize) x = (x - (mean[j] as number)) * (invStd[j] as number);
      if (!Number.isFinite(x)) return SkipReason.nonFinite;
      out[offset + j] = x;
    }
    return price;
  };

  return { width, build, priceOf };
}
