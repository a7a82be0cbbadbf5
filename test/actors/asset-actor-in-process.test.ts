import { describe, expect, it } from 'vitest';
import { encode } from '../../streams/codec.js';
import { RefusalReason } from '../../streams/messages/dlq-entry.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { BTC, makeBars, makeWorld, readDlq, reference, startActor, until } from './harness.js';

/**
 * A backtest hands the asset actor the objects it published (`publishValue`) rather than their
 * JSON; the verdict on one must be the verdict on its JSON, as on NATS.
 */
describe('asset actor: values published in process', () => {
  it('refuses as OVERSIZE a value whose JSON is over maxPayloadBytes only through fields the schema drops', async () => {
    const bus = createMemoryBus();
    const w = await makeWorld({ bus });
    const bars = makeBars(3);
    const [first, big, last] = bars as [(typeof bars)[0], (typeof bars)[0], (typeof bars)[0]];
    const padded = { ...big, note: 'x'.repeat(w.cfg.validation.maxPayloadBytes) };
    expect(encode(padded).byteLength).toBeGreaterThan(w.cfg.validation.maxPayloadBytes);
    const subject = w.subjects.bar(BTC.venue, BTC.symbol, '1h');
    const actor = await startActor(w);
    await bus.publishValue(subject, first, { msgId: first.id });
    await bus.publishValue(subject, padded, { msgId: padded.id });
    await bus.publishValue(subject, last, { msgId: last.id });
    await until(() => w.counters.messagesIn === 3, 'three handled');
    await actor.stop();

    expect(w.counters.refused).toEqual({ [RefusalReason.OVERSIZE]: 1 });
    expect((await readDlq(w, 1)).map((e) => e.reason)).toEqual([RefusalReason.OVERSIZE]);
    expect((await w.features.latest(BTC))?.values).toEqual(reference([first, last]));
  });
});
