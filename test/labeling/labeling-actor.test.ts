import { describe, expect, it } from 'vitest';
import { DEFAULT_LABEL_SPEC } from '../../models/labeling/label-spec.js';
import { FeatureEngine } from '../../models/features/feature-engine.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import { createMemoryTrainingSampleStore } from '../../state/memory-training-sample-store.js';
import type { Bus } from '../../streams/bus.js';
import { encode } from '../../streams/codec.js';
import type { Bar } from '../../streams/messages/bar.js';
import type { DlqEntry } from '../../streams/messages/dlq-entry.js';
import type { Expiry } from '../../streams/messages/expiry.js';
import { expiryId } from '../../streams/messages/expiry.js';
import type { FeatureVector } from '../../streams/messages/feature-vector.js';
import { featureVectorId } from '../../streams/messages/feature-vector.js';
import type { Label } from '../../streams/messages/label.js';
import { LabelSchema } from '../../streams/messages/label.js';
import type { Outcome } from '../../streams/messages/outcome.js';
import { OutcomeSchema } from '../../streams/messages/outcome.js';
import { toDlqEntry } from '../../streams/validation/dlq.js';
import { bar, fill, H, order, prediction, randomWalk, T0, vectorOf } from './fixtures.js';
import { collect, memoryBusPerTest, publishBars, publishSignals, startActor, until } from './harness.js';

const { cleanups, setup } = memoryBusPerTest();

