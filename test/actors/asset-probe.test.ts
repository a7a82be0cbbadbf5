import { describe, expect, it } from 'vitest';
import { startAssetActor } from '../../actors/asset-actor.js';
import { RefusalReason } from '../../streams/messages/dlq-entry.js';
import { actorOptions, makeBars, makeWorld, publishAll, publishRaw, until } from './harness.js';

describe('asset actor probe (the decode mark stage timing splits on)', () => {
  it('marks each batch once, after every message of it is decoded and validated and before the batch is committed', async () => {
    const w = await makeWorld();
    const bars = makeBars(30);
    await publishAll(w, bars.slice(0, 20));
    await publishRaw(w, w.subjects.bar('binance', 'BTC/USDT', '1h'), '{"type":"md.bar",', 'bad-json');
    await publishRaw(w, w.subjects.bar('binance', 'BTC/USDT', '1h'), { ...bars[5], id: 'b:old' }, 'old-bar');
    await publishAll(w, bars.slice(20));
    const marks: Array<{ messagesIn: number; accepted: number; refused: number; featuresOut: number }> = [];
    const probe = {
      decoded: () =>
        marks.push({
          messagesIn: w.counters.messagesIn,
          accepted: w.counters.accepted,
          refused: Object.values(w.counters.refused).reduce((a, b) => a + b, 0),
          featuresOut: w.counters.featuresOut,
        }),
    };
    const actor = await startAssetActor({ ...w.deps, probe }, { ...actorOptions(w.cfg), batchSize: 8 });
    await until(() => w.counters.featuresOut === 30, 'all bars applied');
    await actor.stop();

    expect(w.counters.refused).toEqual({ [RefusalReason.MALFORMED_JSON]: 1, [RefusalReason.OUT_OF_ORDER]: 1 });
    // 32 messages in batches of at most 8: a mark per batch, each after its whole batch was
    // counted in (accepted or refused) and before that batch's vectors were committed.
    expect(marks.length).toBeGreaterThanOrEqual(4);
    expect(marks.at(-1)).toMatchObject({ messagesIn: 32, accepted: 30, refused: 2 });
    let prev = { messagesIn: 0, featuresOut: 0 };
    for (const m of marks) {
      expect(m.messagesIn - prev.messagesIn).toBeGreaterThan(0);
      expect(m.messagesIn - prev.messagesIn).toBeLessThanOrEqual(8);
      expect(m.accepted + m.refused).toBe(m.messagesIn);
      expect(m.featuresOut).toBeLessThan(m.accepted);
      prev = m;
    }
  });
});
