import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRecorder } from '../../actors/recorder-actor.js';
import { startEngine } from '../../cli/engine.js';
import type { EngineAdapters } from '../../cli/engine.js';
import { loadConfig } from '../../config/load.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { FeatureEngine } from '../../models/features/feature-engine.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { createCounters } from '../../state/counters.js';
import type { FeatureStore } from '../../state/feature-store.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import type { InsertCounts, TimeseriesBatch } from '../../state/timeseries-store.js';
import type { Bus } from '../../streams/bus.js';
import { encode } from '../../streams/codec.js';
import type { Bar } from '../../streams/messages/bar.js';
import type { DlqEntry } from '../../streams/messages/dlq-entry.js';
import type { FeatureVector } from '../../streams/messages/feature-vector.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { testDataDir } from '../support/data-dir.js';

const cfg = loadConfig({ env: {}, overrides: { assets: [{ venue: 'binance', symbol: 'BTC/USDT' }], consumer: { batchSize: 64, ackWaitMs: 1000 } } });
const subjects = subjectsFor(cfg.prefix);
const dec = (d: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(d));

async function loadBars(n: number): Promise<Bar[]> {
  const out: Bar[] = [];
  const file = resolve(testDataDir(), 'ohlcv/binance_spot_1h/BTC_USDT_1h.csv');
  for await (const b of readBars(file, { venue: 'binance', symbol: 'BTC/USDT', tf: '1h', from: Date.UTC(2022, 0, 1), limit: n })) out.push(b);
  return out;
}

async function setup(features: FeatureStore = createMemoryFeatureStore({ historyCap: 10 })) {
  const bus = createMemoryBus();
  await bus.ensureStreams(streamSpecs(cfg));
  const timeseries = createMemoryTimeseriesStore();
  const adapters: EngineAdapters = { bus, features, timeseries };
  return { bus, features, timeseries, adapters, clock: createSimulatedClock(0) };
}

const publishBars = async (bus: Bus, bars: readonly Bar[]): Promise<void> => {
  for (const b of bars) await bus.publish(subjects.bar(b.venue, b.symbol, b.tf), encode(b), { msgId: b.id });
};

