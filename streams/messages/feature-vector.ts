import { z } from 'zod';
import { epochMs, finite, messageId, symbol, token } from './common.js';

/**
 * The features of one asset after one input event, v1. `values` maps the oracle column names
 * (`sma_20`, `rsi_14`, …) to a number, or null while that feature warms up. `source` is the id
 * of the market-data message that produced it.
 */
export const FeatureVectorSchema = z
  .object({
    type: z.literal('feat.vector'),
    v: z.literal(1),
    id: messageId,
    venue: token,
    symbol,
    ts: epochMs,
    source: messageId,
    values: z.record(z.string(), finite.nullable()),
  })
  .readonly();
export type FeatureVector = z.infer<typeof FeatureVectorSchema>;

export const featureVectorId = (sourceId: string): string => `f:${sourceId}`;