describe('labeling actor (memory bus and stores)', () => {
  it('labels predictions and orders once their horizon passed in event time, with the decision-time vector; bad input goes to sx.dlq.labeling', async () => {
    const { bus, ns } = await setup();
    const timeseries = createMemoryTimeseriesStore();
    const samples = createMemoryTrainingSampleStore();
    const bars = [bar(0, 64, 64, 64), bar(1, 66, 63, 65), bar(2, 72, 64, 70), bar(3, 71, 62, 68), bar(4, 69, 60, 61), bar(5, 62, 58, 60), bar(6, 61, 59, 60)];
    await timeseries.insert({ bars, features: bars.map((b, i) => vectorOf(b, 4, { rsi_14: 50 + i })) });
    const actor = await startActor(bus, ns, { timeseries, samples }, { spec: { ...DEFAULT_LABEL_SPEC, horizonBars: 2, costBps: 10 } });
    cleanups.push(() => actor.stop());
    const outcomes = collect<Outcome>(bus, ns.streams.OUTCOMES, ns.subjects.streamSubjects.OUTCOMES[0] ?? '');
    const labels = collect<Label>(bus, ns.streams.OUTCOMES, ns.subjects.streamSubjects.OUTCOMES[1] ?? '');
    const dlq = collect<DlqEntry>(bus, ns.streams.DLQ, ns.subjects.dlq('labeling'));
    cleanups.push(async () => { await outcomes.stop(); await labels.stop(); await dlq.stop(); });

    const p0 = prediction('s1', bars[0] as Bar, 0.01, 3);
    const p1 = prediction('s1', bars[1] as Bar, -0.01, 3);
    const other = prediction('s2', bars[1] as Bar, 0.01, 3); // another strategy's: not ours to label
    const o0 = order('s1', bars[0] as Bar, 'buy', 1);
    await publishSignals(bus, ns, [p0, p1, other, o0, fill(o0, 1, T0 + H, 1, 64.64, true)]);
    // An expiry on sx.exec.expired (the paper venue publishes them) of no pending order is let go: not a dead letter.
    const expired: Expiry = { type: 'exec.expired', v: 1, id: expiryId('o:gone'), ts: T0 + H, orderId: 'o:gone', strategy: 's1', venue: 'binance', symbol: 'BTC/USDT', filledQty: 0, remainingQty: 1, reason: 'ttl' };
    await bus.publish(ns.subjects.expired('binance', 'BTC/USDT'), encode(expired), { msgId: expired.id });
    await bus.publish(ns.subjects.prediction('s1', 'binance', 'BTC/USDT'), new TextEncoder().encode('{"type":"pred","v":1'), { msgId: 'bad-json' });
    await publishBars(bus, ns, bars.slice(0, 3));
    await until('bars 0–2 seen', () => actor.stats().received >= 9);
    // The order's horizon (2 bars: bar 2) has passed and its final fill is in; p0's and p1's (3 bars) have not.
    await until('order outcome', () => outcomes.msgs.length >= 1);
    expect(outcomes.msgs.map((o) => o.subject.id)).toEqual([o0.id]);
    expect(actor.pendingIds()).toEqual([p0.id, p1.id].sort());

    const badBar = { ...bar(3, 71, 62, 68), high: 50 }; // high below low: refused at the edge
    await bus.publish(ns.subjects.bar('binance', 'BTC/USDT', '1h'), encode(badBar), { msgId: 'bad-bar' });
    await publishBars(bus, ns, bars.slice(3));
    await until('three outcomes and labels', () => outcomes.msgs.length >= 3 && labels.msgs.length >= 3 && dlq.msgs.length >= 2);

    for (const o of outcomes.msgs) expect(OutcomeSchema.parse(o)).toEqual(o);
    for (const l of labels.msgs) expect(LabelSchema.parse(l)).toEqual(l);
    const out0 = outcomes.msgs.find((o) => o.subject.id === p0.id);
    expect(out0).toMatchObject({ id: `out:${p0.id}`, ts: T0 + 3 * H, entryPrice: 64, exitPrice: 68, mfe: 0.125, mae: -0.03125, barrier: { label: 1, hit: 'take_profit', hitTs: T0 + 2 * H } });
    expect(out0?.forwardReturn).toBe(Math.log(68 / 64));
    const lbl1 = labels.msgs.find((l) => l.subject.id === p1.id);
    expect(lbl1).toMatchObject({ id: `lbl:${p1.id}`, ts: T0 + 4 * H, label: -1, barrier: 'stop_loss', hitTs: T0 + 2 * H, outcomeClass: 'excellent' }); // stopped out first, yet the horizon return (65 → 61) is +6.3% for the short
    const outOrder = outcomes.msgs.find((o) => o.subject.id === o0.id);
    expect(outOrder?.shortfall).toMatchObject({ filledQty: 1, avgFillPrice: 64.64, opportunityBps: (70 / 64 - 1) * 1e4 });
    expect(outOrder?.shortfall?.executionBps).toBeCloseTo(100, 9);

    const stored = await samples.samples({ strategy: 's1' });
    expect(stored.map((s) => s.id)).toEqual([p0.id, p1.id]); // training reads predictions; the order's sample is asked for by kind
    expect(stored[0]).toMatchObject({ ts: T0, labeledTs: T0 + 3 * H, featureId: featureVectorId((bars[0] as Bar).id), features: { atr_14: 4, close: 64, rsi_14: 50 }, label: 1, model: { name: 'direction-mlp', version: 2 }, featureSpecHash: 'spec-hash-1', horizonBars: 3 });
    expect(stored[1]?.features['rsi_14']).toBe(51); // the vector of the bar the prediction was made on, not a later one
    const orderLabel = labels.msgs.find((l) => l.subject.id === o0.id);
    const orderSamples = await samples.samples({ strategy: 's1', kind: 'order' });
    expect(orderSamples).toEqual([
      {
        kind: 'order', id: o0.id, strategy: 's1', venue: 'binance', symbol: 'BTC/USDT', ts: T0, labeledTs: orderLabel?.ts, side: 'buy', model: null, featureSpecHash: null,
        featureId: featureVectorId((bars[0] as Bar).id), features: { atr_14: 4, close: 64, rsi_14: 50 }, label: orderLabel?.label, barrier: orderLabel?.barrier,
        outcomeClass: orderLabel?.outcomeClass, forwardReturn: orderLabel?.forwardReturn, netReturnBps: orderLabel?.netReturnBps, horizonBars: 2,
      },
    ]);
    expect(orderLabel?.ts).toBe(T0 + 2 * H);
    expect((await samples.samples({ strategy: 's1', kind: 'all' })).map((s) => s.id)).toEqual([o0.id, p0.id, p1.id]);
    expect(dlq.msgs.map((e) => e.reason).sort()).toEqual(['MALFORMED_JSON', 'SCHEMA']);
    expect(actor.pendingIds()).toEqual([]);
    // Of the two refused, the unreadable message on a prediction subject may have been a prediction
    // (unlabeled); the bad bar is an input message its bar consumer refused, no label lost.
    expect(actor.stats()).toMatchObject({ labeled: 3, samples: 3, refused: 2, unlabeled: 1, refusedInputs: 1 });
  });

  it('dead-letters the same bytes published twice as two entries, and a batch redelivered after a failed commit as the same ones', async () => {
    const { bus, ns } = await setup();
    // A sender re-sending what it sent, without a Nats-Msg-Id: each copy is a message of the stream, refused.
    const subject = ns.subjects.prediction('s1', 'binance', 'BTC/USDT');
    await bus.publish(subject, new TextEncoder().encode('{"type":"pred","v":1'));
    await bus.publish(subject, new TextEncoder().encode('{"type":"pred","v":1'));
    const real = createMemoryTrainingSampleStore();
    let failures = 1;
    // The commit after the batch's dead letters went out fails once: the batch is redelivered and refused again.
    const samples: typeof real = { ...real, commit: (c) => (failures-- > 0 ? Promise.reject(new Error('store unavailable')) : real.commit(c)) };
    const actor = await startActor(bus, ns, { timeseries: createMemoryTimeseriesStore(), samples }, { ackWaitMs: 50 });
    cleanups.push(() => actor.stop());
    await until('the redelivered batch', () => failures < 0 && actor.stats().published >= 4, 5_000);
    expect(actor.stats()).toMatchObject({ published: 4, duplicates: 2 }); // the redelivery's entries are the first ones
    expect(actor.stats().refused).toBe(2); // two messages refused, as the DLQ holds two entries: not one count per delivery
    const dlq = collect<DlqEntry>(bus, ns.streams.DLQ, ns.subjects.dlq('labeling'));
    cleanups.push(() => dlq.stop());
    await until('the dead letters', () => dlq.msgs.length >= 2, 5_000);
    expect(dlq.msgs.map((e) => e.reason)).toEqual(['MALFORMED_JSON', 'MALFORMED_JSON']);
    expect(new Set(dlq.msgs.map((e) => e.id)).size).toBe(2);
    expect(await bus.countMessages(ns.streams.DLQ)).toBe(2);
  });

  it('counts each message received once when its batch is redelivered after a failed commit', async () => {
    const { bus, ns } = await setup();
    const bars = [0, 1, 2].map((i) => bar(i, 101, 99, 100));
    await publishSignals(bus, ns, [prediction('s1', bars[0] as Bar, 0.01, 5), prediction('s1', bars[1] as Bar, 0.01, 5)]);
    await publishBars(bus, ns, bars);
    const real = createMemoryTrainingSampleStore();
    let failures = 1;
    // The first commit fails: the state goes back to the last commit and that batch is redelivered, and applied again.
    const samples: typeof real = { ...real, commit: (c) => (failures-- > 0 ? Promise.reject(new Error('store unavailable')) : real.commit(c)) };
    const actor = await startActor(bus, ns, { timeseries: createMemoryTimeseriesStore(), samples }, { ackWaitMs: 50 });
    cleanups.push(() => actor.stop());
    await until('the redelivered batch applied', async () => failures < 0 && actor.pendingIds().length === 2 && (await real.loadSnapshot('labeling:s1')) !== undefined, 5_000);
    await new Promise((r) => setTimeout(r, 300)); // ackWait is 50 ms: a batch not acknowledged would be here again
    expect((await real.loadSnapshot('labeling:s1')) as { predictions: unknown[] }).toMatchObject({ predictions: [{}, {}] });
    expect(actor.stats().received).toBe(5); // two predictions and three bars, though one batch was delivered twice
  });

  it('counts an item it cannot label once when the batch that refused it is redelivered after a failed commit', async () => {
    const { bus, ns } = await setup();
    const bars = [0, 1, 2].map((i) => bar(i, 101, 99, 100));
    // No feature vector was ever stored for bar 0, bar 2's was: once its horizon passed the prediction is refused (featureWaitBars 0).
    const timeseries = createMemoryTimeseriesStore();
    await timeseries.insert({ features: [vectorOf(bars[2] as Bar, 1)] });
    await publishSignals(bus, ns, [prediction('s1', bars[0] as Bar, 0.01, 1)]);
    await publishBars(bus, ns, bars);
    let dlqOut = false;
    const watched: Bus = { ...bus, publish: (subject, data, opts) => ((dlqOut ||= subject === ns.subjects.dlq('labeling')), bus.publish(subject, data, opts)) };
    const real = createMemoryTrainingSampleStore();
    let failures = 1;
    // The commit after the refusal's dead letter went out fails once: the state goes back to the last commit and the item is refused again.
    const samples: typeof real = { ...real, commit: (c) => (dlqOut && failures-- > 0 ? Promise.reject(new Error('store unavailable')) : real.commit(c)) };
    const actor = await startActor(watched, ns, { timeseries, samples }, { ackWaitMs: 50, spec: { ...DEFAULT_LABEL_SPEC, horizonBars: 1, featureWaitBars: 0 } });
    cleanups.push(() => actor.stop());
    await until('the redelivered batch committed', () => failures < 0 && actor.stats().duplicates >= 1 && actor.pendingIds().length === 0, 5_000);
    expect(await bus.countMessages(ns.streams.DLQ)).toBe(1);
    expect(actor.stats().refused).toBe(1);
  });

  it("keys the dead letter of an item it cannot label by its message's stream sequence, also after a restart", async () => {
    const { bus, ns } = await setup();
    const bars = [0, 1, 2].map((i) => bar(i, 101, 99, 100));
    const p = prediction('s1', bars[0] as Bar, 0.01, 2);
    await publishSignals(bus, ns, [fill(order('s1', bars[0] as Bar, 'buy'), 0, T0, 1, 100, true)]); // SIGNALS seq 1: not p's
    const ack = await bus.publish(ns.subjects.prediction('s1', 'binance', 'BTC/USDT'), encode(p), { msgId: p.id });
    expect(ack.seq).toBe(2);
    await publishBars(bus, ns, bars.slice(0, 1));
    const samples = createMemoryTrainingSampleStore();
    // No vector of bar 0 stored, bar 2's (the recorder got past it): p is refused once its horizon passed.
    const stores = { timeseries: createMemoryTimeseriesStore(), samples };
    await stores.timeseries.insert({ features: [vectorOf(bars[2] as Bar, 1)] });
    const opts = { spec: { ...DEFAULT_LABEL_SPEC, featureWaitBars: 0 } };
    const first = await startActor(bus, ns, stores, opts);
    await until('p pending', () => first.pendingIds().includes(p.id) && first.stats().received >= 3);
    await first.stop(); // p waits in the snapshot
    const dlq = collect<DlqEntry>(bus, ns.streams.DLQ, ns.subjects.dlq('labeling'));
    cleanups.push(() => dlq.stop());
    const second = await startActor(bus, ns, stores, opts);
    cleanups.push(() => second.stop());
    await publishBars(bus, ns, bars.slice(1));
    await until('p refused', () => dlq.msgs.length >= 1);
    const entry = (seq?: number): string =>
      toDlqEntry({ source: 'labeling', subject: ns.subjects.prediction('s1', 'binance', 'BTC/USDT'), data: encode(p), refusal: { ok: false, reason: 'PROCESSING_FAILED', detail: '' }, ts: 0, ...(seq !== undefined ? { streamSeq: seq } : {}) }).id;
    expect(dlq.msgs.map((e) => e.id)).toEqual([entry(2)]);
    expect(entry(2)).not.toBe(entry(undefined));
  });

  it('refuses an item whose decision-time vector lacks a usable atr_14, or never came, with reason PROCESSING_FAILED (the message itself was valid)', async () => {
    const { bus, ns } = await setup();
    const timeseries = createMemoryTimeseriesStore();
    const bars = [0, 1, 2, 3].map((i) => bar(i, 101, 99, 100));
    // Bar 0's vector has no atr_14 (its warm-up was short), bar 1's was never stored (bar 3's was: the recorder got past it).
    await timeseries.insert({ features: [vectorOf(bars[0] as Bar, null), vectorOf(bars[3] as Bar, 1)] });
    const dlq = collect<DlqEntry>(bus, ns.streams.DLQ, ns.subjects.dlq('labeling'));
    cleanups.push(() => dlq.stop());
    const actor = await startActor(bus, ns, { timeseries, samples: createMemoryTrainingSampleStore() }, { spec: { ...DEFAULT_LABEL_SPEC, horizonBars: 1, featureWaitBars: 0 } });
    cleanups.push(() => actor.stop());
    const noAtr = prediction('s1', bars[0] as Bar, 0.01, 1);
    const noVector = prediction('s1', bars[1] as Bar, 0.01, 1);
    await publishSignals(bus, ns, [noAtr, noVector]);
    await publishBars(bus, ns, bars);
    await until('both refused', () => dlq.msgs.length >= 2);
    const byPayload = (id: string): DlqEntry | undefined => dlq.msgs.find((e) => e.payload.includes(id));
    expect(byPayload(noAtr.id)).toMatchObject({ reason: 'PROCESSING_FAILED', detail: expect.stringContaining('no usable atr_14') });
    expect(byPayload(noVector.id)).toMatchObject({ reason: 'PROCESSING_FAILED', detail: expect.stringContaining('not in the timeseries store') });
    expect(actor.stats()).toMatchObject({ labeled: 0, refused: 2, unlabeled: 2, refusedInputs: 0 });
  });

  it('waits for a decision-time vector the recorder has not stored yet, then labels', async () => {
    const { bus, ns } = await setup();
    const timeseries = createMemoryTimeseriesStore();
    const samples = createMemoryTrainingSampleStore();
    const actor = await startActor(bus, ns, { timeseries, samples });
    cleanups.push(() => actor.stop());
    const bars = [0, 1, 2, 3].map((i) => bar(i, 101, 99, 100));
    await publishSignals(bus, ns, [prediction('s1', bars[0] as Bar, 0.01, 1)]);
    await publishBars(bus, ns, bars.slice(0, 2));
    await until('the prediction waits for its vector', () => actor.stats().received >= 3 && actor.stats().waitingFeatures === 1);
    expect(actor.stats().labeled).toBe(0);
    await timeseries.insert({ features: [vectorOf(bars[0] as Bar, 1)] });
    await publishBars(bus, ns, bars.slice(2));
    await until('labeled', () => actor.stats().labeled === 1);
    expect(await samples.count()).toBe(1);
  });

  it('reads SIGNALS in publish order: a fill published before a later prediction is applied before it, so the order is labeled filled', async () => {
    const { bus, ns } = await setup();
    // Durables of the version that read predictions and execution messages with one consumer each:
    // retired at start.
    for (const kind of ['pred', 'exec']) await bus.consume({ stream: ns.streams.SIGNALS, durable: `labeling_s1_${kind}`, filterSubject: `${ns.prefix}.${kind}.>` }, () => {}).stop();
    const timeseries = createMemoryTimeseriesStore();
    const samples = createMemoryTrainingSampleStore();
    const bars = randomWalk(60, 7);
    await timeseries.insert({ bars, features: bars.map((b) => vectorOf(b, 1)) });
    // One message a batch: with two consumers the prediction consumer ran ahead of the execution one.
    const actor = await startActor(bus, ns, { timeseries, samples }, { batchSize: 1, spec: { ...DEFAULT_LABEL_SPEC, horizonBars: 2, fillGraceBars: 1 } });
    cleanups.push(() => actor.stop());
    expect(actor.consumers.filter((c) => c.stream === ns.streams.SIGNALS).map((c) => c.durable)).toEqual(['labeling_s1_signals']);
    for (const kind of ['pred', 'exec']) expect(await bus.consumerInfo(ns.streams.SIGNALS, `labeling_s1_${kind}`)).toBeUndefined();
    const outcomes = collect<Outcome>(bus, ns.streams.OUTCOMES, ns.subjects.streamSubjects.OUTCOMES[0] ?? '');
    cleanups.push(() => outcomes.stop());
    await publishBars(bus, ns, bars);
    await until('every bar seen', () => actor.stats().received >= bars.length);

    // Order i at bar 5i, its final fill one bar later, then a prediction at bar 5i + 3: the end of
    // the order's fill grace (horizon 2 bars + grace 1), which makes an order without fills due.
    const orders = Array.from({ length: 10 }, (_, i) => order('s1', bars[5 * i] as Bar, 'buy', 1, i));
    for (const [i, o] of orders.entries()) {
      await publishSignals(bus, ns, [o, fill(o, 1, o.ts + H, 1, (bars[5 * i + 1] as Bar).open, true), prediction('s1', bars[5 * i + 3] as Bar, 0.01, 2)]);
    }
    await until('every order labeled', () => orders.every((o) => outcomes.msgs.some((m) => m.subject.id === o.id)));
    for (const o of orders) expect(outcomes.msgs.find((m) => m.subject.id === o.id)?.shortfall?.filledQty, o.id).toBe(1);
  });
});

