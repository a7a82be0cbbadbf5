import type { RefusalReason } from '../messages/dlq-entry.js';

/** A refused message: a value, never an exception that unwinds an actor. */
export type Refusal = Readonly<{ ok: false; reason: RefusalReason; detail: string }>;

export const refuse = (reason: RefusalReason, detail: string): Refusal => ({ ok: false, reason, detail });

/** `path: problem; …` of a schema's issues; an issue of the whole message (an unknown field) is its problem alone. */
export const schemaIssues = (issues: readonly Readonly<{ path: readonly PropertyKey[]; message: string }>[]): string =>
  issues.map((i) => (i.path.length > 0 ? `${i.path.map(String).join('.')}: ${i.message}` : i.message)).join('; ');
