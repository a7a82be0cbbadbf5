import { describe, expect, it } from 'vitest';
import { ASSET_SNAPSHOT_VERSION, assetActorKey, startAssetActor } from '../../actors/asset-actor.js';
import type { AssetEvent } from '../../actors/event-sequencer.js';
import type { Bus } from '../../streams/bus.js';
import type { ActorSnapshot, FeatureStore } from '../../state/feature-store.js';
import type { Bar } from '../../streams/messages/bar.js';
import { RefusalReason } from '../../streams/messages/dlq-entry.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import {
  actorOptions,
  BTC,
  ETH,
  makeBars,
  makeQuote,
  makeTrade,
  makeWorld,
  publishAll,
  publishRaw,
  readDlq,
  reference,
  settle,
  staleTimeline,
  startActor,
  storedVectors,
  testConfig,
  until,
} from './harness.js';

const strip = (vs: readonly { id: string; ts: number; values: unknown }[]) => vs.map((v) => ({ id: v.id, ts: v.ts, values: v.values }));

describe('asset actor (memory bus, memory stores, simulated clock)', () => {
  it('publishes one feature vector per bar batch on sx.feat and stores every bar and vector', async () => {
    const w = await makeWorld();
    const actor = await startActor(w);
    const bars = makeBars(40);
    for (const b of bars) {
      await publishAll(w, [b]);
      await until(() => w.counters.featuresOut === bars.indexOf(b) + 1, `vector for bar ${bars.indexOf(b)}`);
    }
    await until(() => w.published.length === 40, 'one emitted vector per bar');
    await actor.stop();

    expect(w.published.map((v) => v.source)).toEqual(bars.map((b) => b.id));
    expect(w.published.every((v) => v.type === 'feat.vector' && v.venue === 'binance' && v.symbol === 'BTC/USDT')).toBe(true);
    expect(w.published.at(-1)).toMatchObject({ id: `f:${bars[39]?.id}`, ts: bars[39]?.ts, values: reference(bars) });
    expect(await w.timeseries.counts()).toEqual({ bars: 40, trades: 0, quotes: 0, features: 40 });
    const stored = await storedVectors(w);
    expect(stored.map((v) => v.source)).toEqual(bars.map((b) => b.id));
    expect(stored[9]?.values).toEqual(reference(bars.slice(0, 10)));
    expect(await w.timeseries.bars({ ...BTC, tf: '1h' })).toEqual(bars);
    expect((await w.features.latest(BTC))?.values).toEqual(reference(bars));
    expect(w.counters).toMatchObject({ messagesIn: 40, accepted: 40, featuresOut: 40, refused: {} });
  });

  it('emits only the newest vector of a batch on sx.feat, while history keeps one per bar', async () => {
    const w = await makeWorld();
    const bars = makeBars(48);
    await publishAll(w, bars);
    const actor = await startActor(w);
    await until(() => w.counters.featuresOut === 48, 'all bars applied');
    await settle();
    await actor.stop();
    expect(w.published.map((v) => v.source)).toEqual([bars[15], bars[31], bars[47]].map((b) => b?.id));
    expect((await storedVectors(w)).length).toBe(48);
    expect(w.published.at(-1)?.values).toEqual(reference(bars));
  });

  it('coalesces trades and quotes into one vector per batch, the newest, and stores every tick', async () => {
    const w = await makeWorld();
    const bars = makeBars(3);
    const t0 = (bars[2] as Bar).ts;
    const ticks = [makeTrade(1, t0 + 1), makeQuote(t0 + 2), makeTrade(2, t0 + 3), makeQuote(t0 + 4), makeTrade(3, t0 + 5)];
    const msgs = [...bars, ...ticks];
    await publishAll(w, msgs);
    const actor = await startActor(w);
    await until(() => w.counters.accepted === msgs.length, 'all applied');
    await settle();
    await actor.stop();
    expect(await w.timeseries.counts()).toEqual({ bars: 3, trades: 3, quotes: 2, features: 4 });
    expect(w.published).toHaveLength(1);
    expect(w.published[0]).toMatchObject({ source: ticks[4]?.id, ts: t0 + 5, values: reference(msgs) });
    expect(w.published[0]?.values['spread_bps']).not.toBeNull();
  });

  it('consumes only its own asset', async () => {
    const w = await makeWorld();
    await publishAll(w, [...makeBars(5, ETH), ...makeBars(3, BTC)]);
    const actor = await startActor(w, BTC);
    await until(() => w.counters.accepted === 3, 'BTC bars');
    await settle();
    await actor.stop();
    expect(w.counters.messagesIn).toBe(3);
    expect(await w.timeseries.counts()).toMatchObject({ bars: 3 });
  });

  describe('refusals', () => {
    const bars = makeBars(30);
    const badAt = 12;
    const B = (w: Awaited<ReturnType<typeof makeWorld>>) => w.subjects.bar('binance', 'BTC/USDT', '1h');

    /** Runs the actor over the good bars with `inject` published after bar `badAt`, returns what it stored and sent. */
    async function runWith(inject: (w: Awaited<ReturnType<typeof makeWorld>>) => Promise<void>) {
      const w = await makeWorld();
      await publishAll(w, bars.slice(0, badAt));
      await inject(w);
      await publishAll(w, bars.slice(badAt));
      const actor = await startActor(w);
      await until(() => w.counters.accepted === bars.length, 'every good bar applied');
      await settle();
      await actor.stop();
      return { w, vectors: strip(await storedVectors(w)), latest: (await w.features.latest(BTC))?.values };
    }

    const clean = runWith(async () => {});

    const cases: ReadonlyArray<readonly [reason: RefusalReason, what: string, inject: (w: Awaited<ReturnType<typeof makeWorld>>) => Promise<void>]> = [
      [RefusalReason.MALFORMED_JSON, 'broken JSON', (w) => publishRaw(w, B(w), '{"type":"md.bar",', 'bad-json')],
      [RefusalReason.SCHEMA, 'a bar with high below low', (w) => publishRaw(w, B(w), { ...bars[badAt], id: 'b:x', high: 1, low: 2 }, 'bad-schema')],
      [RefusalReason.NON_FINITE, 'an infinite close', (w) => publishRaw(w, B(w), JSON.stringify({ ...bars[badAt], id: 'b:x' }).replace(/"close":[^,]+/, '"close":1e999'), 'bad-inf')],
      [RefusalReason.NON_POSITIVE, 'a zero close', (w) => publishRaw(w, B(w), { ...bars[badAt], id: 'b:x', close: 0 }, 'bad-zero')],
      [RefusalReason.OVERSIZE, 'an oversize payload', (w) => publishRaw(w, B(w), 'x'.repeat(w.cfg.validation.maxPayloadBytes + 1), 'bad-big')],
      [RefusalReason.UNKNOWN_SYMBOL, 'an unconfigured symbol', (w) => publishRaw(w, B(w), { ...bars[badAt], id: 'b:x', symbol: 'DOGE/USDT' }, 'bad-sym')],
      [RefusalReason.SUBJECT_MISMATCH, 'an ETH bar on the BTC subject', (w) => publishRaw(w, B(w), { ...makeBars(1, ETH, badAt)[0] }, 'bad-subj')],
      [RefusalReason.DUPLICATE, 'a bar already applied (new Nats-Msg-Id)', (w) => publishRaw(w, B(w), bars[badAt - 1] as Bar, 'dup-bar')],
      [RefusalReason.OUT_OF_ORDER, 'an older bar with a fresh id', (w) => publishRaw(w, B(w), { ...bars[badAt - 3], id: 'b:old' }, 'old-bar')],
    ];

    for (const [reason, what, inject] of cases) {
      it(`sends ${what} to sx.dlq.asset with reason ${reason} and leaves the features as if it never came`, async () => {
        const ok = await clean;
        const bad = await runWith(inject);
        expect(bad.w.counters.refused).toEqual({ [reason]: 1 });
        expect(bad.w.counters.messagesIn).toBe(bars.length + 1);
        expect(bad.vectors).toEqual(ok.vectors);
        expect(bad.latest).toEqual(ok.latest);
        expect(await bad.w.timeseries.counts()).toEqual(await ok.w.timeseries.counts());
        const [entry, ...more] = await readDlq(bad.w, 1);
        expect(more).toEqual([]);
        expect(entry).toMatchObject({ type: 'dlq.entry', v: 1, source: 'asset', reason, subject: B(bad.w) });
        expect(entry?.detail.length).toBeGreaterThan(0);
      });
    }

    it('dead-letters the same bytes published twice as two entries, one per refusal counted', async () => {
      // A feed that re-sends what it sent (a reconnect): each copy is a message of the stream, refused and counted.
      const bad = await runWith(async (w) => {
        await publishRaw(w, B(w), '{"type":"md.bar",', 'bad-json-1');
        await publishRaw(w, B(w), '{"type":"md.bar",', 'bad-json-2');
        await publishRaw(w, B(w), bars[badAt - 1] as Bar, 'dup-bar-1');
        await publishRaw(w, B(w), bars[badAt - 1] as Bar, 'dup-bar-2');
      });
      expect(bad.w.counters.refused).toEqual({ [RefusalReason.MALFORMED_JSON]: 2, [RefusalReason.DUPLICATE]: 2 });
      const dlq = await readDlq(bad.w, 4);
      expect(dlq.map((e) => e.reason)).toEqual([RefusalReason.MALFORMED_JSON, RefusalReason.MALFORMED_JSON, RefusalReason.DUPLICATE, RefusalReason.DUPLICATE]);
      expect(new Set(dlq.map((e) => e.id)).size).toBe(4);
    });

    it('stamps a gate refusal with the event time of the refused message and an undecodable one with the clock', async () => {
      const bad = await runWith(async (w) => {
        await publishRaw(w, B(w), '{nope', 'bad-json');
        await publishRaw(w, B(w), { ...bars[badAt - 3], id: 'b:old' }, 'old-bar');
      });
      const dlq = await readDlq(bad.w, 2);
      expect(dlq.map((e) => [e.reason, e.ts])).toEqual([
        [RefusalReason.MALFORMED_JSON, bars[badAt - 1]?.ts],
        [RefusalReason.OUT_OF_ORDER, bars[badAt - 3]?.ts],
      ]);
    });
  });

  describe('restart from the snapshot', () => {
    const bars = makeBars(260);

    /** The bars through one actor that is never stopped early: the reference for a restarted one. */
    async function uninterrupted() {
      const straight = await makeWorld();
      await publishAll(straight, bars);
      const a = await startActor(straight);
      await until(() => straight.counters.accepted === bars.length, 'uninterrupted run');
      await settle();
      await a.stop();
      return straight;
    }

    it('resumes with the same stores and produces the vectors of an uninterrupted run', async () => {
      const straight = await uninterrupted();

      const bus = createMemoryBus();
      const features = createMemoryFeatureStore({ historyCap: 10_000 });
      const timeseries = createMemoryTimeseriesStore();
      const first = await makeWorld({ bus, features, timeseries });
      await publishAll(first, bars.slice(0, 130));
      const b1 = await startActor(first);
      await until(() => first.counters.accepted === 130, 'first half');
      await b1.stop();
      expect(b1.lastSeq()).toBe(130);
      expect((await features.loadSnapshot(assetActorKey(BTC)))?.streamSeq).toBe(130);

      const second = await makeWorld({ bus, features, timeseries });
      await publishAll(second, bars.slice(130));
      const b2 = await startActor(second);
      await until(() => second.counters.accepted === 130, 'second half');
      await settle();
      await b2.stop();

      expect(second.counters.messagesIn).toBe(130);
      expect(strip(await storedVectors(second))).toEqual(strip(await storedVectors(straight)));
      expect(second.published.at(-1)?.values).toEqual(straight.published.at(-1)?.values);
      expect((await features.latest(BTC))?.values).toEqual(reference(bars));
      expect(b2.status()).toBe('live');
    });

    it('skips redelivered messages its snapshot already holds (ack lost after the snapshot was saved)', async () => {
      const bus = createMemoryBus();
      const features = createMemoryFeatureStore({ historyCap: 10_000 });
      const timeseries = createMemoryTimeseriesStore();
      const first = await makeWorld({ bus, features, timeseries });
      await publishAll(first, bars.slice(0, 100));
      const b1 = await startActor(first);
      await until(() => first.counters.accepted === 100, 'first part');
      await b1.stop();
      // The consumer forgets its acks: everything is delivered again.
      await bus.deleteConsumer('MD', 'asset_binance_BTC_USDT');

      const second = await makeWorld({ bus, features, timeseries });
      await publishAll(second, bars.slice(100));
      const b2 = await startActor(second);
      await until(() => second.counters.accepted === 160, 'the rest');
      await settle();
      await b2.stop();
      expect(second.counters.messagesIn).toBe(160);
      expect(second.counters.refused).toEqual({});
      expect(second.counters.rowsWritten.bars).toBe(160);
      expect(await timeseries.counts()).toMatchObject({ bars: 260, features: 260 });
      expect((await features.latest(BTC))?.values).toEqual(reference(bars));
    });

    /**
     * 100 bars and a broken message (seq 101) handled, decided and acknowledged by a first actor
     * on a bus and history store that outlive it; every decided stream sequence is recorded.
     */
    async function handledThenLost() {
      const bus = createMemoryBus();
      const timeseries = createMemoryTimeseriesStore();
      const decided: number[] = [];
      const decisions = {
        push: (_asset: string, events: readonly AssetEvent[]): Promise<void> => {
          for (const e of events) decided.push(e.streamSeq);
          return Promise.resolve();
        },
      };
      const first = await makeWorld({ bus, timeseries });
      await publishAll(first, bars.slice(0, 100));
      await publishRaw(first, first.subjects.bar(BTC.venue, BTC.symbol, '1h'), '{"type":"md.bar",', 'bad-json');
      const b1 = await startAssetActor({ ...first.deps, decisions }, actorOptions(first.cfg));
      await until(() => first.counters.accepted === 100 && first.counters.messagesIn === 101, 'first part');
      await b1.stop();
      return { bus, timeseries, decided, decisions, first };
    }
    const seqs = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

    it('rebuilds from the stream when the feature store lost a snapshot the durable had acknowledged, deciding and dead-lettering nothing twice', async () => {
      const straight = await uninterrupted();

      const { bus, timeseries, decided, decisions, first } = await handledThenLost();
      expect(await bus.consumerInfo('MD', 'asset_binance_BTC_USDT')).toMatchObject({ ackFloor: 101 });
      expect(first.counters.refused).toEqual({ [RefusalReason.MALFORMED_JSON]: 1 });

      // Redis restarted without persistence: the same streams and history, an empty feature store.
      const second = await makeWorld({ bus, timeseries });
      expect(await second.features.loadSnapshot(assetActorKey(BTC))).toBeUndefined();
      await publishAll(second, bars.slice(100));
      const b2 = await startAssetActor({ ...second.deps, decisions }, actorOptions(second.cfg));
      await until(() => second.counters.accepted === bars.length, 'the whole stream again');
      await settle();
      await b2.stop();

      // The state is that of an uninterrupted run (resumed at the acknowledgements, the features
      // after bar 100 would have been computed without the first 100 bars).
      expect((await second.features.latest(BTC))?.values).toEqual(reference(bars));
      expect(second.published.at(-1)?.values).toEqual(straight.published.at(-1)?.values);
      expect(strip(await storedVectors(second))).toEqual(strip(await storedVectors(straight)));
      expect(await timeseries.counts()).toMatchObject({ bars: 260, features: 260 });
      expect(b2.lastSeq()).toBe(261);
      // What was handled before the loss is neither decided nor dead-lettered again.
      expect(decided).toEqual([...seqs(1, 100), ...seqs(102, 261)]);
      expect(second.counters.refused).toEqual({});
      expect([first.counters.rebuilds, second.counters.rebuilds]).toEqual([0, 1]); // counted (sextant_state_rebuilds_total)
      expect(await bus.countMessages('DLQ')).toBe(1);
    });

    it('rebuilds from its snapshot when Redis lost only its last writes: the stream is replayed from there, not from its start', async () => {
      const straight = await uninterrupted();
      const bus = createMemoryBus();
      const timeseries = createMemoryTimeseriesStore();
      const lossy = createMemoryFeatureStore({ historyCap: 10_000 });
      const first = await makeWorld({ bus, timeseries, features: lossy });
      await publishAll(first, bars.slice(0, 50));
      const a1 = await startActor(first);
      await until(() => first.counters.accepted === 50, 'the first 50');
      await a1.stop();
      const older = await lossy.loadSnapshot(assetActorKey(BTC));
      expect(older?.streamSeq).toBe(50);
      await publishAll(first, bars.slice(50, 100));
      const second = await makeWorld({ bus, timeseries, features: lossy });
      const a2 = await startActor(second);
      await until(() => second.counters.accepted === 50, 'the next 50');
      await a2.stop();
      expect(await bus.consumerInfo('MD', 'asset_binance_BTC_USDT')).toMatchObject({ ackFloor: 100 });

      // Redis comes back with the snapshot of bar 50: what it acknowledged after that is lost.
      const redis = createMemoryFeatureStore({ historyCap: 10_000 });
      await redis.writeBatch([], [[assetActorKey(BTC), older as ActorSnapshot]]);
      const delivered: number[] = [];
      const counting = (b: Bus): Bus => ({
        ...b,
        consume: (spec, handler) =>
          b.consume(spec, (batch) => {
            for (const d of batch) delivered.push(d.streamSeq);
            return handler(batch);
          }),
      });
      const third = await makeWorld({ bus, timeseries, features: redis, wrapBus: counting });
      await publishAll(third, bars.slice(100));
      const a3 = await startActor(third);
      await until(() => third.counters.accepted === 210, 'rebuilt from bar 51, then the rest');
      await settle();
      await a3.stop();
      expect([delivered[0], delivered.length]).toEqual([51, 210]);
      expect((await redis.latest(BTC))?.values).toEqual(reference(bars));
      expect(third.published.at(-1)?.values).toEqual(straight.published.at(-1)?.values);
    });

    it('resumes a rebuild cut short (its durable already started over) as a rebuild: still nothing decided or dead-lettered twice', async () => {
      const { bus, timeseries, decided, decisions } = await handledThenLost();

      // Redis comes back empty, and fails again right after the rebuild recorded how far the old durable had got.
      const redis = createMemoryFeatureStore({ historyCap: 10_000 });
      let writes = 0;
      const flaky: FeatureStore = { ...redis, writeBatch: (v, snaps) => (++writes === 1 ? redis.writeBatch(v, snaps) : Promise.reject(new Error('redis down again'))) };
      const second = await makeWorld({ bus, timeseries, features: flaky });
      const b2 = await startAssetActor({ ...second.deps, decisions }, actorOptions(second.cfg));
      await expect(b2.done).rejects.toThrow('redis down again');
      // The durable started over and has acknowledged nothing: only the snapshot remembers the old floor.
      expect(await bus.consumerInfo('MD', 'asset_binance_BTC_USDT')).toMatchObject({ ackFloor: 0 });
      expect(await redis.loadSnapshot(assetActorKey(BTC))).toMatchObject({ streamSeq: 0, state: { handledTo: 101 } });

      const third = await makeWorld({ bus, timeseries, features: redis });
      await publishAll(third, bars.slice(100));
      const b3 = await startAssetActor({ ...third.deps, decisions }, actorOptions(third.cfg));
      await until(() => third.counters.accepted === bars.length, 'rebuilt, then the rest');
      await settle();
      await b3.stop();

      expect((await redis.latest(BTC))?.values).toEqual(reference(bars));
      expect(decided).toEqual([...seqs(1, 100), ...seqs(102, 261)]);
      expect(second.counters.refused).toEqual({});
      expect(third.counters.refused).toEqual({});
      expect(await bus.countMessages('DLQ')).toBe(1);
      // Past the old floor, the snapshots no longer carry it.
      const last = await redis.loadSnapshot(assetActorKey(BTC));
      expect(last?.streamSeq).toBe(261);
      expect(last?.state).not.toHaveProperty('handledTo');
    });

    it('ignores a snapshot of another layout version and rebuilds from the stream', async () => {
      const w = await makeWorld();
      await w.features.writeBatch([], [[assetActorKey(BTC), { version: ASSET_SNAPSHOT_VERSION + 1, streamSeq: 5, ts: 0, state: { nonsense: true } }]]);
      await publishAll(w, bars.slice(0, 10));
      const actor = await startActor(w);
      await until(() => w.counters.accepted === 10, 'all from the start');
      await actor.stop();
      expect((await w.features.latest(BTC))?.values).toEqual(reference(bars.slice(0, 10)));
    });
  });

  describe('lifecycle', () => {
    it('stays warming until the features are warm, then goes live, and turns stale on the clock', async () => {
      const w = await makeWorld();
      const actor = await startActor(w);
      const bars = makeBars(201);
      await publishAll(w, bars.slice(0, 150));
      await until(() => w.counters.accepted === 150, 'cold part');
      await settle();
      expect(actor.status()).toBe('warming');
      await publishAll(w, bars.slice(150));
      await until(() => w.counters.accepted === 201, 'warm part');
      await settle();
      expect(staleTimeline(w, actor)).toEqual(['live', 'live', 'stale']);
      await actor.stop();
    });

    it('restarted from a warm snapshot with no data coming, is live at once and turns stale on the clock', async () => {
      const w = await makeWorld();
      const first = await startActor(w);
      await publishAll(w, makeBars(210));
      await until(() => w.counters.accepted === 210, 'warm');
      await settle();
      await first.stop();
      // The feed is down when the engine comes back: the same stores, nothing new on the stream.
      const again = await startActor(w);
      await settle();
      expect(staleTimeline(w, again)).toEqual(['live', 'live', 'stale']);
      await again.stop();
    });

    it('keeps its state in step while halted but emits nothing, and emits the up-to-date vector after RESUME', async () => {
      const w = await makeWorld();
      const actor = await startActor(w);
      const bars = makeBars(230);
      await publishAll(w, bars.slice(0, 210));
      await until(() => w.counters.accepted === 210, 'before the halt');
      await settle();
      actor.halt('operator');
      expect(actor.status()).toBe('halted');
      const emitted = w.published.length;
      for (const b of bars.slice(210, 220)) await publishAll(w, [b]);
      await until(() => w.counters.accepted === 220, 'while halted');
      await settle();
      expect(w.published.length).toBe(emitted);
      expect(await w.timeseries.counts()).toMatchObject({ bars: 220, features: 220 });
      actor.resume();
      expect(actor.status()).toBe('live');
      await publishAll(w, bars.slice(220));
      await until(() => w.counters.accepted === 230, 'after RESUME');
      await until(() => w.published.at(-1)?.source === bars[229]?.id, 'the newest vector emitted');
      await actor.stop();
      expect(w.published.at(-1)?.values).toEqual(reference(bars));
    });
  });

  describe('failures', () => {
    it('fails (done rejects) when the DLQ publish fails, without an unhandled rejection while the recorder is writing', async () => {
      const slowStore = createMemoryTimeseriesStore();
      const slow = { ...slowStore, insert: async (b: Parameters<typeof slowStore.insert>[0]) => {
        await new Promise((r) => setTimeout(r, 20));
        return slowStore.insert(b);
      } };
      const w = await makeWorld({
        timeseries: slow,
        wrapBus: (b: Bus): Bus => ({ ...b, publish: async (subject, data, opts) => (subject.includes('.dlq.') ? Promise.reject(new Error('DLQ unreachable')) : b.publish(subject, data, opts)) }),
      });
      const bars = makeBars(3);
      await publishAll(w, bars.slice(0, 1));
      await publishRaw(w, w.subjects.bar('binance', 'BTC/USDT', '1h'), '{nope', 'bad');
      await publishAll(w, bars.slice(1));
      const actor = await startActor(w);
      await expect(actor.done).rejects.toThrow('DLQ unreachable');
      // No snapshot past the failed batch: a restart replays it.
      expect((await w.features.loadSnapshot(assetActorKey(BTC)))?.streamSeq ?? 0).toBe(0);
    });

    it('fails when the feature store write fails and leaves the batch unacknowledged', async () => {
      const inner = createMemoryFeatureStore({ historyCap: 100 });
      const w = await makeWorld({ features: { ...inner, writeBatch: async () => Promise.reject(new Error('redis down')) } });
      await publishAll(w, makeBars(5));
      const actor = await startActor(w);
      await expect(actor.done).rejects.toThrow('redis down');
      expect(actor.lastSeq()).toBe(0);
      expect(w.published).toEqual([]);
      // The same consumer sees the batch again.
      const again = await makeWorld({ bus: w.bus, cfg: testConfig(), features: inner });
      const retry = await startActor(again);
      await until(() => again.counters.accepted === 5, 'redelivered');
      await retry.stop();
    });
  });
});
