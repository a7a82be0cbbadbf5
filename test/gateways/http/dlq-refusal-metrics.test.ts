import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { startRiskActor } from '../../../actors/risk-actor.js';
import { feedMetricsFromBus } from '../../../gateways/http/metrics-feed.js';
import { createEngineMetrics } from '../../../gateways/http/metrics.js';
import { createSimulatedClock } from '../../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../../state/logger.js';
import { createMemoryRiskStore } from '../../../state/memory-risk-store.js';
import type { Bus, PublishOptions } from '../../../streams/bus.js';
import { encode } from '../../../streams/codec.js';
import { createNatsBus } from '../../../streams/nats-bus.js';
import { subjectsFor } from '../../../streams/subjects.js';
import { baseLimits, BTC, suggestion, T0, VENUE } from '../../risk/risk-fixtures.js';
import { parsePromText, sampleValue } from './prom-text.js';

const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';

/** The real NATS bus, failing the first publish on `subject` (a SIGNALS outage in the middle of a batch). */
function failingOnce(bus: Bus, subject: string): Bus & { failed(): boolean } {
  let failures = 1;
  return new Proxy(bus, {
    get(target, key) {
      if (key === 'failed') return () => failures < 1;
      if (key === 'publish') {
        return (s: string, data: Uint8Array, o?: PublishOptions) => (s === subject && failures-- > 0 ? Promise.reject(new Error('SIGNALS unavailable: injected')) : target.publish(s, data, o));
      }
      const v: unknown = Reflect.get(target, key);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as Bus & { failed(): boolean };
}

/**
 * A batch redelivered after a crash refuses its bad message again and re-sends the same dead
 * letter (at-least-once). Its id is derived from the refused message, so the DLQ stream drops the
 * re-send as a duplicate; but a core subscription sees every publish, and the gateway's
 * sextant_refusals_total, fed by one, counted the refusal twice. Real NATS JetStream; fails, never
 * skips, when it is down.
 */
describe('a dead letter re-sent by a redelivered batch (real NATS JetStream)', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
  });

  it('is one DLQ entry and one refusal in the metrics; the same bytes sent again are a second of each', async () => {
    const id = randomUUID().replaceAll('-', '').slice(0, 10);
    const subjects = subjectsFor(`tdlq${id}`);
    const [signals, dlq] = [`TDLQ${id}_SIGNALS`, `TDLQ${id}_DLQ`];
    const nats = await createNatsBus({ url: NATS_URL, name: 'dlq-refusal-metrics', connectTimeoutMs: 3000 });
    cleanup.push(() => nats.close());
    await nats.ensureStreams([
      { name: signals, subjects: subjects.streamSubjects.SIGNALS, maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' },
      { name: dlq, subjects: subjects.streamSubjects.DLQ, maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' },
    ]);
    cleanup.push(() => nats.deleteStreams([signals, dlq]));
    const metrics = createEngineMetrics();
    const feed = feedMetricsFromBus(nats, subjects, metrics);
    cleanup.push(async () => feed.unsubscribe());
    const refusals = async (): Promise<number | undefined> => sampleValue(parsePromText(await metrics.text()), 'sextant_refusals_total', { reason: 'MALFORMED_JSON', source: 'risk' });
    const dlqSeen = async (): Promise<number | undefined> => sampleValue(parsePromText(await metrics.text()), 'sextant_messages_in_total', { subject: subjects.dlq('risk') });

    // The order publish fails once, after the batch's dead letter went out: the whole batch is redelivered.
    const order = subjects.order('alpha', VENUE, BTC);
    const bus = failingOnce(nats, order);
    const actor = await startRiskActor({ bus, subjects, store: createMemoryRiskStore(), clock: createSimulatedClock(T0), log: silentLogger }, { account: 'acc', limits: baseLimits, stream: signals });
    cleanup.push(() => actor.stop());
    await actor.market({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    const bad = new TextEncoder().encode('{"type":"exec.suggest",');
    await nats.publish(subjects.suggestion('alpha', VENUE, BTC), bad);
    const ok = suggestion({ qty: 1 });
    await nats.publish(subjects.suggestion(ok.strategy, ok.venue, ok.symbol), encode(ok));

    await expect.poll(() => nats.countMessages(signals, order), { timeout: 10_000 }).toBe(1); // after the redelivery
    expect(bus.failed()).toBe(true);
    // Both sends of the dead letter reached the feed's core subscription …
    await expect.poll(dlqSeen, { timeout: 5_000 }).toBe(2);
    // … the stream kept one, and the metrics count one refusal (2 before).
    expect(await nats.countMessages(dlq)).toBe(1);
    expect(await refusals()).toBe(1);

    // A sender sending the same bytes again: a second message of the stream, a second refusal.
    await nats.publish(subjects.suggestion('alpha', VENUE, BTC), bad);
    await expect.poll(dlqSeen, { timeout: 5_000 }).toBe(3);
    expect(await nats.countMessages(dlq)).toBe(2);
    expect(await refusals()).toBe(2);
  }, 30_000);
});
