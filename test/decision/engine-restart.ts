import { startEngine } from '../../cli/engine.js';
import type { Engine, EngineAdapters, EngineOptions } from '../../cli/engine.js';
import type { Config } from '../../config/schema.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import type { FeatureStore } from '../../state/feature-store.js';
import { silentLogger } from '../../state/logger.js';
import type { Logger } from '../../state/logger.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import type { RiskStore } from '../../state/risk-store.js';
import type { Bus } from '../../streams/bus.js';
import { decodeText } from '../../streams/codec.js';
import type { Bar } from '../../streams/messages/bar.js';
import { OrderSchema } from '../../streams/messages/order.js';
import type { Order } from '../../streams/messages/order.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import type { MemoryBus } from '../../streams/memory-bus.js';
import { streamName, streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { readAllStored } from '../support/read-all-stored.js';
import { feedLiveBars } from './live-bars-feed.js';

/** The steps of the engine restart tests: engines started, fed and stopped in turn on the same bus and stores. */

/** What the engines of a restart test share: the bus, the stores in memory but the risk state, `riskStore`. */
export type RestartStores<B extends Bus = MemoryBus> = EngineAdapters & { bus: B; features: FeatureStore };

/** A memory bus holding the streams of `cfg`. */
export async function busFor(cfg: Config): Promise<MemoryBus> {
  const bus = createMemoryBus();
  await bus.ensureStreams(streamSpecs(cfg));
  return bus;
}

/** Memory stores over `bus` (a memory bus, or real NATS) and `riskStore` (and `features`, 10 vectors of history, unless given). */
export const restartStores = <B extends Bus = MemoryBus>(bus: B, registry: ModelRegistry, riskStore: RiskStore, features: FeatureStore = createMemoryFeatureStore({ historyCap: 10 })): RestartStores<B> => ({
  bus,
  features,
  timeseries: createMemoryTimeseriesStore(),
  registry,
  riskStore,
  audit: createMemoryAuditStore(),
});

/** An engine of `cfg` on the live clock (its time the bars' event time), silent unless `log` is given. */
export const startLive = (cfg: Config, stores: EngineAdapters, log: Logger = silentLogger, opts?: EngineOptions): Promise<Engine> => startEngine(cfg, stores, createLiveClock(), log, opts);

/**
 * Starts an engine, feeds it the live bars of `symbols` in [from, to) (those `keep` keeps: a hole
 * in an asset's data) and stops it (also when the feed fails): the engine, stopped.
 */
export async function runBetween(cfg: Config, stores: EngineAdapters, symbols: readonly string[], from: number, to: number, keep?: (b: Bar) => boolean): Promise<Engine> {
  const engine = await startLive(cfg, stores);
  try {
    await feedLiveBars(engine, stores.bus, cfg, symbols, from, to, keep);
  } finally {
    await engine.stop();
  }
  return engine;
}

/** Every order approved so far of `symbols`, in stream order. */
export async function storedOrders(bus: Bus, cfg: Config, symbols: readonly string[]): Promise<Order[]> {
  const subjects = subjectsFor(cfg.prefix);
  const out: { seq: number; o: Order }[] = [];
  for (const sym of symbols) {
    for (const m of await readAllStored(bus, streamName(cfg, 'SIGNALS'), subjects.order(cfg.strategy.name, cfg.venue, sym))) out.push({ seq: m.streamSeq, o: OrderSchema.parse(JSON.parse(decodeText(m.data))) });
  }
  return out.sort((a, b) => a.seq - b.seq).map((x) => x.o);
}
