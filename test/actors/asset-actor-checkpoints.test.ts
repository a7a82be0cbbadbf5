import { describe, expect, it } from 'vitest';
import { assetActorKey } from '../../actors/asset-actor.js';
import type { FeatureStore } from '../../state/feature-store.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { BTC, makeBars, makeWorld, publishAll, reference, settle, staleTimeline, startActor, storedVectors, until } from './harness.js';

const HOUR = 3_600_000;
const DURABLE = 'asset_binance_BTC_USDT';
/** Checkpoints every `consumer.batchSize` (16) messages, or after `checkpointMs` on the simulated clock. */
const spaced = (checkpointMs: number) => ({ checkpointMs });

describe('asset actor with spaced checkpoints (asset.checkpointMs)', () => {
  it('acknowledges a batch only once a checkpoint covers it, and stores and emits its vector with that checkpoint', async () => {
    const w = await makeWorld();
    const bars = makeBars(5);
    await publishAll(w, bars);
    const actor = await startActor(w, BTC, spaced(60_000));
    await until(() => w.counters.accepted === 5, 'handled');
    await settle();
    // Handled (history recorded), but nothing saved yet: not acknowledged.
    expect(w.counters.rowsWritten.bars).toBe(5);
    expect(await w.bus.consumerInfo(`${w.cfg.streamNamePrefix}MD`, DURABLE)).toMatchObject({ ackFloor: 0, ackPending: 5 });
    expect(await w.features.loadSnapshot(assetActorKey(BTC))).toBeUndefined();
    expect(await w.features.latest(BTC)).toBeUndefined();
    expect(w.published).toEqual([]);
    expect(actor.lastSeq()).toBe(0);

    w.clock.advanceBy(60_000);
    await until(async () => (await w.features.loadSnapshot(assetActorKey(BTC)))?.streamSeq === 5, 'checkpoint on the clock');
    await until(async () => (await w.bus.consumerInfo(`${w.cfg.streamNamePrefix}MD`, DURABLE))?.ackFloor === 5, 'acknowledged');
    expect(actor.lastSeq()).toBe(5);
    expect((await w.features.history(BTC, 100)).map((v) => v.source)).toEqual(bars.map((b) => b.id).reverse());
    expect(w.published.map((v) => v.source)).toEqual([bars[4]?.id]);
    await actor.stop();
  });

  it('tells its lifecycle of data once a checkpoint saved it: live after the checkpoint of the warm state, stale counted from that checkpoint, never earlier', async () => {
    const w = await makeWorld();
    const bars = makeBars(201); // warm from the 200th bar (as in asset-actor.test.ts)
    await publishAll(w, bars);
    const actor = await startActor(w, BTC, spaced(60_000));
    await until(() => w.counters.accepted === 201, 'handled');
    await settle();
    // The checkpoints due by count (every 16 messages) are saved; the warm state after the last
    // bar is not yet (201 = 12 × 16 + 9): the machine has not heard of it.
    expect(actor.lastSeq()).toBe(192);
    expect(actor.status()).toBe('warming');
    w.clock.advanceBy(60_000); // the spaced checkpoint saves bars 193–201
    await until(() => actor.lastSeq() === 201, 'checkpoint on the clock');
    // Live now, and stale `staleAfterMs` after that checkpoint on the clock, not after the bars were handled.
    expect(staleTimeline(w, actor)).toEqual(['live', 'live', 'stale']);
    await actor.stop();
  });

  it('saves what it handled when it stops, so nothing is left unacknowledged', async () => {
    const w = await makeWorld();
    await publishAll(w, makeBars(3));
    const actor = await startActor(w, BTC, spaced(60_000));
    await until(() => w.counters.accepted === 3, 'handled');
    await actor.stop();
    expect((await w.features.loadSnapshot(assetActorKey(BTC)))?.streamSeq).toBe(3);
    expect(await w.bus.consumerInfo(`${w.cfg.streamNamePrefix}MD`, DURABLE)).toMatchObject({ ackFloor: 3, ackPending: 0, pending: 0 });
  });

  it('after a failed checkpoint, resumes from the last saved one: same features as an uninterrupted run, no vector stored twice', async () => {
    const bars = makeBars(130);
    const straight = await makeWorld();
    await publishAll(straight, bars);
    const a = await startActor(straight);
    await until(() => straight.counters.accepted === bars.length, 'uninterrupted run');
    await a.stop();

    const bus = createMemoryBus();
    const inner = createMemoryFeatureStore({ historyCap: 10_000 });
    const timeseries = createMemoryTimeseriesStore();
    // The store goes down for any checkpoint past message 100: the one at 112 fails.
    const failing: FeatureStore = {
      ...inner,
      writeBatch: async (vectors, snaps) => {
        if ((snaps ?? []).some(([, s]) => s.streamSeq > 100)) throw new Error('redis down');
        await inner.writeBatch(vectors, snaps);
      },
    };
    const first = await makeWorld({ bus, features: failing, timeseries });
    const b1 = await startActor(first, BTC, spaced(HOUR));
    const failed = expect(b1.done).rejects.toThrow('redis down'); // observed from the start: it fails mid-loop
    // One message per batch: a checkpoint every 16 messages (16, 32, …, 96, then 112 fails).
    for (let i = 0; i < 112; i++) {
      await publishAll(first, [bars[i] as (typeof bars)[number]]);
      await until(() => first.counters.accepted === i + 1, `bar ${i + 1}`);
    }
    await failed;
    expect(b1.lastSeq()).toBe(96);
    expect((await inner.loadSnapshot(assetActorKey(BTC)))?.streamSeq).toBe(96);
    expect(await bus.consumerInfo(`${first.cfg.streamNamePrefix}MD`, DURABLE)).toMatchObject({ ackFloor: 96 });
    await publishAll(first, bars.slice(112));

    const second = await makeWorld({ bus, features: inner, timeseries });
    const b2 = await startActor(second, BTC, spaced(HOUR));
    await until(() => second.counters.accepted === 130 - 96, 'replayed from the checkpoint');
    await b2.stop();

    expect(second.counters.messagesIn).toBe(34);
    expect((await inner.history(BTC, 1_000)).map((v) => v.id)).toEqual((await straight.features.history(BTC, 1_000)).map((v) => v.id));
    expect((await inner.latest(BTC))?.values).toEqual(reference(bars));
    expect((await storedVectors(second)).map((v) => v.id)).toEqual((await storedVectors(straight)).map((v) => v.id));
  });
});
