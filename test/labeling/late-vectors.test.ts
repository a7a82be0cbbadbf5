import { describe, expect, it } from 'vitest';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import { createMemoryTrainingSampleStore } from '../../state/memory-training-sample-store.js';
import type { Bar } from '../../streams/messages/bar.js';
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

  it('waits for a vector the recorder has not stored yet however far its bars ran, across a restart, then labels it', async () => {
    const { bus, ns } = await setup();
    const timeseries = createMemoryTimeseriesStore();
    const samples = createMemoryTrainingSampleStore();
    const dlq = collect<DlqEntry>(bus, ns.streams.DLQ, ns.subjects.dlq('labeling'));
    cleanups.push(() => dlq.stop());
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

  it('refuses a vector still missing once the store holds a later vector of its asset featureWaitBars past the horizon', async () => {
    const { bus, ns } = await setup();
    const timeseries = createMemoryTimeseriesStore();
    const samples = createMemoryTrainingSampleStore();
    const dlq = collect<DlqEntry>(bus, ns.streams.DLQ, ns.subjects.dlq('labeling'));
    cleanups.push(() => dlq.stop());
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
});
