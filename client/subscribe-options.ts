import { z } from 'zod';
import { ClientValidationError } from './errors.js';
import { NAME_TOKEN_RE } from './filters.js';
import { unknownOptions } from './unknown-options.js';
import { issuesText } from './validate.js';

/** A durable or stream name the server takes: NATS refuses whitespace, `.`, `*` and `>` in one. */
const natsName = z.string().regex(/^[^\s.*>]+$/, 'a NATS name: not empty, no whitespace, ".", "*" or ">"');

/** The engine's config `prefix`: the first token of every subject it uses. */
export const enginePrefix = z.string().regex(/^[a-z][a-z0-9]*$/, "the engine's config prefix: one lowercase subject token");

/**
 * The options of a subscription (the filters are checked by the filter builders).
 * A JavaScript caller's `batch: 1.5` made every pull request one the server drops without an
 * answer, so the subscription waited for ever; `deliver: 'last'` quietly meant `all`; a dead-letter
 * source of two tokens or none failed at the first refused message. Refused before anything is
 * created instead, naming the option.
 */
const SubscribeOptionsSchema = z.object({
  durable: natsName,
  prefix: enginePrefix.optional(),
  stream: natsName.optional(),
  deliver: z.enum(['all', 'new']).optional(),
  batch: z.number().int().positive().optional(),
  ackWaitMs: z.number().int().positive().optional(),
  // The source is one token of `<prefix>.dlq.<source>`: a bad one failed only at the first refused
  // message, maybe days later, ending the subscription then.
  // Not a function (a JavaScript caller's `onInvalid: 'warn'`) threw at the first refused message,
  // ending the subscription there and handing the message back: every restart stopped at it again.
  onInvalid: z.custom<unknown>((v) => typeof v === 'function', 'a function').optional(),
  dlq: z.union([z.boolean(), z.object({ source: z.string().regex(NAME_TOKEN_RE, 'one subject token: 1-64 letters, digits, _ and -') })]).optional(),
});

/** What a misspelt option most likely meant: `symbols` filtered nothing, so every symbol's orders came. */
const MEANT: Readonly<Record<string, string>> = { symbols: 'symbol', strategies: 'strategy', venues: 'venue', deliverPolicy: 'deliver', deliver_policy: 'deliver', ackWait: 'ackWaitMs', ack_wait: 'ackWaitMs', durableName: 'durable', durable_name: 'durable', streamName: 'stream', onExpire: 'onExpired', onExpiry: 'onExpired', expiredGraceMs: 'expiryGraceMs', graceMs: 'expiryGraceMs', minTimeLeft: 'minTimeLeftMs', minTimeLeftMS: 'minTimeLeftMs', minLeftMs: 'minTimeLeftMs', clock: 'now' };

/**
 * Throws {@link ClientValidationError} naming each option that no subscription can use, and each
 * one it does not know (`filterKeys`: the filter fields its caller reads, `strategy`, `venue`,
 * `symbol`). A misspelt option (a JavaScript caller's `symbols: ['BTC/USDT']`, `deliverPolicy: 'new'`)
 * was ignored: the subscription followed every symbol, or started at the stream's first order.
 */
export function checkSubscribeOptions(opts: unknown, filterKeys: readonly string[] = []): void {
  const r = SubscribeOptionsSchema.safeParse(opts);
  if (!r.success) throw new ClientValidationError(`invalid subscription options: ${issuesText(r.error.issues)}`);
  const unknown = unknownOptions(opts as object, [...Object.keys(SubscribeOptionsSchema.shape), ...filterKeys], MEANT);
  if (unknown !== undefined) throw new ClientValidationError(`invalid subscription options: ${unknown}`);
}
