import { z } from 'zod';
import { ClientValidationError } from './errors.js';
import { enginePrefix } from './subscribe-options.js';
import { unknownOptions } from './unknown-options.js';

/** The longest timer Node keeps: a longer one fires after 1 ms, so the publish would time out at once. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * `timeoutMs` of 0, a negative number, NaN or Infinity quietly meant nats.js's default, and one past
 * the longest Node timer timed out at once; a prefix of two tokens or none made a subject no stream
 * stores (or none at all). Refused before sending instead, naming the option and the value given.
 */
const PublishFillOptionsSchema = z.object({
  prefix: enginePrefix.optional(),
  timeoutMs: z.number().int().positive().max(MAX_TIMER_MS).optional(),
});

/** What a misspelt option most likely meant: `timeout: 1000` waited nats.js's 5 s, `subjectPrefix` published under `sx`. */
const MEANT: Readonly<Record<string, string>> = { timeout: 'timeoutMs', timeout_ms: 'timeoutMs', timeoutMS: 'timeoutMs', ackTimeoutMs: 'timeoutMs', subjectPrefix: 'prefix', subject_prefix: 'prefix' };

/** nats.js publish options a caller may hand on, which the publish sets itself (Nats-Msg-Id is the message's id). */
const setHere = (what: string): Readonly<Record<string, string>> => ({ msgID: `Nats-Msg-Id is the ${what}'s id`, msgId: `Nats-Msg-Id is the ${what}'s id` });

/**
 * Throws {@link ClientValidationError} naming each option of `publishFill` (or, with `fn`,
 * `publishExpiry`: the same options) that is not usable, with its value, and each one it does not
 * know: a JavaScript caller's `timeout: 1000` (for `timeoutMs`) or `subjectPrefix: 'demo'` (for
 * `prefix`) was ignored, so the publish waited the default or went to another engine's subjects.
 */
export function checkPublishFillOptions(opts: unknown, fn: 'publishFill' | 'publishExpiry' = 'publishFill'): void {
  const r = PublishFillOptionsSchema.safeParse(opts, { reportInput: true });
  if (!r.success) {
    const text = r.error.issues.map((i) => `${i.path.length > 0 ? i.path.map(String).join('.') : '(options)'}: ${i.message} (got ${shown(i.input)})`).join('; ');
    throw new ClientValidationError(`invalid ${fn} options: ${text}`);
  }
  const unknown = unknownOptions(opts as object, Object.keys(PublishFillOptionsSchema.shape), MEANT, setHere(fn === 'publishFill' ? 'fill' : 'expiry'));
  if (unknown !== undefined) throw new ClientValidationError(`invalid ${fn} options: ${unknown}`);
}

const shown = (v: unknown): string => (typeof v === 'number' || typeof v === 'bigint' ? String(v) : v === undefined ? 'undefined' : JSON.stringify(v));
