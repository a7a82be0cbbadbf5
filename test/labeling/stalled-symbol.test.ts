import { describe, expect, it } from 'vitest';
import { DEFAULT_LABEL_SPEC } from '../../models/labeling/label-spec.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import { createMemoryTrainingSampleStore } from '../../state/memory-training-sample-store.js';
import type { Bus, Delivery } from '../../streams/bus.js';
import type { Bar } from '../../streams/messages/bar.js';
import type { DlqEntry } from '../../streams/messages/dlq-entry.js';
import { bar, prediction, vectorOf } from './fixtures.js';
import { collect, memoryBusPerTest, publishBars, publishSignals, startActor, until } from './harness.js';

// Predictions of 1 bar; an item whose asset has no bar at its horizon waits until the strategy's
// newest bar of any asset is 2 bars past it.
const spec = { ...DEFAULT_LABEL_SPEC, featureWaitBars: 2 };
const SYMBOLS = ['BTC/USDT', 'ETH/USDT'];
const btc = (i: number): Bar => bar(i, 101, 99, 100, 'BTC/USDT');
const eth = (i: number): Bar => bar(i, 201, 199, 200, 'ETH/USDT');
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, k) => from + k);

const { cleanups, setup } = memoryBusPerTest();

describe('labeling actor: a symbol that stops trading', () => {
  it('refuses its pending items (DLQ, no data) once event time is featureWaitBars past their horizon, also across a restart', async () => {
    const { bus, ns } = await setup();
    const timeseries = createMemoryTimeseriesStore();
    const samples = createMemoryTrainingSampleStore();
    const p = prediction('s1', eth(1), 0.01, 1); // horizon: ETH bar 2, which never comes
    await timeseries.insert({ features: [vectorOf(eth(1), 1)] });
    const dlq = collect<DlqEntry>(bus, ns.streams.DLQ, ns.subjects.dlq('labeling'));
    cleanups.push(() => dlq.stop());
    const opts = { spec, symbols: SYMBOLS };
    const first = await startActor(bus, ns, { timeseries, samples }, opts);
    await publishBars(bus, ns, [eth(0), eth(1), ...range(0, 3).map(btc)]);
    await publishSignals(bus, ns, [p]);
    await until('all received', () => first.stats().received === 7);
    expect(first.pendingIds()).toEqual([p.id]); // BTC bar 3: 1 bar past the horizon, not 2
    await first.stop();

    const second = await startActor(bus, ns, { timeseries, samples }, opts);
    cleanups.push(() => second.stop());
    expect(second.pendingIds()).toEqual([p.id]);
    await publishBars(bus, ns, [btc(4)]);
    await until('p refused', () => dlq.msgs.length >= 1);
    expect(second.pendingIds()).toEqual([]);
    expect(second.stats()).toMatchObject({ refused: 1, noBarsRefused: 1, labeled: 0 });
    const e = dlq.msgs[0] as DlqEntry;
    expect(e.subject).toBe(ns.subjects.prediction('s1', 'binance', 'ETH/USDT'));
    expect(e.reason).toBe('PROCESSING_FAILED');
    expect(e.detail).toMatch(/^no data: no 1h bar of binance ETH\/USDT up to the horizon/);
  });

  it('keeps waiting while the symbol\'s bars are on the stream but not delivered yet (its consumer behind), then labels', async () => {
    const { bus, ns } = await setup();
    let holding = false;
    let open = (): void => {};
    const gate = new Promise<void>((r) => (open = r));
    // ETH's bar consumer holds its batches while the gate is up: as one catching up behind BTC's.
    const held: Bus = {
      ...bus,
      consume: (s, h) => bus.consume(s, s.durable.includes('ETH') ? async (batch: readonly Delivery[]) => {
        if (holding) await gate;
        return h(batch);
      } : h),
    };
    const timeseries = createMemoryTimeseriesStore();
    const samples = createMemoryTrainingSampleStore();
    const p = prediction('s1', eth(1), 0.01, 1);
    await timeseries.insert({ features: [vectorOf(eth(1), 1)] });
    const actor = await startActor(held, ns, { timeseries, samples }, { spec, symbols: SYMBOLS });
    cleanups.push(() => actor.stop());
    cleanups.push(async () => open()); // runs first: a failed check must not leave the held batch (and stop) hanging
    await publishBars(bus, ns, [eth(0), eth(1), btc(0), btc(1)]);
    await publishSignals(bus, ns, [p]);
    await until('all received', () => actor.stats().received === 5);
    holding = true;
    await publishBars(bus, ns, [eth(2), ...range(2, 6).map(btc)]); // BTC 4 bars past p's horizon; ETH's bar 2 held
    await until('BTC bars received', () => actor.stats().received === 10);
    await new Promise((r) => setTimeout(r, 100));
    expect(actor.pendingIds()).toEqual([p.id]);
    expect(actor.stats().refused).toBe(0);
    open();
    await until('p labeled', () => actor.stats().labeled === 1);
    expect(actor.stats()).toMatchObject({ refused: 0, noBarsRefused: 0 });
    expect(await bus.countMessages(ns.streams.DLQ)).toBe(0);
  });

  it('keeps waiting while its consumer is behind though the newest message on its bar subject is no newer bar (a demo\'s injected faults), then labels', async () => {
    const { bus, ns } = await setup();
    let holding = false;
    let open = (): void => {};
    const gate = new Promise<void>((r) => (open = r));
    const held: Bus = {
      ...bus,
      consume: (s, h) => bus.consume(s, s.durable.includes('ETH') ? async (batch: readonly Delivery[]) => {
        if (holding) await gate;
        return h(batch);
      } : h),
    };
    const timeseries = createMemoryTimeseriesStore();
    const samples = createMemoryTrainingSampleStore();
    const p = prediction('s1', eth(1), 0.01, 1);
    await timeseries.insert({ features: [vectorOf(eth(1), 1)] });
    const dlq = collect<DlqEntry>(bus, ns.streams.DLQ, ns.subjects.dlq('labeling'));
    cleanups.push(() => dlq.stop());
    const actor = await startActor(held, ns, { timeseries, samples }, { spec, symbols: SYMBOLS });
    cleanups.push(() => actor.stop());
    cleanups.push(async () => open());
    await publishBars(bus, ns, [eth(0), eth(1), btc(0), btc(1)]);
    await publishSignals(bus, ns, [p]);
    await until('all received', () => actor.stats().received === 5);
    holding = true;
    // ETH's bars to 3 (held), then what `sextant demo` publishes after its replay on its first
    // symbol: a bar from a year before (fresh id) and a malformed one, the newest on the subject.
    await publishBars(bus, ns, [eth(2), eth(3), eth(-24 * 365)]);
    await bus.publish(ns.subjects.bar('binance', 'ETH/USDT', '1h'), new TextEncoder().encode('{"type":"md.bar","v":1,"id":'), { msgId: 'fault:malformed' });
    await publishBars(bus, ns, range(2, 8).map(btc)); // BTC 6 bars past p's horizon (bar 2)
    await until('BTC bars received', () => actor.stats().received === 5 + 7);
    await new Promise((r) => setTimeout(r, 100));
    expect(actor.pendingIds()).toEqual([p.id]);
    expect(actor.stats()).toMatchObject({ refused: 0, noBarsRefused: 0 });
    open();
    await until('p labeled', () => actor.stats().labeled === 1);
    await until('ETH bars received', () => actor.stats().received === 5 + 7 + 4);
    // The malformed message is refused as such; no item for want of bars.
    expect(actor.stats()).toMatchObject({ noBarsRefused: 0, refused: 1, pending: 0 });
    await until('dead letter', () => dlq.msgs.length === 1);
    expect(dlq.msgs.map((e) => e.reason)).toEqual(['MALFORMED_JSON']);
  });
});
