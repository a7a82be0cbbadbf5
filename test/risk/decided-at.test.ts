import { describe, expect, it } from 'vitest';
import { startRiskActor } from '../../actors/risk-actor.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { encode } from '../../streams/codec.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { DlqEntrySchema } from '../../streams/messages/dlq-entry.js';
import type { DlqEntry } from '../../streams/messages/dlq-entry.js';
import { OrderSchema } from '../../streams/messages/order.js';
import type { Order } from '../../streams/messages/order.js';
import { SuggestionSchema } from '../../streams/messages/suggestion.js';
import { subjectsFor } from '../../streams/subjects.js';
import { baseLimits, BTC, suggestion, T0, VENUE } from './risk-fixtures.js';

const subjects = subjectsFor('sx');
const H = 3_600_000;

const order = (over: Partial<Order> = {}): Order => ({
  type: 'exec.order', v: 1, id: 'o:s:p1:0', ts: T0, strategy: 'alpha', venue: VENUE, symbol: BTC, suggestionId: 's:p1:0',
  side: 'buy', qty: 1, orderType: 'limit', limitPrice: 100, expiresAt: T0 + 2 * H, reducing: false, ...over,
});

const issuesOf = (r: { success: boolean; error?: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } }): string[] =>
  (r.error?.issues ?? []).map((i) => `${i.path.map(String).join('.')}: ${i.message}`);

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('decidedAt before ts (decided before its own bar time)', () => {
  it('is refused by the suggestion and order schemas, with the reason; at or after ts, or absent, passes', () => {
    for (const [name, schema, make] of [
      ['suggestion', SuggestionSchema, (d?: number) => suggestion(d === undefined ? {} : { decidedAt: d })],
      ['order', OrderSchema, (d?: number) => order(d === undefined ? {} : { decidedAt: d })],
    ] as const) {
      const early = schema.safeParse(make(T0 - 1));
      expect(early.success, name).toBe(false);
      expect(issuesOf(early), name).toEqual([`decidedAt: ${T0 - 1} is before ts ${T0}: decided before its own time (look-ahead or a producer's bug)`]);
      for (const ok of [make(T0), make(T0 + H), make()]) expect(schema.safeParse(ok).success, name).toBe(true);
    }
  });

  it('a suggestion decided before its ts goes to the risk DLQ with that reason, and the actor goes on deciding', async () => {
    const bus = createMemoryBus();
    await bus.ensureStreams([{ name: 'SIGNALS', subjects: subjects.streamSubjects.SIGNALS, maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' }]);
    await bus.ensureStreams([{ name: 'DLQ', subjects: subjects.streamSubjects.DLQ, maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' }]);
    const actor = await startRiskActor({ bus, subjects, store: createMemoryRiskStore(), clock: createSimulatedClock(T0), log: silentLogger }, { account: 'acc', limits: baseLimits });
    try {
      await actor.market({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
      const early = suggestion({ ts: T0 + H, decidedAt: T0 + H - 60_000, qty: 1 });
      const ok = suggestion({ ts: T0, decidedAt: T0 + H, qty: 1 });
      await bus.publish(subjects.suggestion(early.strategy, early.venue, early.symbol), encode(early));
      await bus.publish(subjects.suggestion(ok.strategy, ok.venue, ok.symbol), encode(ok));
      await until(() => actor.status().inFlight.length === 1, 'the valid suggestion decided');
      expect(actor.status().inFlight.map((o) => o.orderId)).toEqual([`o:${ok.id}`]);
      const dead: DlqEntry[] = [];
      const c = bus.consume({ stream: 'DLQ', durable: 'd', filterSubject: subjects.dlq('risk') }, (batch) => {
        for (const d of batch) dead.push(DlqEntrySchema.parse(JSON.parse(new TextDecoder().decode(d.data))));
      });
      await until(() => dead.length === 1, 'one dead letter');
      await c.stop();
      expect(dead.map((e) => [e.reason, e.detail])).toEqual([['SCHEMA', `decidedAt: ${T0 + H - 60_000} is before ts ${T0 + H}: decided before its own time (look-ahead or a producer's bug)`]]);
    } finally {
      await actor.stop();
      await bus.close();
    }
  });
});
