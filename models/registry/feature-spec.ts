import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * What a model reads, in order, and how each column is normalised before inference:
 * `x' = (x - mean) / std`. A missing (null) feature makes the row unusable (no prediction).
 * The hash identifies the spec in predictions, so a consumer can tell which inputs a model saw.
 */
export const FeatureSpecSchema = z
  .object({
    version: z.literal(1),
    features: z.array(z.string().min(1)).min(1).readonly(),
    mean: z.array(z.number()).readonly(),
    std: z.array(z.number().positive()).readonly(),
    /** How each feature is derived from the raw feature vector (`raw`, or a ratio to the close/price). */
    transforms: z.array(z.enum(['raw', 'rel_price'])).readonly(),
    /**
     * A sequence model's input window: `steps` consecutive rows of one asset, oldest first, each
     * `stepMs` after the one before (bars of the training timeframe). Absent for a model that
     * reads one row; older registry rows lack it (see `sequenceWindowOf`).
     */
    window: z.object({ steps: z.number().int().min(1).max(4096), stepMs: z.number().int().positive() }).strict().readonly().optional(),
  })
  .readonly()
  .refine((s) => s.mean.length === s.features.length && s.std.length === s.features.length && s.transforms.length === s.features.length, {
    message: 'features, mean, std and transforms must have the same length',
  });
export type FeatureSpec = z.infer<typeof FeatureSpecSchema>;

/**
 * sha256 over the canonical JSON of the spec (stable key order), first 16 hex digits. The window
 * enters only when present, so specs without one keep the hashes they were registered with.
 */
export function featureSpecHash(spec: FeatureSpec): string {
  const w = spec.window;
  const canonical = JSON.stringify({
    version: spec.version,
    features: spec.features,
    mean: spec.mean,
    std: spec.std,
    transforms: spec.transforms,
    ...(w !== undefined ? { window: { steps: w.steps, stepMs: w.stepMs } } : {}),
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}
