import { z } from 'zod';
import { epochMs } from './common.js';

/**
 * `<prefix>.engine.presence` (core NATS request/reply, cli/engine-presence.ts): an engine asks
 * whether another one already holds its namespace before it starts, and answers there while it
 * runs. The request is `{}`; the reply names the engine that answers. Not versioned messages:
 * neither carries `type`, `v` or `id`.
 */
export const EnginePresenceRequestSchema = z.object({}).readonly();

/** Who holds a namespace: the reply on `<prefix>.engine.presence`. */
export const EngineIdentitySchema = z
  .object({
    pid: z.number().int().positive(),
    host: z.string(),
    /** When that engine claimed the namespace (ms since epoch, wall clock). */
    startedAt: epochMs,
  })
  .readonly();
export type EngineIdentity = z.infer<typeof EngineIdentitySchema>;
