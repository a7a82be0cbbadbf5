import { z } from 'zod';
import { epochMs, finite, messageId, positive, symbol, token } from './common.js';

const probability = finite.min(0, { error: 'must be in [0, 1]' }).max(1, { error: 'must be in [0, 1]' });
const interval = z.tuple([finite, finite]).refine(([lo, hi]) => lo <= hi, { message: 'lower bound must not exceed upper bound' });

/** What the strategy wants to hold after this prediction: a signed target position in base units. */
export const PositionIntentSchema = z.object({ target: finite }).readonly();
export type PositionIntent = z.infer<typeof PositionIntentSchema>;

/**
 * A model's prediction for one asset after one feature vector, v1. `probs` are the class
 * probabilities (down / flat / up over `horizonMs`); `expectedReturn` is a log return over the
 * horizon with split-conformal intervals; `attributions` are the top features by occlusion
 * against a running baseline (change in expected return when the feature is replaced).
 * `intent` is null when confidence is below the threshold or the interval is too wide.
 */
export const PredictionSchema = z
  .object({
    type: z.literal('pred'),
    v: z.literal(1),
    id: messageId,
    ts: epochMs,
    strategy: token,
    venue: token,
    symbol,
    /** Id of the feature vector the prediction was made from. */
    source: messageId,
    model: z.object({ name: token, version: z.number().int().positive() }).readonly(),
    featureSpecHash: z.string().min(1).max(128),
    horizonMs: z.number().int().positive(),
    probs: z.object({ down: probability, flat: probability, up: probability }).readonly(),
    expectedReturn: finite,
    interval80: interval,
    interval95: interval,
    attributions: z.array(z.object({ feature: z.string().min(1), contribution: finite }).readonly()).readonly(),
    confidence: probability,
    /** Last price seen with the features (close or mid), so downstream actors need no lookup. */
    price: positive,
    intent: PositionIntentSchema.nullable(),
  })
  .readonly();
export type Prediction = z.infer<typeof PredictionSchema>;

export const predictionId = (strategy: string, featureVectorId: string): string => `p:${strategy}:${featureVectorId}`;
