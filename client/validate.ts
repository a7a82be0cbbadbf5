import type { z } from 'zod';
import { RefusalReason } from '../streams/messages/dlq-entry.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

export type Checked<T> = Readonly<{ ok: true; value: T }> | Readonly<{ ok: false; reason: RefusalReason; detail: string }>;

/** `path: message; …` of a zod error, so a refusal names the offending field. */
export const issuesText = (issues: readonly { path: readonly PropertyKey[]; message: string }[]): string =>
  issues.map((i) => `${i.path.length > 0 ? i.path.map(String).join('.') : '(message)'}: ${i.message}`).join('; ');

/** Decodes UTF-8 JSON and validates it with `schema`; a refusal says why, never throws. */
export function decodeWith<T>(schema: z.ZodType<T>, data: Uint8Array): Checked<T> {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(data));
  } catch (e) {
    return { ok: false, reason: RefusalReason.MALFORMED_JSON, detail: `not UTF-8 JSON: ${(e as Error).message}` };
  }
  const r = schema.safeParse(json);
  if (!r.success) return { ok: false, reason: RefusalReason.SCHEMA, detail: issuesText(r.error.issues) };
  return { ok: true, value: r.data };
}
