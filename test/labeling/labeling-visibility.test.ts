import { afterEach, describe, expect, it } from 'vitest';
import type { Supervisor } from '../../actors/supervisor.js';
import { engineControlTarget } from '../../cli/engine-control.js';
import { engineConsumers, startEngineStatusFeed } from '../../cli/engine-status-feed.js';
import { loadConfig } from '../../config/load.js';
import { createEngineMetrics } from '../../gateways/http/metrics.js';
import type { LabelingCounts } from '../../gateways/http/metrics.js';
import { DEFAULT_LABEL_SPEC } from '../../models/labeling/label-spec.js';
import { createCounters } from '../../state/counters.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import { createMemoryTrainingSampleStore } from '../../state/memory-training-sample-store.js';
import type { Bar } from '../../streams/messages/bar.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { parsePromText, sampleValue } from '../gateways/http/prom-text.js';
import { bar, prediction, vectorOf } from './fixtures.js';
import { namespace, publishBars, publishSignals, specsOf, startActor, until } from './harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const idleSupervisor: Supervisor = { status: () => [], halt: () => {}, resume: () => {}, restartGivenUp: () => [], stop: async () => {} };

describe('the labeling actor as an operator sees it: sextant ctl status and /metrics', () => {
  it('shows what labeling received, labeled and still has pending, and its consumers\' lag', async () => {
    const ns = namespace();
    const bus = createMemoryBus();
    await bus.ensureStreams(specsOf(ns));
    cleanups.push(() => bus.close());
    const timeseries = createMemoryTimeseriesStore();
    const bars = [bar(0, 64, 64, 64), bar(1, 66, 63, 65), bar(2, 72, 64, 70), bar(3, 71, 62, 68), bar(4, 69, 60, 61), bar(5, 62, 58, 60)];
    await timeseries.insert({ bars, features: bars.map((b) => vectorOf(b, 4)) });
    const labeling = await startActor(bus, ns, { timeseries, samples: createMemoryTrainingSampleStore() }, { spec: { ...DEFAULT_LABEL_SPEC, horizonBars: 3 } });
    cleanups.push(() => labeling.stop());

    const counters = createCounters();
    const engine = { supervisor: idleSupervisor, counters, decisions: undefined, labeling };
    const ctl = engineControlTarget({ ...engine, registry: undefined, known: { symbols: ['BTC/USDT'], strategies: ['s1'] } });
    const metrics = createEngineMetrics({ defaultMetrics: false });
    const cfg = { ...loadConfig(), prefix: ns.prefix, streamNamePrefix: ns.namePrefix, assets: [] };
    const consumers = engineConsumers(cfg, engine);
    expect(consumers).toEqual(labeling.consumers);
    expect(consumers.length).toBeGreaterThan(1); // SIGNALS and the bars of BTC/USDT
    const feed = startEngineStatusFeed({ engine, hub: { publishLocal: () => {} }, metrics, bus, consumers, intervalMs: 60_000, log: silentLogger });
    cleanups.push(() => feed.stop());
    const scrape = async (): Promise<ReturnType<typeof parsePromText>> => parsePromText(await metrics.text());
    const s1 = { strategy: 's1' };
    const statusOf = (): unknown => (ctl.status() as { labeling: unknown }).labeling;

    // Two predictions whose 3-bar horizon has not passed: received, pending, none labeled.
    await publishSignals(bus, ns, [prediction('s1', bars[0] as Bar, 0.01, 3), prediction('s1', bars[1] as Bar, -0.01, 3)]);
    await publishBars(bus, ns, bars.slice(0, 3));
    await until('5 received', () => labeling.stats().received === 5);
    expect(statusOf()).toMatchObject({ received: 5, labeled: 0, pending: 2, refused: 0 });
    let m = await scrape();
    expect(sampleValue(m, 'sextant_labeling_received_total', s1)).toBe(5);
    expect(sampleValue(m, 'sextant_labeling_labeled_total', s1)).toBe(0);
    expect(sampleValue(m, 'sextant_labeling_pending', s1)).toBe(2);
    await feed.pollLag();
    m = await scrape();
    for (const c of labeling.consumers) expect(sampleValue(m, 'sextant_consumer_lag', { durable: c.durable }), c.durable).toBe(0);

    // Their horizons pass: both labeled, nothing pending.
    await publishBars(bus, ns, bars.slice(3));
    await until('both labeled', () => labeling.stats().labeled === 2);
    expect(statusOf()).toEqual(labeling.stats());
    expect(statusOf()).toMatchObject({ received: 8, labeled: 2, samples: 2, pending: 0 });
    m = await scrape();
    expect(sampleValue(m, 'sextant_labeling_received_total', s1)).toBe(8);
    expect(sampleValue(m, 'sextant_labeling_labeled_total', s1)).toBe(2);
    expect(sampleValue(m, 'sextant_labeling_samples_total', s1)).toBe(2);
    expect(sampleValue(m, 'sextant_labeling_pending', s1)).toBe(0);
    expect(await metrics.text()).toMatch(/# TYPE sextant_labeling_labeled_total counter/);
  });

  it('counts grow by what the actor counted since the last scrape, and a new actor\'s from 0', async () => {
    const metrics = createEngineMetrics({ defaultMetrics: false });
    const zero: LabelingCounts = { received: 0, labeled: 0, samples: 0, published: 0, duplicates: 0, skippedSeq: 0, pathsFromStore: 0, relabelsSkipped: 0, noBarsRefused: 0, pending: 0, waitingFeatures: 0 };
    const labeled = async (): Promise<number | undefined> => sampleValue(parsePromText(await metrics.text()), 'sextant_labeling_labeled_total', { strategy: 's1' });
    expect(await labeled()).toBeUndefined(); // no labeling actor: no series
    let a = { ...zero, labeled: 3 };
    metrics.labelingCounts('s1', () => a);
    expect(await labeled()).toBe(3);
    expect(await labeled()).toBe(3); // a scrape counts nothing by itself
    a = { ...a, labeled: 5 };
    expect(await labeled()).toBe(5);
    const b = { ...zero, labeled: 2 }; // a new actor (an engine started again in the process)
    metrics.labelingCounts('s1', () => b);
    expect(await labeled()).toBe(7);
  });

  it('exports the re-published orders skipped and the items refused for a symbol without bars as counters', async () => {
    const metrics = createEngineMetrics({ defaultMetrics: false });
    const zero: LabelingCounts = { received: 0, labeled: 0, samples: 0, published: 0, duplicates: 0, skippedSeq: 0, pathsFromStore: 0, relabelsSkipped: 0, noBarsRefused: 0, pending: 0, waitingFeatures: 0 };
    let c = { ...zero, relabelsSkipped: 2, noBarsRefused: 3 };
    metrics.labelingCounts('s1', () => c);
    const text = await metrics.text();
    expect(text).toMatch(/# TYPE sextant_labeling_relabels_skipped_total counter/);
    expect(text).toMatch(/# TYPE sextant_labeling_no_bars_refused_total counter/);
    expect(sampleValue(parsePromText(text), 'sextant_labeling_relabels_skipped_total', { strategy: 's1' })).toBe(2);
    expect(sampleValue(parsePromText(text), 'sextant_labeling_no_bars_refused_total', { strategy: 's1' })).toBe(3);
    c = { ...c, noBarsRefused: 4 };
    expect(sampleValue(parsePromText(await metrics.text()), 'sextant_labeling_no_bars_refused_total', { strategy: 's1' })).toBe(4);
  });
});
