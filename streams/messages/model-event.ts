import { z } from 'zod';
import { epochMs, messageId, token } from './common.js';

/**
 * `alias_removed`: `alias` points at nothing now; `version` is the version it pointed at (a
 * retraining cycle's `candidate` once the cycle ended, `ModelRegistry.removeAlias`).
 */
export const ModelEventKindSchema = z.enum(['registered', 'promoted', 'rolled_back', 'rejected', 'alias_removed']);
export type ModelEventKind = z.infer<typeof ModelEventKindSchema>;

/** A model registry event, v1 (`sx.model.<name>.<event>`). */
export const ModelEventSchema = z
  .object({
    type: z.literal('model.event'),
    v: z.literal(1),
    id: messageId,
    ts: epochMs,
    name: token,
    event: ModelEventKindSchema,
    version: z.number().int().positive(),
    alias: z.string().min(1).max(64).nullable(),
    /** The version the alias pointed to before, for promotions and rollbacks. */
    previousVersion: z.number().int().positive().nullable(),
    actor: z.string().min(1).max(128),
    reason: z.string(),
  })
  .readonly();
export type ModelEvent = z.infer<typeof ModelEventSchema>;
