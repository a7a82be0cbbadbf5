import { describe, expect, it } from 'vitest';
import { awaitLabeling, demoLabelingLine, labelingRefusals } from '../../cli/commands/demo-labeling.js';
import type { LabelingStats } from '../../actors/labeling-actor.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { encode } from '../../streams/codec.js';
import { subjectsFor } from '../../streams/subjects.js';

const stats = (received: number): LabelingStats => ({ received, refused: 0, unlabeled: 0, refusedInputs: 0, skippedSeq: 0, labeled: received, samples: received, published: 0, duplicates: 0, waitingFeatures: 0, pathsFromStore: 0, pending: 0, relabelsSkipped: 0, noBarsRefused: 0, recorderGoneRefused: 0 });

/** A labeling actor reading `total` messages behind the replay, `perRead` more each time it is looked at. */
function lagging(total: number, perRead: number) {
  let received = 0;
  const labeling = { consumers: [{ stream: 'S', durable: 'd' }], stats: () => stats(received), done: new Promise<void>(() => {}) };
  const bus = {
    consumerInfo: () => {
      const left = total - received;
      received = Math.min(total, received + perRead);
      return Promise.resolve({ pending: Math.max(0, left - 1), ackPending: left > 0 ? 1 : 0, ackFloor: received });
    },
  };
  return { labeling, bus };
}

describe('the demo waits for labeling', () => {
  it('waits until the labeling actor has nothing pending nor unacknowledged, saying how far it is', async () => {
    // The demo stopped the labeling actor as soon as the asset actors were through: on a January–July
    // window it had labeled only to early March, and the summary said nothing of labeling.
    const { labeling, bus } = lagging(1000, 300);
    const seen: [number, number][] = [];
    const r = await awaitLabeling({ labeling, bus, stallMs: 1000, pollMs: 1, now: () => 0, onProgress: (h, t) => seen.push([h, t]) });
    expect(r).toEqual({ caughtUp: true, left: 0 });
    expect(labeling.stats().received).toBe(1000);
    expect(seen.at(-1)).toEqual([1000, 1000]);
    expect(seen.length).toBeGreaterThan(2);
  });

  it('gives up when the actor handles nothing for stallMs, saying what was left', async () => {
    const labeling = { consumers: [{ stream: 'S', durable: 'd' }], stats: () => stats(10), done: new Promise<void>(() => {}) };
    const bus = { consumerInfo: () => Promise.resolve({ pending: 5, ackPending: 2, ackFloor: 10 }) };
    let t = 0;
    const r = await awaitLabeling({ labeling, bus, stallMs: 50, pollMs: 1, now: () => (t += 10) });
    expect(r).toEqual({ caughtUp: false, left: 7 });
  });

  it('stops waiting once a consumer ended on an error, or at the signal', async () => {
    const bus = { consumerInfo: () => Promise.resolve({ pending: 5, ackPending: 0, ackFloor: 10 }) };
    const ended = { consumers: [{ stream: 'S', durable: 'd' }], stats: () => stats(10), done: Promise.resolve() };
    expect(await awaitLabeling({ labeling: ended, bus, stallMs: 60_000, pollMs: 1, now: () => 0 })).toEqual({ caughtUp: false, left: 5 });
    const running = { ...ended, done: new Promise<void>(() => {}) };
    expect(await awaitLabeling({ labeling: running, bus, stallMs: 60_000, pollMs: 1, now: () => 0, signal: AbortSignal.abort() })).toEqual({ caughtUp: false, left: 5 });
  });

  it('counts the refusals on the labeling dead-letter subject by reason, predictions and orders apart from other input messages', async () => {
    const bus = createMemoryBus();
    const subjects = subjectsFor('sx');
    await bus.ensureStreams([{ name: 'DLQ', subjects: ['sx.dlq.>'], maxAgeMs: 60_000, duplicateWindowMs: 60_000, storage: 'memory' }]);
    const entry = (id: string, reason: string, subject: string) => ({ type: 'dlq.entry', v: 1, id, source: 'labeling', reason, detail: 'x', subject, payload: '{}', ts: 1 });
    const dlq = [
      ['PROCESSING_FAILED', subjects.prediction('s', 'binance', 'BTC/USDT')],
      ['PROCESSING_FAILED', subjects.order('s', 'binance', 'BTC/USDT')],
      ['MALFORMED_JSON', subjects.prediction('s', 'binance', 'BTC/USDT')],
      // The demo's injected bad bars, refused by the labeling actor's bar consumer as by the asset actor: no prediction lost.
      ['MALFORMED_JSON', subjects.bar('binance', 'BTC/USDT', '1h')],
      ['NON_POSITIVE', subjects.bar('binance', 'BTC/USDT', '1h')],
      ['SCHEMA', subjects.fill('binance', 'BTC/USDT')],
    ] as const;
    for (const [i, [reason, subject]] of dlq.entries()) await bus.publish('sx.dlq.labeling', encode(entry(`e${i}`, reason, subject)), { msgId: `e${i}` });
    await bus.publish('sx.dlq.labeling', new TextEncoder().encode('{"type":'), { msgId: 'bad' });
    await bus.publish('sx.dlq.asset', encode(entry('a', 'SCHEMA', 'sx.pred.s')), { msgId: 'a' });
    expect(await labelingRefusals(bus, 'DLQ', subjects)).toEqual({
      refused: { PROCESSING_FAILED: 2, MALFORMED_JSON: 2, NON_POSITIVE: 1, SCHEMA: 1, UNREADABLE: 1 },
      unlabeled: { PROCESSING_FAILED: 2, MALFORMED_JSON: 1, UNREADABLE: 1 },
      refusedInputs: { MALFORMED_JSON: 1, NON_POSITIVE: 1, SCHEMA: 1 },
    });
  });

  it('says what labeling did in the summary line, telling unlabeled predictions and orders from refused input messages', () => {
    const l = { caughtUp: true, left: 0, labeled: 12690, samples: 12690, refused: { PROCESSING_FAILED: 9 }, unlabeled: { PROCESSING_FAILED: 9 }, refusedInputs: {}, pending: 15, waiting: 0 };
    expect(demoLabelingLine(l)).toBe("12690 labeled, 12690 training samples stored, 9 predictions and orders refused unlabeled (PROCESSING_FAILED=9); 15 pending at the end (with a horizon past the window's last bar)");
    const none = { ...l, refused: {}, unlabeled: {} };
    expect(demoLabelingLine({ ...none, caughtUp: false, left: 40 })).toBe('12690 labeled, 12690 training samples stored, refused none; NOT caught up: stopped with 40 messages unread and 15 pending');
    // The demo's injected bad bars read as labeling refusals, as if predictions had gone unlabeled.
    const bars = { MALFORMED_JSON: 1, NON_POSITIVE: 1 };
    expect(demoLabelingLine({ ...none, refused: bars, refusedInputs: bars })).toBe(
      "12690 labeled, 12690 training samples stored, no prediction or order refused, 2 bad input messages refused (MALFORMED_JSON=1 NON_POSITIVE=1: no prediction or order among them); 15 pending at the end (with a horizon past the window's last bar)",
    );
    expect(demoLabelingLine({ ...l, refused: { PROCESSING_FAILED: 9, ...bars }, refusedInputs: bars })).toContain('9 predictions and orders refused unlabeled (PROCESSING_FAILED=9), 2 bad input messages refused (MALFORMED_JSON=1 NON_POSITIVE=1: no prediction or order among them);');
  });
});
