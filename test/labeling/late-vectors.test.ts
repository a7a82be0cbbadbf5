import { describe, expect, it } from 'vitest';
import { RECORDER_GONE_WAITS } from '../../actors/labeling-actor.js';
import { DEFAULT_LABEL_SPEC } from '../../models/labeling/label-spec.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import { createMemoryTrainingSampleStore } from '../../state/memory-training-sample-store.js';
import type { Bar } from '../../streams/messages/bar.js';
import { barId } from '../../streams/messages/bar.js';
import type { DlqEntry } from '../../streams/messages/dlq-entry.js';
import { bar, prediction, vectorOf } from './fixtures.js';
import { collect, memoryBusPerTest, publishBars, publishSignals, startActor, until } from './harness.js';

const { cleanups, setup } = memoryBusPerTest();

/**
 * A replay or a catch-up: the market-data stream holds the bars far past the predictions'
 * horizons (featureWaitBars 24 included) before the recorder has stored their vectors, which it
 * writes while the asset actor publishes the predictions.
 */
describe('labeling actor: bars far ahead of the recorder', () => {
  const bars = Array.from({ length: 41 }, (_, i) => bar(i, 101, 99, 100));
  const b = (i: number): Bar => bars[i] as Bar;
  /** A test's bus, its memory stores, and the labeling dead letters collected (stopped after the test). */
  const stores = async () => {
    const { bus, ns } = await setup();
    const timeseries = createMemoryTimeseriesStore();
    const samples = createMemoryTrainingSampleStore();
    const dlq = collect<DlqEntry>(bus, ns.streams.DLQ, ns.subjects.dlq('labeling'));
    cleanups.push(() => dlq.stop());
    return { bus, ns, timeseries, samples, dlq };
  };
  /** An actor keeping 8 bars that has received bars 0 to 39: bar 0 and its horizon bar 1 left the buffer long before its prediction comes. */
  const barsPastTheBuffer = async () => {
    const w = await stores();
    const actor = await startActor(w.bus, w.ns, { timeseries: w.timeseries, samples: w.samples }, { spec: { ...DEFAULT_LABEL_SPEC, retainBars: 8 } });
    cleanups.push(() => actor.stop());
    await publishBars(w.bus, w.ns, bars.slice(0, 40));
    await until('bars received', () => actor.stats().received === 40);
    return { ...w, actor };
  };

  it('waits for a vector the recorder has not stored yet however far its bars ran, across a restart, then labels it', async () => {
    const { bus, ns, timeseries, samples, dlq } = await stores();
    let actor = await startActor(bus, ns, { timeseries, samples });
    // Bar 0's prediction (horizon bar 1, its wait to bar 25); the stream holds bars to 39, the store no vector of bar 0 yet.
    await publishSignals(bus, ns, [prediction('s1', b(0), 0.01, 1)]);
    await publishBars(bus, ns, bars.slice(0, 40));
    await until('the prediction waits for its vector', () => actor.stats().received === 41 && actor.stats().waitingFeatures === 1);
    expect(actor.stats()).toMatchObject({ labeled: 0, refused: 0, pending: 1 });

    await actor.stop();
    actor = await startActor(bus, ns, { timeseries, samples });
    cleanups.push(() => actor.stop());
    expect(actor.pendingIds()).toEqual([prediction('s1', b(0), 0.01, 1).id]);
    // The recorder stores it (and what came after); the next bar's batch labels it.
    await timeseries.insert({ features: bars.slice(0, 40).map((x) => vectorOf(x, 1)) });
    await publishBars(bus, ns, [b(40)]);
    await until('labeled', () => actor.stats().labeled === 1);
    expect(await samples.count()).toBe(1);
    expect(actor.stats().refused).toBe(0);
    expect(dlq.msgs).toEqual([]);
  });

  it('labels a prediction waiting for its vector at the end of the input once the recorder stored it, with no bar after (recheck)', async () => {
    const { bus, ns, timeseries, samples, dlq } = await stores();
    let actor = await startActor(bus, ns, { timeseries, samples });
    const p = prediction('s1', b(0), 0.01, 1);
    // A replay's last messages: the labeling actor has them before the recorder stored bar 0's vector.
    await publishSignals(bus, ns, [p]);
    await publishBars(bus, ns, bars.slice(0, 40));
    await until('the prediction waits for its vector', () => actor.stats().received === 41 && actor.stats().waitingFeatures === 1);
    await actor.recheck(); // the vector is not stored yet: it still waits
    expect(actor.stats()).toMatchObject({ labeled: 0, refused: 0, pending: 1, waitingFeatures: 1 });

    // The recorder stores it; nothing more comes on the streams. It stayed pending until a next message.
    await timeseries.insert({ features: bars.slice(0, 40).map((x) => vectorOf(x, 1)) });
    await actor.recheck();
    expect(actor.stats()).toMatchObject({ labeled: 1, refused: 0, pending: 0, waitingFeatures: 0 });
    expect(await samples.count()).toBe(1);
    expect(dlq.msgs).toEqual([]);
    // Committed: a restart has nothing pending, and labels nothing again.
    await actor.stop();
    actor = await startActor(bus, ns, { timeseries, samples });
    cleanups.push(() => actor.stop());
    expect(actor.pendingIds()).toEqual([]);
    await actor.recheck();
    expect(actor.stats()).toMatchObject({ labeled: 0, pending: 0 });
  });

  it('refuses a vector still missing once the store holds a later vector of its asset featureWaitBars past the horizon', async () => {
    const { bus, ns, timeseries, samples, dlq } = await stores();
    const actor = await startActor(bus, ns, { timeseries, samples });
    cleanups.push(() => actor.stop());
    // Bar 1's vector never comes; the recorder stores bars 2 to 24's: short of its wait (bar 2 + 24 = bar 26).
    const lost = prediction('s1', b(1), 0.01, 1);
    await timeseries.insert({ features: bars.slice(2, 25).map((x) => vectorOf(x, 1)) });
    await publishSignals(bus, ns, [lost]);
    await publishBars(bus, ns, bars.slice(0, 40));
    await until('the prediction waits for its vector', () => actor.stats().received === 41 && actor.stats().waitingFeatures === 1);
    expect(actor.stats()).toMatchObject({ labeled: 0, refused: 0, pending: 1 });

    // The recorder got to bar 26 without it: really missing.
    await timeseries.insert({ features: bars.slice(25, 27).map((x) => vectorOf(x, 1)) });
    await publishBars(bus, ns, [b(40)]);
    await until('refused', () => dlq.msgs.length === 1);
    expect(dlq.msgs[0]).toMatchObject({ reason: 'PROCESSING_FAILED', detail: expect.stringContaining(`feature vector ${lost.source} not in the timeseries store 24 bars after the horizon`) });
    expect(actor.stats()).toMatchObject({ labeled: 0, refused: 1, pending: 0, waitingFeatures: 0 });
    expect(await samples.count()).toBe(0);
  });

  it('labels a vector the recorder stored between its read and the read of the newest stored vector (a catch-up after an outage)', async () => {
    const { bus, ns, timeseries, samples, dlq } = await stores();
    // Seen live after a PostgreSQL outage: the engine's catch-up stored bars 0 to 30's vectors in one
    // commit that landed after the actor read bar 0's vector (missing) and before it read the newest
    // stored (bar 30, past the wait): the prediction was refused with its vector in the store.
    let landed = false;
    const racing: typeof timeseries = {
      ...timeseries,
      features: async (q) => {
        const read = await timeseries.features(q);
        if (!landed) {
          landed = true;
          await timeseries.insert({ bars: bars.slice(0, 31), features: bars.slice(0, 31).map((x) => vectorOf(x, 1)) });
        }
        return read;
      },
    };
    const actor = await startActor(bus, ns, { timeseries: racing, samples });
    cleanups.push(() => actor.stop());
    await publishBars(bus, ns, bars.slice(0, 40));
    await until('bars received', () => actor.stats().received === 40);
    await publishSignals(bus, ns, [prediction('s1', b(0), 0.01, 1)]);
    await until('settled', () => actor.stats().labeled + actor.stats().refused === 1);
    expect(landed).toBe(true);
    expect(actor.stats()).toMatchObject({ labeled: 1, refused: 0, pending: 0 });
    expect(await samples.count()).toBe(1);
    expect(dlq.msgs).toEqual([]);
  });

  it('waits for path bars the recorder has not stored yet when they left the buffer before the prediction came, then labels it', async () => {
    const { bus, ns, timeseries, samples, dlq, actor } = await barsPastTheBuffer();
    // The recorder is at bar 0: its bar and vector stored, bar 1 (the path's) not yet.
    await timeseries.insert({ bars: [b(0)], features: [vectorOf(b(0), 1)] });
    await publishSignals(bus, ns, [prediction('s1', b(0), 0.01, 1)]);
    await until('the prediction waits for its path', () => actor.stats().received === 41 && actor.stats().waitingFeatures === 1);
    expect(actor.stats()).toMatchObject({ labeled: 0, refused: 0, pending: 1 });
    expect(dlq.msgs).toEqual([]);

    await timeseries.insert({ bars: bars.slice(1, 40), features: bars.slice(1, 40).map((x) => vectorOf(x, 1)) });
    await publishBars(bus, ns, [b(40)]);
    await until('labeled', () => actor.stats().labeled === 1);
    expect(actor.stats()).toMatchObject({ refused: 0, pending: 0, waitingFeatures: 0 });
    expect(await samples.count()).toBe(1);
    expect(dlq.msgs).toEqual([]);
  });

  it('waits for a missing path bar while the store holds bars of another timeframe only past its wait', async () => {
    const { bus, ns, timeseries, dlq, actor } = await barsPastTheBuffer();
    // The recorder stored the asset's 5m bars to bar 30's hour, but of its 1h bars only bar 0: bar 1
    // (the path's) is on its way. The 5m bars said the recorder got past the wait (bar 25): refused as a gap.
    const m5 = (x: Bar): Bar => ({ ...x, id: barId(x.venue, x.symbol, '5m', x.ts), tf: '5m' });
    await timeseries.insert({ bars: [b(0), ...bars.slice(0, 31).map(m5)], features: [vectorOf(b(0), 1)] });
    await publishSignals(bus, ns, [prediction('s1', b(0), 0.01, 1)]);
    await until('the prediction waits for its path', () => actor.stats().received === 41 && actor.stats().waitingFeatures === 1);
    expect(actor.stats()).toMatchObject({ labeled: 0, refused: 0, pending: 1 });
    expect(dlq.msgs).toEqual([]);

    await timeseries.insert({ bars: bars.slice(1, 40), features: bars.slice(1, 40).map((x) => vectorOf(x, 1)) });
    await publishBars(bus, ns, [b(40)]);
    await until('labeled', () => actor.stats().labeled === 1);
    expect(actor.stats()).toMatchObject({ refused: 0, pending: 0, waitingFeatures: 0 });
    expect(dlq.msgs).toEqual([]);
  });

  it('refuses a missing path bar once the store holds a later bar of its asset featureWaitBars past the horizon', async () => {
    const { bus, ns, timeseries, dlq, actor } = await barsPastTheBuffer();
    // Bar 1 was never stored; the recorder got to bar 25, the prediction's wait (horizon bar 1 + 24).
    await timeseries.insert({ bars: [b(0), ...bars.slice(2, 26)], features: [vectorOf(b(0), 1)] });
    await publishSignals(bus, ns, [prediction('s1', b(0), 0.01, 1)]);
    await until('refused', () => dlq.msgs.length === 1);
    expect(dlq.msgs[0]).toMatchObject({ reason: 'PROCESSING_FAILED', detail: expect.stringMatching(/^data gap: 1 of the 1 bars/) });
    expect(actor.stats()).toMatchObject({ labeled: 0, refused: 1, pending: 0 });
  });

  it('refuses a vector the recorder never stores once the strategy\'s predictions of its asset went RECORDER_GONE_WAITS × featureWaitBars past its horizon', async () => {
    const { bus, ns, timeseries, samples, dlq } = await stores(); // the recorder stores nothing
    const spec = { ...DEFAULT_LABEL_SPEC, featureWaitBars: 1 };
    const actor = await startActor(bus, ns, { timeseries, samples }, { spec });
    cleanups.push(() => actor.stop());
    const last = RECORDER_GONE_WAITS + 1; // bar 0's horizon (bar 1) + RECORDER_GONE_WAITS × 1 bars
    const all = Array.from({ length: last + 10 }, (_, i) => bar(i, 101, 99, 100));
    const preds = all.slice(0, last + 1).map((x) => prediction('s1', x, 0.01, 1));
    await publishBars(bus, ns, all);
    await publishSignals(bus, ns, preds.slice(0, last));
    await until('all wait', () => actor.stats().received === all.length + last && actor.stats().waitingFeatures === last);
    expect(actor.stats()).toMatchObject({ refused: 0, pending: last });

    await publishSignals(bus, ns, preds.slice(last));
    await until('bar 0\'s prediction refused', () => dlq.msgs.length === 1, 5_000);
    expect(dlq.msgs[0]).toMatchObject({ reason: 'PROCESSING_FAILED', detail: expect.stringContaining(`feature vector ${preds[0]?.source} not in the timeseries store while the strategy's predictions of BTC/USDT went ${RECORDER_GONE_WAITS} bars past the horizon: the recorder stores nothing of it (it holds no vectors of BTC/USDT)`) });
    expect(actor.stats()).toMatchObject({ refused: 1, recorderGoneRefused: 1, pending: last });
  });
});
