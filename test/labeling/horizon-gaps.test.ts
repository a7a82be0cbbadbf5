import { describe, expect, it } from 'vitest';
import { DEFAULT_LABEL_SPEC } from '../../models/labeling/label-spec.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import { createMemoryTrainingSampleStore } from '../../state/memory-training-sample-store.js';
import type { Bar } from '../../streams/messages/bar.js';
import type { DlqEntry } from '../../streams/messages/dlq-entry.js';
import type { Label } from '../../streams/messages/label.js';
import { bar, fill, H, order, prediction, T0, vectorOf } from './fixtures.js';
import type { Outcome } from '../../streams/messages/outcome.js';
import { collect, memoryBusPerTest, publishBars, publishSignals, startActor, until } from './harness.js';

const { cleanups, setup } = memoryBusPerTest();

/** Bars 0…11, rising by 1 a bar (close 100 + i). */
const bars = Array.from({ length: 12 }, (_, i) => bar(i, 100.5 + i, 99.5 + i, 100 + i));
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
    await publishBars(bus, ns, onStream.slice(4, 8));
    await until('every bar seen', () => actor.stats().received >= 3 + 8);
    expect(labels.msgs.map((l) => l.subject.id).sort()).toEqual([p2.id, `${p1.id}:h1`].sort());
    expect((await samples.samples({ strategy: 's1' })).map((s) => s.id).sort()).toEqual([p2.id, `${p1.id}:h1`].sort());
  });

  it('an order whose decision bar is missing waits for it (a backfill) as for a gap, then goes to the DLQ: never measured from its limit price', async () => {
    const { bus, ns } = await setup();
    const timeseries = createMemoryTimeseriesStore();
    const samples = createMemoryTrainingSampleStore();
    // Bars 1 and 6 (the orders' decision bars) never came on the stream, nor to the store at first; every vector did.
    await timeseries.insert({ bars: bars.filter((_, i) => i !== 1 && i !== 6), features: bars.map((b) => vectorOf(b, 50)) });
    const spec = { ...DEFAULT_LABEL_SPEC, horizonBars: 2, featureWaitBars: 2 };
    const actor = await startActor(bus, ns, { timeseries, samples }, { spec });
    cleanups.push(() => actor.stop());
    const outcomes = collect<Outcome>(bus, ns.streams.OUTCOMES, ns.subjects.streamSubjects.OUTCOMES[0] ?? '');
    const dlq = collect<DlqEntry>(bus, ns.streams.DLQ, ns.subjects.dlq('labeling'));
    cleanups.push(async () => {
      await outcomes.stop();
      await dlq.stop();
    });
    // Limit buys at 110, decided at the closes of bars 1 and 6 (closes 101 and 106); filled at once, below
    // the limit (a fill above it the engine refuses, and the labeler does not keep).
    const a = { ...order('s1', at(1), 'buy'), orderType: 'limit' as const, limitPrice: 110, decidedAt: T0 + 2 * H };
    const b = { ...order('s1', at(6), 'buy'), orderType: 'limit' as const, limitPrice: 110, decidedAt: T0 + 7 * H };
    await publishSignals(bus, ns, [a, fill(a, 0, T0 + 2 * H, 1, 101, true), b, fill(b, 0, T0 + 7 * H, 1, 106, true)]);
    await publishBars(bus, ns, [at(0), at(2), at(3), at(4)]); // a's horizon (bar 3) passed
    await until('a waiting, labeled or refused', () => actor.stats().waitingFeatures === 1 || outcomes.msgs.length > 0 || dlq.msgs.length > 0);
    expect(outcomes.msgs).toEqual([]);
    expect(dlq.msgs).toEqual([]); // a backfill may still bring bar 1 // not labeled from 110 (an entry nobody saw)
    expect(actor.pendingIds()).toEqual([a.id, b.id].sort());
    await timeseries.insert({ bars: [at(1)] }); // a backfill
    await publishBars(bus, ns, [at(5)]);
    await until('a labeled', () => outcomes.msgs.length >= 1);
    expect(outcomes.msgs[0]).toMatchObject({ subject: { kind: 'order', id: a.id }, decisionTs: T0 + H, entryPrice: 101, exitPrice: 103 });
    // b's never comes: featureWaitBars (2) after its horizon (bar 8), at bar 10, it is refused.
    await publishBars(bus, ns, [at(7), at(8), at(9)]);
    await until('b due', () => actor.stats().received >= 4 + 8 && (actor.stats().waitingFeatures === 1 || dlq.msgs.length > 0));
    expect(dlq.msgs).toEqual([]);
    await publishBars(bus, ns, [at(10)]);
    await until('b refused', () => dlq.msgs.length >= 1);
    expect(dlq.msgs[0]).toMatchObject({ reason: 'PROCESSING_FAILED', detail: `no decision price: the order's decision bar ${T0 + 6 * H} (its close is the decision price) is missing` });
    expect(actor.pendingIds()).toEqual([]);
    expect(outcomes.msgs.map((o) => o.subject.id)).toEqual([a.id]);
  });
});
