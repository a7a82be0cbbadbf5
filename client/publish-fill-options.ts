import { z } from 'zod';
import { ClientValidationError } from './errors.js';
import { enginePrefix } from './subscribe-options.js';

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

/** Throws {@link ClientValidationError} naming each option of `publishFill` that is not usable, with its value. */
export function checkPublishFillOptions(opts: unknown): void {
  const r = PublishFillOptionsSchema.safeParse(opts, { reportInput: true });
  if (r.success) return;
  const text = r.error.issues.map((i) => `${i.path.length > 0 ? i.path.map(String).join('.') : '(options)'}: ${i.message} (got ${shown(i.input)})`).join('; ');
  throw new ClientValidationError(`invalid publishFill options: ${text}`);
}

const shown = (v: unknown): string => (typeof v === 'number' || typeof v === 'bigint' ? String(v) : v === undefined ? 'undefined' : JSON.stringify(v));
