import { z } from 'zod';
import type { FeatureSpec } from './feature-spec.js';
import type { ModelVersion } from './model-registry.js';

/** A sequence model's input window (see `FeatureSpec.window`). */
export type SequenceWindow = NonNullable<FeatureSpec['window']>;

/** What `sextant train --model gru` wrote into `details` before the feature spec carried the window. */
const LegacyDetailsSchema = z.object({
  input: z.object({ layout: z.literal('[batch, window, features]'), window: z.number().int().min(1) }),
  options: z.object({ barMs: z.number().int().positive() }),
});

/**
 * The input window of a registered model: the feature spec's, or for a GRU registered before the
 * spec carried it, the one its registry details record (`details.input.window` bars of
 * `details.options.barMs`). Undefined for a model that reads one row per prediction.
 *
 * @example
 * const w = sequenceWindowOf(await registry.get('direction-gru@3')); // { steps: 16, stepMs: 3_600_000 }
 */
export function sequenceWindowOf(v: Pick<ModelVersion, 'featureSpec' | 'details'>): SequenceWindow | undefined {
  if (v.featureSpec.window !== undefined) return v.featureSpec.window;
  const legacy = LegacyDetailsSchema.safeParse(v.details);
  return legacy.success ? { steps: legacy.data.input.window, stepMs: legacy.data.options.barMs } : undefined;
}