/** Runs the actor over `bars` with a prediction at every bar from `first` on, features from the engine as the asset actor makes them. */
async function labelRun(bars: readonly Bar[], first: number, expected: number) {
  const { bus, ns } = await setup();
  const timeseries = createMemoryTimeseriesStore();
  const samples = createMemoryTrainingSampleStore();
  const engine = new FeatureEngine();
  const vectors: FeatureVector[] = bars.map((b) => {
    engine.onBar(b);
    return { ...vectorOf(b, null), values: { ...engine.values(), close: b.close } };
  });
  await timeseries.insert({ bars: [...bars], features: vectors });
  const actor = await startActor(bus, ns, { timeseries, samples });
  cleanups.push(() => actor.stop());
  const labels = collect<Label>(bus, ns.streams.OUTCOMES, ns.subjects.streamSubjects.OUTCOMES[1] ?? '');
  cleanups.push(() => labels.stop());
  await publishSignals(bus, ns, bars.slice(first).map((b, i) => prediction('s1', b, i % 2 === 0 ? 0.01 : -0.01, 4)));
  await publishBars(bus, ns, bars);
  await until(`${expected} labels`, () => labels.msgs.length >= expected);
  return { labels: labels.msgs, samples: await samples.samples({ strategy: 's1' }), vectors };
}

