import { z } from 'zod';

/**
 * How long a control request's audit write, its tries included, may take before the reply goes
 * out without it: well under `sextant ctl`'s default `--timeout` (5000 ms) and the HTTP gateway's
 * `controlTimeoutMs` (5000), so an operator gets an answer (a warning, or UNAVAILABLE for a
 * change) rather than "engine not reached" while PostgreSQL hangs.
 */
export const AUDIT_DEADLINE_MS = 2000;

/** The most `control.auditDeadlineMs` may be: under ctl's default timeout with a second to spare. */
export const MAX_AUDIT_DEADLINE_MS = 4000;

/** The `control:` section of the config: the engine's operator-control server (`sx.ctl.<verb>`, gateways/control). */
export const ControlConfigSchema = z
  .object({
    auditDeadlineMs: z.number().int().min(100).max(MAX_AUDIT_DEADLINE_MS).default(AUDIT_DEADLINE_MS),
  })
  .strict();

export type ControlConfig = z.infer<typeof ControlConfigSchema>;
