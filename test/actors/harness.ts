import type { AssetActorDeps, AssetActorHandle, AssetActorOptions } from '../../actors/asset-actor.js';
import { startAssetActor } from '../../actors/asset-actor.js';
import type { Recorder } from '../../actors/recorder-actor.js';
import { createRecorder } from '../../actors/recorder-actor.js';
import { durableFor } from '../../cli/engine.js';
import type { Config } from '../../config/schema.js';
import { loadConfig } from '../../config/load.js';
import type { SimulatedClock } from '../../state/clocks/simulated-clock.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import type { EngineCounters } from '../../state/counters.js';
import { createCounters } from '../../state/counters.js';
import type { AssetKey, FeatureStore } from '../../state/feature-store.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import type { TimeseriesStore } from '../../state/timeseries-store.js';
import type { Bus } from '../../streams/bus.js';
import { encode } from '../../streams/codec.js';
import type { Bar } from '../../streams/messages/bar.js';
import { barId } from '../../streams/messages/bar.js';
import type { DlqEntry } from '../../streams/messages/dlq-entry.js';
import type { FeatureVector } from '../../streams/messages/feature-vector.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import type { Quote } from '../../streams/messages/quote.js';
import { quoteId } from '../../streams/messages/quote.js';
import type { Trade } from '../../streams/messages/trade.js';
import { tradeId } from '../../streams/messages/trade.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { streamSpecs } from '../../streams/provision.js';
import type { Subjects } from '../../streams/subjects.js';
import { subjectsFor } from '../../streams/subjects.js';
import { FeatureEngine } from '../../models/features/feature-engine.js';

/** Shared fixtures for the actor tests: in-memory adapters, a simulated clock, synthetic market data. */

export const BTC: AssetKey = { venue: 'binance', symbol: 'BTC/USDT' };
export const ETH: AssetKey = { venue: 'binance', symbol: 'ETH/USDT' };
const T0 = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;

export const testConfig = (overrides: Record<string, unknown> = {}): Config =>
  loadConfig({
    env: {},
    overrides: {
      assets: [BTC, ETH],
      consumer: { batchSize: 16, ackWaitMs: 1000 },
      asset: { staleAfterMs: 2 * HOUR },
      supervisor: { restartMinMs: 100, restartMaxMs: 1000, maxRestarts: 5 },
      ...overrides,
    },
  });

/** A smooth, deterministic hourly series: warm after 200 bars, distinct values everywhere. */
export function makeBars(n: number, asset: AssetKey = BTC, from = 0): Bar[] {
  const out: Bar[] = [];
  for (let i = from; i < from + n; i++) {
    const ts = T0 + i * HOUR;
    const open = 100 + 10 * Math.sin(i / 7) + i * 0.01;
    const close = 100 + 10 * Math.sin((i + 1) / 7) + (i + 1) * 0.01;
    out.push({
      type: 'md.bar',
      v: 1,
      id: barId(asset.venue, asset.symbol, '1h', ts),
      venue: asset.venue,
      symbol: asset.symbol,
      tf: '1h',
      open,
      high: Math.max(open, close) + 0.5 + (i % 3) * 0.1,
      low: Math.min(open, close) - 0.5 - (i % 5) * 0.1,
      close,
      volume: 10 + (i % 11),
      ts,
    });
  }
  return out;
}

export const makeTrade = (n: number, ts: number, asset: AssetKey = BTC): Trade => ({
  type: 'md.trade',
  v: 1,
  id: tradeId(asset.venue, asset.symbol, n),
  venue: asset.venue,
  symbol: asset.symbol,
  price: 100 + (n % 7),
  qty: 0.1 + (n % 3) / 10,
  side: n % 2 === 0 ? 'buy' : 'sell',
  ts,
});

export const makeQuote = (ts: number, asset: AssetKey = BTC, seq = 0): Quote => ({
  type: 'md.quote',
  v: 1,
  id: quoteId(asset.venue, asset.symbol, ts, seq),
  venue: asset.venue,
  symbol: asset.symbol,
  bid: 100 + (ts % 5) / 10,
  bidSize: 1,
  ask: 100.2 + (ts % 5) / 10,
  askSize: 2,
  ts,
});

/** The feature values after feeding `msgs` to a fresh engine (plus the close of a final bar): what an actor must arrive at. */
export function reference(msgs: readonly MarketData[]): Record<string, number | null> {
  const e = new FeatureEngine();
  for (const m of msgs) {
    if (m.type === 'md.bar') e.onBar(m);
    else if (m.type === 'md.trade') e.onTrade(m);
    else e.onQuote(m);
  }
  const values: Record<string, number | null> = e.values();
  const last = msgs[msgs.length - 1];
  if (last?.type === 'md.bar') values['close'] = last.close;
  return values;
}

export const decodeJson = <T>(d: Uint8Array): T => JSON.parse(new TextDecoder().decode(d)) as T;

export type World = {
  cfg: Config;
  subjects: Subjects;
  bus: Bus;
  features: FeatureStore;
  timeseries: TimeseriesStore;
  clock: SimulatedClock;
  counters: EngineCounters;
  recorder: Recorder;
  deps: AssetActorDeps;
  /** Everything emitted on sx.feat.>, in order. */
  published: FeatureVector[];
};

