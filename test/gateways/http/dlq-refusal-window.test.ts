import { describe, expect, it } from 'vitest';
import { feedMetricsFromBus } from '../../../gateways/http/metrics-feed.js';
import { createEngineMetrics } from '../../../gateways/http/metrics.js';
import { createMemoryBus } from '../../../streams/memory-bus.js';
import { encode } from '../../../streams/codec.js';
import { subjectsFor } from '../../../streams/subjects.js';
import { toDlqEntry } from '../../../streams/validation/dlq.js';
import { refuse } from '../../../streams/validation/refusal.js';
import { parsePromText, sampleValue } from './prom-text.js';

const T0 = 1_700_000_000_000;
const bytes = new TextEncoder();

/**
 * sextant_refusals_total counts a dead letter once per id for the DLQ stream's duplicate window,
 * as the stream stores it once: remembering the last 10,000 ids instead counted a re-send twice
 * when more than 10,000 other refusals came between the two sends (a feed whose every tick is
 * refused, then a batch redelivered after the ack wait), though the stream dropped the re-send.
 */
describe('sextant_refusals_total and the DLQ duplicate window', () => {
  it('counts a re-send after a burst of 12,000 other refusals once, and one past the window again', async () => {
    const bus = createMemoryBus();
    const subjects = subjectsFor('dlqw');
    const metrics = createEngineMetrics({ defaultMetrics: false });
    let now = T0;
    const feed = feedMetricsFromBus(bus, subjects, metrics, { dlqDuplicateWindowMs: 120_000, now: () => now });
    const entry = (n: number): Uint8Array =>
      encode(toDlqEntry({ source: 'md', subject: `dlqw.md.tick.${n}`, data: bytes.encode(`{"bad":${n}}`), refusal: refuse('SCHEMA', 'bad tick'), ts: T0, streamSeq: n + 1 }));
    const refusals = async (): Promise<number | undefined> => sampleValue(parsePromText(await metrics.text()), 'sextant_refusals_total', { reason: 'SCHEMA', source: 'md' });
    try {
      bus.emit(subjects.dlq('md'), entry(0));
      for (let i = 1; i <= 12_000; i++) bus.emit(subjects.dlq('md'), entry(i));
      await bus.flush();
      expect(await refusals()).toBe(12_001);
      // The first batch redelivered 30 s on: its dead letter re-sent, dropped by the stream.
      now = T0 + 30_000;
      bus.emit(subjects.dlq('md'), entry(0));
      await bus.flush();
      expect(await refusals()).toBe(12_001);
      // Past the window the stream stores a re-send again: a second refusal.
      now = T0 + 120_000;
      bus.emit(subjects.dlq('md'), entry(0));
      await bus.flush();
      expect(await refusals()).toBe(12_002);
    } finally {
      feed.unsubscribe();
      await bus.close();
    }
  });
});