const until = async (cond: () => boolean | Promise<boolean>, what: string): Promise<void> => {
  const deadline = performance.now() + 10_000;
  while (!(await cond())) {
    if (performance.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

const reference = (bars: readonly Bar[]): Record<string, number | null> => {
  const e = new FeatureEngine();
  for (const b of bars) e.onBar(b);
  const values: Record<string, number | null> = e.values();
  const last = bars[bars.length - 1];
  if (last !== undefined) values['close'] = last.close;
  return values;
};

describe('asset actor under the supervisor (in-memory adapters, simulated clock)', () => {
  it('turns bars into feature vectors on sx.feat, rows in history and the latest features', async () => {
    const bars = await loadBars(300);
    const s = await setup();
    const published: FeatureVector[] = [];
    s.bus.subscribe(subjects.allFeatures(), (_subj, data) => published.push(dec(data) as FeatureVector));
    const engine = await startEngine(cfg, s.adapters, s.clock, silentLogger);
    await publishBars(s.bus, bars);
    await until(() => engine.counters.messagesIn === 300, 'all bars consumed');
    expect(engine.supervisor.status()).toEqual([expect.objectContaining({ key: 'asset:binance:BTC/USDT', state: 'live', restarts: 0 })]);
    await engine.stop();
    expect(await s.timeseries.counts()).toEqual({ bars: 300, trades: 0, quotes: 0, features: 300 });
    const latest = await s.features.latest({ venue: 'binance', symbol: 'BTC/USDT' });
    expect(latest?.values).toEqual(reference(bars));
    expect(published.at(-1)?.values).toEqual(reference(bars));
    expect(engine.supervisor.status()).toEqual([expect.objectContaining({ key: 'asset:binance:BTC/USDT', state: 'stopped', restarts: 0 })]);
  });

  it('sends a refused message to sx.dlq.asset with its reason and leaves the features untouched', async () => {
    const bars = await loadBars(250);
    const s = await setup();
    const engine = await startEngine(cfg, s.adapters, s.clock, silentLogger);
    await publishBars(s.bus, bars.slice(0, 200));
    const subject = subjects.bar('binance', 'BTC/USDT', '1h');
    const bad = { ...bars[200], id: 'b:bad', close: -5 };
    await s.bus.publish(subject, encode(bad), { msgId: 'bad-1' });
    await s.bus.publish(subject, new TextEncoder().encode('{nope'), { msgId: 'bad-2' });
    await publishBars(s.bus, bars.slice(200));
    await until(() => engine.counters.messagesIn === 252, 'all consumed');
    await engine.stop();
    expect(engine.counters.refused).toEqual({ NON_POSITIVE: 1, MALFORMED_JSON: 1 });
    expect((await s.features.latest({ venue: 'binance', symbol: 'BTC/USDT' }))?.values).toEqual(reference(bars));
    const dlq: DlqEntry[] = [];
    const c = s.bus.consume({ stream: 'DLQ', durable: 'test', filterSubject: subjects.allDlq() }, (batch) => {
      for (const d of batch) dlq.push(dec(d.data) as DlqEntry);
    });
    await until(() => dlq.length === 2, 'two DLQ entries');
    await c.stop();
    expect(dlq.map((e) => e.reason)).toEqual(['NON_POSITIVE', 'MALFORMED_JSON']);
    expect(dlq[0]).toMatchObject({ source: 'asset', subject, detail: expect.stringContaining('close') });
  });

  it('restarts a failed actor with backoff on the clock, from its snapshot, storing each input once', async () => {
    const bars = await loadBars(400);
    const inner = createMemoryFeatureStore({ historyCap: 10 });
    let failOnce = true;
    const flaky: FeatureStore = {
      ...inner,
      writeBatch: async (v, snaps) => {
        if (failOnce && (snaps?.[0]?.[1].streamSeq ?? 0) > 150) {
          failOnce = false;
          throw new Error('redis went away');
        }
        return inner.writeBatch(v, snaps);
      },
    };
    const s = await setup(flaky);
    const engine = await startEngine(cfg, s.adapters, s.clock, silentLogger);
    await publishBars(s.bus, bars);
    await until(() => engine.supervisor.status()[0]?.state === 'restarting', 'actor failed');
    expect(engine.counters.messagesIn).toBeLessThan(400);
    s.clock.advanceBy(cfg.supervisor.restartMinMs - 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(engine.supervisor.status()[0]?.state).toBe('restarting');
    s.clock.advanceBy(1);
    await until(async () => (await s.timeseries.counts()).bars === 400 && engine.counters.accepted >= 400, 'all stored after restart');
    await engine.stop();
    expect(engine.counters.restarts).toBe(1);
    expect(await s.timeseries.counts()).toMatchObject({ bars: 400, features: 400 });
    expect((await inner.latest({ venue: 'binance', symbol: 'BTC/USDT' }))?.values).toEqual(reference(bars));
  });

  it('keeps its state in step while halted but publishes no features, and resumes', async () => {
    const bars = await loadBars(260);
    const s = await setup();
    const published: FeatureVector[] = [];
    s.bus.subscribe(subjects.allFeatures(), (_subj, data) => published.push(dec(data) as FeatureVector));
    const engine = await startEngine(cfg, s.adapters, s.clock, silentLogger);
    await publishBars(s.bus, bars.slice(0, 220));
    await until(() => engine.counters.messagesIn === 220, 'first part');
    await new Promise((r) => setTimeout(r, 20));
    engine.supervisor.halt(undefined, 'operator');
    expect(engine.supervisor.status()[0]?.state).toBe('halted');
    const before = published.length;
    await publishBars(s.bus, bars.slice(220, 240));
    await until(() => engine.counters.messagesIn === 240, 'halted part');
    await new Promise((r) => setTimeout(r, 20));
    expect(published.length).toBe(before);
    engine.supervisor.resume();
    await publishBars(s.bus, bars.slice(240));
    await until(() => engine.counters.messagesIn === 260, 'resumed part');
    await new Promise((r) => setTimeout(r, 20));
    await engine.stop();
    expect(published.at(-1)?.values).toEqual(reference(bars));
  });
});

describe('recorder', () => {
  it('group-commits concurrent batches and resolves each once written', async () => {
    const inserts: TimeseriesBatch[] = [];
    let release: () => void = () => {};
    const store = {
      insert: async (b: TimeseriesBatch): Promise<InsertCounts> => {
        inserts.push(b);
        if (inserts.length === 1) await new Promise<void>((r) => (release = r));
        return { bars: b.bars?.length ?? 0, trades: 0, quotes: 0, features: 0 };
      },
    };
    const counters = createCounters();
    const rec = createRecorder({ store, counters, log: silentLogger });
    const bars = await loadBars(5);
    const first = rec.record({ bars: [bars[0] as Bar] });
    const rest = [1, 2, 3, 4].map((i) => rec.record({ bars: [bars[i] as Bar] }));
    await new Promise((r) => setTimeout(r, 10));
    expect(inserts).toHaveLength(1);
    release();
    await Promise.all([first, ...rest]);
    expect(inserts).toHaveLength(2);
    expect(inserts[1]?.bars).toHaveLength(4);
    expect(counters.rowsWritten.bars).toBe(5);
  });

  it('rejects the waiters of a failed write and goes on', async () => {
    let calls = 0;
    const store = {
      insert: async (): Promise<InsertCounts> => {
        if (++calls === 1) throw new Error('db down');
        return { bars: 1, trades: 0, quotes: 0, features: 0 };
      },
    };
    const rec = createRecorder({ store, counters: createCounters(), log: silentLogger });
    await expect(rec.record({ bars: [] })).rejects.toThrow('db down');
    await expect(rec.record({ bars: [] })).resolves.toBeUndefined();
  });
});
