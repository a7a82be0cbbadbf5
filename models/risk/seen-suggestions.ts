import { z } from 'zod';
import { OrderSchema } from '../../streams/messages/order.js';
import { RejectSchema } from '../../streams/messages/reject.js';
import type { Order } from '../../streams/messages/order.js';
import type { Reject } from '../../streams/messages/reject.js';
import type { Suggestion } from '../../streams/messages/suggestion.js';

export type EarlierDecision = Readonly<{ kind: 'order'; order: Order }> | Readonly<{ kind: 'reject'; reject: Reject }>;

const DecisionSchema = z.union([z.object({ kind: z.literal('order'), order: OrderSchema }), z.object({ kind: z.literal('reject'), reject: RejectSchema })]);
/** [suggestion id, event time first seen, content fingerprint, decision], oldest first. */
export const SeenSchema = z.array(z.tuple([z.string(), z.number(), z.string(), DecisionSchema]));
export type SeenSnapshot = z.infer<typeof SeenSchema>;

/**
 * `content` is the fingerprint, made when first needed (a redelivery's lookup, a snapshot): a
 * suggestion decided in this process keeps the object itself, which no one changes (every
 * message is read-only once published), so deciding it costs no JSON. One restored from a
 * snapshot has only its fingerprint.
 */
type Entry = { ts: number; content: string | undefined; suggestion: Suggestion | undefined; decision: EarlierDecision };
const contentOf = (e: Entry): string => (e.content ??= fingerprint(e.suggestion as Suggestion));

/**
 * Every field that makes a suggestion what it is; a redelivery has the same fingerprint. Not
 * `decidedAt`: it follows from `ts` and the data known then, and a fingerprint stored before it
 * existed must still match the suggestion decided again after a restart (not a duplicate id).
 */
const fingerprint = (s: Suggestion): string =>
  JSON.stringify([s.ts, s.strategy, s.venue, s.symbol, s.parentId, s.source, s.policy, s.side, s.qty, s.orderType, s.refPrice, s.limitPrice, s.limitOffsetBps, s.ttlMs, s.child, s.children]);

/**
 * Suggestion ids seen within the dedup window, with the decision each got. An identical
 * redelivery (at-least-once delivery, a restart before the ack) gets its earlier decision back;
 * a different suggestion reusing an id is a DUPLICATE_SUGGESTION.
 */
export function createSeenSuggestions(snapshot?: SeenSnapshot) {
  const seen = new Map<string, Entry>();
  for (const [id, ts, content, decision] of snapshot ?? []) seen.set(id, { ts, content, suggestion: undefined, decision: decision as EarlierDecision });
  return {
    lookup(s: Suggestion): { same: boolean; decision: EarlierDecision } | undefined {
      const e = seen.get(s.id);
      return e === undefined ? undefined : { same: contentOf(e) === fingerprint(s), decision: e.decision };
    },
    remember(s: Suggestion, ts: number, decision: EarlierDecision): void {
      seen.set(s.id, { ts, content: undefined, suggestion: s, decision });
    },
    /** Forgets ids first seen before `cutoff` (insertion order is event order). */
    prune(cutoff: number): void {
      for (const [id, e] of seen) {
        if (e.ts >= cutoff) return;
        seen.delete(id);
      }
    },
    snapshot: (): SeenSnapshot => [...seen.entries()].map(([id, e]) => [id, e.ts, contentOf(e), e.decision as z.infer<typeof DecisionSchema>]),
  };
}
