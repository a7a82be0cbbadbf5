import type { RefusalReason } from '../messages/dlq-entry.js';

/** A refused message: a value, never an exception that unwinds an actor. */
export type Refusal = Readonly<{ ok: false; reason: RefusalReason; detail: string }>;

export const refuse = (reason: RefusalReason, detail: string): Refusal => ({ ok: false, reason, detail });
