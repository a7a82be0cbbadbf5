import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LABEL_SPEC } from '../../models/labeling/label-spec.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import { createMemoryTrainingSampleStore } from '../../state/memory-training-sample-store.js';
import type { Bus } from '../../streams/bus.js';
import type { Bar } from '../../streams/messages/bar.js';
import type { DlqEntry } from '../../streams/messages/dlq-entry.js';
import type { Label } from '../../streams/messages/label.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { bar, prediction, vectorOf } from './fixtures.js';
import type { Namespace } from './harness.js';
import { collect, namespace, publishBars, publishSignals, specsOf, startActor, until } from './harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<{ bus: Bus; ns: Namespace }> {
  const ns = namespace();
  const bus = createMemoryBus();
  await bus.ensureStreams(specsOf(ns));
  cleanups.push(() => bus.close());
  return { bus, ns };
}

/** Bars 0…9, rising by 1 a bar (close 100 + i). */
const bars = Array.from({ length: 10 }, (_, i) => bar(i, 100.5 + i, 99.5 + i, 100 + i));
const at = (i: number): Bar => bars[i] as Bar;

describe('labeling actor at data gaps', () => {
  it('labels a path whose gap a backfill brought to the timeseries store from the stored bars, and refuses one still missing a bar (no shortened or zero-return label)', async () => {
    const { bus, ns } = await setup();
    const timeseries = createMemoryTimeseriesStore();
    const samples = createMemoryTrainingSampleStore();
    // Bars 2 and 3 never came on the stream (an outage); a backfill stored bar 2 only.
    const onStream = bars.filter((_, i) => i !== 2 && i !== 3);
    await timeseries.insert({ bars: bars.filter((_, i) => i !== 3), features: bars.map((b) => vectorOf(b, 50)) });
    const actor = await startActor(bus, ns, { timeseries, samples }, { spec: { ...DEFAULT_LABEL_SPEC, featureWaitBars: 2 } });
    cleanups.push(() => actor.stop());
    const labels = collect<Label>(bus, ns.streams.OUTCOMES, ns.subjects.streamSubjects.OUTCOMES[1] ?? '');
    const dlq = collect<DlqEntry>(bus, ns.streams.DLQ, ns.subjects.dlq('labeling'));
    cleanups.push(async () => {
      await labels.stop();
      await dlq.stop();
    });

    const p2 = prediction('s1', at(0), 0.01, 2); // horizon bar 2: held by the store only
    const p3 = prediction('s1', at(1), 0.01, 2); // horizon bar 3: in neither
    const p1 = prediction('s1', at(1), 0.01, 1); // horizon bar 2, nothing else missing
    await publishSignals(bus, ns, [p2, p3, { ...p1, id: `${p1.id}:h1` }]);
    await publishBars(bus, ns, onStream.slice(0, 3)); // bars 0, 1, 4: every horizon has passed
    await until('the gap-free-in-store labels', () => labels.msgs.length >= 2);
    const byId = new Map(labels.msgs.map((l) => [l.subject.id, l]));
    // The exit is bar 2's close (102), not bar 1's (101) as the buffer alone would have it.
    expect(byId.get(p2.id)?.forwardReturn).toBe(Math.log(102 / 100));
    expect(byId.get(`${p1.id}:h1`)?.forwardReturn).toBe(Math.log(102 / 101));
    // Bar 3 may still come (a backfill): the item waits featureWaitBars past its horizon…
    expect(actor.pendingIds()).toEqual([p3.id]);
    expect(dlq.msgs).toEqual([]);
    await publishBars(bus, ns, onStream.slice(3, 4)); // bar 5: 2 bars past the horizon (bar 3)
    await until('the unlabelable one refused', () => dlq.msgs.length >= 1);
    expect(dlq.msgs[0]).toMatchObject({ reason: 'PROCESSING_FAILED', detail: expect.stringContaining('data gap: 1 of the 2 bars') });
    expect(actor.pendingIds()).toEqual([]);
    await publishBars(bus, ns, onStream.slice(4));
    await until('every bar seen', () => actor.stats().received >= 3 + onStream.length);
    expect(labels.msgs.map((l) => l.subject.id).sort()).toEqual([p2.id, `${p1.id}:h1`].sort());
    expect((await samples.samples({ strategy: 's1' })).map((s) => s.id).sort()).toEqual([p2.id, `${p1.id}:h1`].sort());
  });
});
