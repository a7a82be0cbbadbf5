import { describe, expect, it } from 'vitest';
import { startRiskActor } from '../../actors/risk-actor.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { encode } from '../../streams/codec.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { DlqEntrySchema } from '../../streams/messages/dlq-entry.js';
import type { DlqEntry } from '../../streams/messages/dlq-entry.js';
import { expiryId } from '../../streams/messages/expiry.js';
import { subjectsFor } from '../../streams/subjects.js';
import { baseLimits, BTC, fill, T0, VENUE } from './risk-fixtures.js';

const subjects = subjectsFor('sx');

/**
 * A fill or expiry with a field v1 has not is refused by an issue of the whole message (its path is
 * empty): the risk actor joined path and message itself, so the dead letter's detail read
 * ": unknown field feeCurrency: …". It uses `schemaIssues`, as the fill and expiry decoders do.
 */
describe('risk actor: the detail of a SCHEMA dead letter for an issue of the whole message', () => {
  it('names the unknown field of a fill and of an expiry without a leading ": "', async () => {
    const bus = createMemoryBus();
    for (const name of ['SIGNALS', 'DLQ'] as const) await bus.ensureStreams([{ name, subjects: subjects.streamSubjects[name], maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' }]);
    const actor = await startRiskActor({ bus, subjects, store: createMemoryRiskStore(), clock: createSimulatedClock(T0), log: silentLogger }, { account: 'acc', limits: baseLimits });
    const dead: DlqEntry[] = [];
    const c = bus.consume({ stream: 'DLQ', durable: 'd', filterSubject: subjects.dlq('risk') }, (batch) => {
      for (const d of batch) dead.push(DlqEntrySchema.parse(JSON.parse(new TextDecoder().decode(d.data))));
    });
    try {
      await bus.publish(subjects.fill(VENUE, BTC), encode({ ...fill({ orderId: 'o:a' }), feeCurrency: 'BNB' }));
      const expiry = { type: 'exec.expired', v: 1, id: expiryId('o:a'), ts: T0, orderId: 'o:a', strategy: 'alpha', venue: VENUE, symbol: BTC, filledQty: 0, remainingQty: 1, reason: 'venue', cancelledBy: 'desk' };
      await bus.publish(subjects.expired(VENUE, BTC), encode(expiry));
      for (let i = 0; i < 500 && dead.length < 2; i++) await new Promise((r) => setImmediate(r));
      expect(dead.map((e) => [e.reason, e.detail])).toEqual([
        ['SCHEMA', 'unknown field feeCurrency: not in the v1 fill (a new field is a new schema version), refused rather than dropped'],
        ['SCHEMA', 'unknown field cancelledBy: not in the v1 expiry (a new field is a new schema version), refused rather than dropped'],
      ]);
    } finally {
      await c.stop();
      await actor.stop();
    }
  });
});
