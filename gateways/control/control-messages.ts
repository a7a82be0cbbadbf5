import { z } from 'zod';

/**
 * Operator control over NATS request/reply on `sx.ctl.<verb>` (v1). Every request names the
 * operator and carries a request id (for the audit trail and idempotent retries); every reply is
 * `{ ok: true, result }` or `{ ok: false, error: { code, message } }`.
 */
export const CONTROL_VERBS = ['status', 'halt', 'resume', 'reduce', 'limits.get', 'limits.set', 'model.list', 'model.deploy', 'model.rollback', 'model.remove-alias', 'retrain.trigger', 'retrain.pause', 'retrain.resume', 'retrain.status'] as const;
export type ControlVerb = (typeof CONTROL_VERBS)[number];

/** A strategy, model or alias name in a control request. */
export const CONTROL_NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;
export const CONTROL_NAME_RULE = 'letters, digits, _ and - (1 to 64)';
/** The longest symbol a scoped halt or resume may name (characters). */
export const MAX_SCOPE_SYMBOL_CHARS = 64;
const name = z.string().regex(CONTROL_NAME_RE, CONTROL_NAME_RULE);
const scope = z.discriminatedUnion('scope', [
  z.object({ scope: z.literal('all') }),
  z.object({ scope: z.literal('strategy'), value: name }),
  z.object({ scope: z.literal('symbol'), value: z.string().min(1).max(MAX_SCOPE_SYMBOL_CHARS) }),
]);
export type ControlScope = z.infer<typeof scope>;

/** The longest `reason` a control request may carry for the audit trail (characters). */
export const MAX_REASON_CHARS = 500;
const reasonText = z.string().min(1).max(MAX_REASON_CHARS);
/** Not blank: a character other than white space (what `trim()` removes); a pattern, so the published schema carries it. */
const notBlank = /\S/;
/**
 * Why, for the audit trail (halt, reduce, retrain trigger and pause): blank text from a client
 * other than `sextant ctl` (which refuses it) was carried out and audited with a reason naming nothing.
 */
const reason = reasonText.regex(notBlank, { error: 'blank: say why' });
const optionalReason = z.string().max(MAX_REASON_CHARS).default('');
/** A deploy's or rollback's reason, when given: it names why in the registry's alias history, so blank text is refused too. */
const modelReason = reasonText.regex(notBlank, { error: 'blank: say why, or leave the reason out' });

export const ControlArgsSchemas = {
  status: z.object({}).strict(),
  halt: z.object({ target: scope.default({ scope: 'all' }), reason }).strict(),
  resume: z.object({ target: scope.default({ scope: 'all' }), reason: optionalReason }).strict(),
  /**
   * The whole account to reduce-only (REDUCING): orders that shrink a position pass, nothing else;
   * `resume` lifts it. With `flatten`, execution also closes every position, and the account halts
   * by itself once flat.
   */
  reduce: z.object({ reason, flatten: z.boolean().optional() }).strict(),
  'limits.get': z.object({}).strict(),
  'limits.set': z.object({ patch: z.record(z.string(), z.unknown()) }).strict(),
  'model.list': z.object({ name: name.optional() }).strict(),
  /** `reason`: why, into the audit row and the registry's alias history (absent: the command's name alone). */
  'model.deploy': z.object({ name, version: z.number().int().positive(), alias: name.default('production'), reason: modelReason.optional() }).strict(),
  /** `to`: back to that earlier version in one step (the registry's rollback of several steps); absent: the version held before. */
  'model.rollback': z.object({ name, alias: name.default('production'), to: z.number().int().positive().optional(), reason: modelReason.optional() }).strict(),
  /**
   * Removes an alias (it points at nothing afterwards; the version is left as it is, still
   * deployable). `production` is refused: engines serve it, and what replaces it is a deploy or a
   * rollback to another version, never nothing (an engine serving `name@production` would have no
   * model to swap to). `reason`: as a deploy's.
   */
  'model.remove-alias': z.object({ name, alias: name, reason: modelReason.optional() }).strict(),
  /** Retraining actor (actors/retraining-actor.ts): start a cycle now, hold it, let it go on, report. */
  'retrain.trigger': z.object({ reason }).strict(),
  'retrain.pause': z.object({ reason }).strict(),
  'retrain.resume': z.object({ reason: optionalReason }).strict(),
  'retrain.status': z.object({}).strict(),
} as const satisfies Record<ControlVerb, z.ZodType>;
export type ControlArgs<V extends ControlVerb> = z.infer<(typeof ControlArgsSchemas)[V]>;

export const ControlRequestSchema = z
  .object({
    v: z.literal(1),
    id: z.string().min(1).max(128),
    // Who, for the audit trail: blank (`--operator "  "`) was stored as a row nobody can be found by.
    operator: z.string().min(1).max(128).regex(notBlank, { error: 'blank: say who is asking' }),
    args: z.unknown().default({}),
  })
  .strict();
export type ControlRequest = z.infer<typeof ControlRequestSchema>;

export const ControlErrorCode = {
  BAD_REQUEST: 'BAD_REQUEST',
  UNKNOWN_VERB: 'UNKNOWN_VERB',
  REFUSED: 'REFUSED',
  NOT_FOUND: 'NOT_FOUND',
  UNAVAILABLE: 'UNAVAILABLE',
  INTERNAL: 'INTERNAL',
} as const;
export type ControlErrorCode = (typeof ControlErrorCode)[keyof typeof ControlErrorCode];

export const ControlReplySchema = z.discriminatedUnion('ok', [
  // `warning`: answered, with a caveat the operator must see (a read-only request whose audit
  // write failed: the answer is given, the record of the question is not kept).
  z.object({ v: z.literal(1), id: z.string(), ok: z.literal(true), result: z.unknown(), warning: z.string().optional() }),
  z.object({
    v: z.literal(1),
    id: z.string(),
    ok: z.literal(false),
    error: z.object({ code: z.enum(Object.values(ControlErrorCode) as [ControlErrorCode, ...ControlErrorCode[]]), message: z.string() }),
  }),
]);
export type ControlReply = z.infer<typeof ControlReplySchema>;

/** A failure a control target reports on purpose (a refused limit, an unknown model): passed to the operator as is. */
export class ControlError extends Error {
  override readonly name = 'ControlError';
  constructor(
    readonly code: ControlErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const isControlVerb = (v: string): v is ControlVerb => (CONTROL_VERBS as readonly string[]).includes(v);
