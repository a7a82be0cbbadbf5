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

/**
 * How long the risk-store write of `halt`, `resume`, `reduce` and `limits set` may wait (a lock
 * held on the risk tables, a slow statement) before PostgreSQL cancels it, nothing stored
 * (`lock_timeout` and `statement_timeout` of its transaction), or, a server that answers nothing,
 * 250 ms later client-side (`ANSWER_MARGIN_MS`, state/pg-durable-write.ts): the command answers
 * UNAVAILABLE, a resume or reduce not carried out, instead of waiting past `sextant ctl`'s timeout.
 * The command as a whole (its turn behind earlier risk writes, both writes of a `limits set` that
 * halts, a wait for a pooled connection) is answered within this and twice that margin of its
 * receipt (actors/risk-actor.ts). The audit write comes after it, so the two together stay under
 * {@link MAX_AUDIT_DEADLINE_MS} (and the margins).
 */
export const RISK_WRITE_TIMEOUT_MS = 1500;

/** The `control:` section of the config: the engine's operator-control server (`sx.ctl.<verb>`, gateways/control). */
export const ControlConfigSchema = z
  .object({
    auditDeadlineMs: z.number().int().min(100).max(MAX_AUDIT_DEADLINE_MS).default(AUDIT_DEADLINE_MS),
    riskWriteTimeoutMs: z.number().int().min(100).max(MAX_AUDIT_DEADLINE_MS).default(RISK_WRITE_TIMEOUT_MS),
  })
  .strict()
  .refine((c) => c.riskWriteTimeoutMs + c.auditDeadlineMs <= MAX_AUDIT_DEADLINE_MS, {
    message: `riskWriteTimeoutMs + auditDeadlineMs must be at most ${MAX_AUDIT_DEADLINE_MS} ms: a command waits for both in turn, and sextant ctl gives up after 5000`,
    path: ['riskWriteTimeoutMs'],
  });

export type ControlConfig = z.infer<typeof ControlConfigSchema>;
