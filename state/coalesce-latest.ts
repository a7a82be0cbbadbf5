import type { FeatureVector } from '../streams/messages/feature-vector.js';

export const assetKeyOf = (venue: string, symbol: string): string => `${venue}:${symbol}`;

/** The newest vector per asset in a batch (by event time; later input wins a tie). */
export function newestPerAsset(vectors: readonly FeatureVector[]): Map<string, FeatureVector> {
  const out = new Map<string, FeatureVector>();
  for (const v of vectors) {
    const k = assetKeyOf(v.venue, v.symbol);
    const prev = out.get(k);
    if (prev === undefined || v.ts >= prev.ts) out.set(k, v);
  }
  return out;
}