export async function makeWorld(
  opts: Readonly<{ cfg?: Config; bus?: Bus; features?: FeatureStore; timeseries?: TimeseriesStore; clock?: SimulatedClock; wrapBus?: (b: Bus) => Bus }> = {},
): Promise<World> {
  const cfg = opts.cfg ?? testConfig();
  const subjects = subjectsFor(cfg.prefix);
  const inner = opts.bus ?? createMemoryBus();
  await inner.ensureStreams(streamSpecs(cfg));
  const bus = opts.wrapBus?.(inner) ?? inner;
  const features = opts.features ?? createMemoryFeatureStore({ historyCap: 10_000 });
  const timeseries = opts.timeseries ?? createMemoryTimeseriesStore();
  const clock = opts.clock ?? createSimulatedClock(T0);
  const counters = createCounters();
  const recorder = createRecorder({ store: timeseries, counters, log: silentLogger });
  const published: FeatureVector[] = [];
  inner.subscribe(subjects.allFeatures(), (_s, d) => published.push(decodeJson<FeatureVector>(d)));
  const deps: AssetActorDeps = { bus, features, recorder, clock, subjects, counters, log: silentLogger };
  return { cfg, subjects, bus, features, timeseries, clock, counters, recorder, deps, published };
}

export function actorOptions(cfg: Config, asset: AssetKey = BTC): AssetActorOptions {
  const known = new Set(cfg.assets.map((a) => `${a.venue}|${a.symbol}`));
  return {
    asset,
    stream: `${cfg.streamNamePrefix}MD`,
    durable: durableFor(asset),
    batchSize: cfg.consumer.batchSize,
    ackWaitMs: cfg.consumer.ackWaitMs,
    maxPayloadBytes: cfg.validation.maxPayloadBytes,
    dedupWindow: cfg.validation.dedupWindow,
    outOfOrderToleranceMs: cfg.validation.outOfOrderToleranceMs,
    staleAfterMs: cfg.asset.staleAfterMs,
    isKnown: (venue, symbol) => known.has(`${venue}|${symbol}`),
  };
}

/**
 * Options of an actor that saves its state after every batch (`asset.checkpointMs` of the
 * config is not passed on: on the simulated clock nothing would fire a spaced checkpoint).
 */
export const startActor = (w: World, asset: AssetKey = BTC, extra: Partial<AssetActorOptions> = {}): Promise<AssetActorHandle> =>
  startAssetActor(w.deps, { ...actorOptions(w.cfg, asset), ...extra });

export function subjectOf(subjects: Subjects, m: MarketData): string {
  if (m.type === 'md.bar') return subjects.bar(m.venue, m.symbol, m.tf);
  return m.type === 'md.trade' ? subjects.trade(m.venue, m.symbol) : subjects.quote(m.venue, m.symbol);
}

/** Publishes to MD with the message id as `Nats-Msg-Id`, as the gateways do. */
export async function publishAll(w: Pick<World, 'bus' | 'subjects'>, msgs: readonly MarketData[]): Promise<void> {
  for (const m of msgs) await w.bus.publish(subjectOf(w.subjects, m), encode(m), { msgId: m.id });
}

export async function publishRaw(w: Pick<World, 'bus' | 'subjects'>, subject: string, payload: string | object, msgId: string): Promise<void> {
  await w.bus.publish(subject, typeof payload === 'string' ? new TextEncoder().encode(payload) : encode(payload), { msgId });
}

/** Polls (real time: the memory bus delivers on the event loop) until `cond` holds. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await cond())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Lets the event loop run a few turns (deliveries, microtask emits) without waiting on a condition. */
/** The actor's status now, `staleAfterMs` − 1 later on the world's clock, and 1 ms after that (advances the clock). */
export function staleTimeline(w: Pick<World, 'clock' | 'cfg'>, actor: AssetActorHandle): string[] {
  const now = actor.status();
  w.clock.advanceBy(w.cfg.asset.staleAfterMs - 1);
  const justBefore = actor.status();
  w.clock.advanceBy(1);
  return [now, justBefore, actor.status()];
}

export const settle = async (turns = 5): Promise<void> => {
  for (let i = 0; i < turns; i++) await new Promise((r) => setTimeout(r, 1));
};

export async function readDlq(w: Pick<World, 'bus' | 'subjects' | 'cfg'>, expected: number): Promise<DlqEntry[]> {
  const out: DlqEntry[] = [];
  const c = w.bus.consume({ stream: `${w.cfg.streamNamePrefix}DLQ`, durable: `dlq_reader_${expected}_${Math.floor(performance.now())}`, filterSubject: w.subjects.allDlq() }, (batch) => {
    for (const d of batch) out.push(decodeJson<DlqEntry>(d.data));
  });
  await until(() => out.length >= expected, `${expected} DLQ entries`);
  await settle();
  await c.stop();
  return out;
}

/** Feature rows in the timeseries store for one asset, oldest first. */
export const storedVectors = (w: Pick<World, 'timeseries'>, asset: AssetKey = BTC): Promise<readonly FeatureVector[]> => w.timeseries.features({ venue: asset.venue, symbol: asset.symbol });