describe('labels leak no future', () => {
  it('changing the bars after t changes no label whose horizon ended at or before t, nor any stored decision-time vector', async () => {
    const bars = randomWalk(48, 7);
    const t = T0 + 30 * H;
    const changed = bars.map((b) => (b.ts <= t ? b : { ...b, high: b.high * 1.3, low: b.low * 0.7, close: b.close * (b.ts % (2 * H) === 0 ? 1.2 : 0.8) }));
    // Predictions from bar 16 (ATR warm); horizon 4: those up to bar 43 are labeled in both runs.
    const a = await labelRun(bars, 16, 28);
    const b = await labelRun(changed, 16, 28);
    const known = (ls: readonly Label[]) => ls.filter((l) => l.ts <= t).sort((x, y) => (x.id < y.id ? -1 : 1));
    expect(known(a.labels).length).toBe(11); // decisions at bars 16…26
    expect(known(b.labels)).toEqual(known(a.labels));
    const sa = a.samples.filter((s) => s.labeledTs <= t);
    expect(sa.length).toBe(11);
    expect(b.samples.filter((s) => s.labeledTs <= t)).toEqual(sa);
    expect(b.vectors.filter((v) => v.ts <= t)).toEqual(a.vectors.filter((v) => v.ts <= t));
    // …while labels after t do see the change (so this test can fail).
    const later = (ls: readonly Label[]) => ls.filter((l) => l.ts > t).map((l) => [l.id, l.forwardReturn]);
    expect(later(b.labels)).not.toEqual(later(a.labels));
  });
});
