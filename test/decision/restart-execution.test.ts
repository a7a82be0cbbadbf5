import { beforeAll, describe, expect, it } from 'vitest';
import { startEngine } from '../../cli/engine.js';
import type { Engine } from '../../cli/engine.js';
import type { Config } from '../../config/schema.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import type { Bus } from '../../streams/bus.js';
import { encode } from '../../streams/codec.js';
import type { Fill } from '../../streams/messages/fill.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { bookWithOrders } from '../support/approved-orders.js';
import type { ApprovedOrder } from '../support/approved-orders.js';
import { isolatedConfig, trainedRegistry } from './engine-run.js';
import { feedLiveBars } from './live-bars-feed.js';

const SYMBOLS = ['BTC/USDT', 'ETH/USDT'];
const FROM = Date.UTC(2024, 0, 1);

type Stores = Parameters<typeof startEngine>[1];

const feed = (engine: Engine, bus: Bus, cfg: Config, from: number, to: number): Promise<void> => feedLiveBars(engine, bus, cfg, SYMBOLS, from, to);

const start = (cfg: Config, stores: Stores): Promise<Engine> => startEngine(cfg, stores, createLiveClock(), silentLogger);

const held = (e: Engine): Record<string, number> => Object.fromEntries((e.decisions?.risk.status().positions ?? []).filter((p) => p.qty !== 0).map((p) => [p.symbol, p.qty]));

describe('execution after an engine restart (memory bus and stores, the risk book restored)', () => {
  let registry: ModelRegistry;
  beforeAll(async () => {
    registry = await trainedRegistry(SYMBOLS, FROM);
  }, 60_000);

  it('closes on an operator reduce --flatten what was held before the restart', async () => {
    const cfg = isolatedConfig(SYMBOLS);
    const bus = createMemoryBus();
    await bus.ensureStreams(streamSpecs(cfg));
    const stores: Stores = { bus, features: createMemoryFeatureStore({ historyCap: 10 }), timeseries: createMemoryTimeseriesStore(), registry, riskStore: createMemoryRiskStore(), audit: createMemoryAuditStore() };
    const first = await start(cfg, stores);
    await feed(first, bus, cfg, FROM, Date.UTC(2024, 0, 20));
    await first.stop();
    // The strategy holds BTC when this engine stops (the model and the bars are fixed).
    const before = held(first);
    expect(Object.keys(before)).toEqual(['BTC/USDT']);

    const second = await start(cfg, stores);
    expect(held(second)).toEqual(before);
    // Execution starts from the restored book, not from flat: its position, and the child in flight at the stop.
    const inFlight = (second.decisions?.risk.status().inFlight ?? []).reduce((w, o) => w + (o.side === 'buy' ? 1 : -1) * o.remaining, 0);
    expect(inFlight).not.toBe(0);
    expect(second.decisions?.execution.asset(cfg.venue, 'BTC/USDT')).toEqual({ position: before['BTC/USDT'], working: inFlight, parent: null });
    await second.decisions?.risk.reduce({ reason: 'test: flatten after restart', flatten: true });
    await feed(second, bus, cfg, Date.UTC(2024, 0, 20), Date.UTC(2024, 0, 23));
    await second.stop();
    // Closed, and halted once flat (it stayed REDUCING, holding, for ever).
    expect(held(second)).toEqual({});
    expect(second.decisions?.risk.status().state).toBe('HALTED');
    expect(second.decisions?.path.stats().flattens).toBeGreaterThan(0);
    await bus.close();
  }, 120_000);

  it('counts the children in flight at the restart as working, and a fill applied before it not again', async () => {
    const cfg = isolatedConfig(['BTC/USDT'], (c) => ({ ...c, paperVenue: { ...c.paperVenue, enabled: false } }));
    const subjects = subjectsFor(cfg.prefix);
    const bus = createMemoryBus();
    await bus.ensureStreams(streamSpecs(cfg));
    const riskStore = createMemoryRiskStore();
    const T = Date.UTC(2024, 0, 2);
    const order = (id: string, strategy: string): ApprovedOrder => ({ id, venue: cfg.venue, symbol: 'BTC/USDT', side: 'buy', qty: 0.01, strategy, expiresAt: T + 3_600_000 });
    const stored = bookWithOrders([order('o:mine', cfg.strategy.name), order('o:theirs', 'other-strategy')]);
    // Held before the stop: 0.03 BTC, from fills the book applied, the last `x:done`.
    const book = { ...stored.book, positions: [{ venue: cfg.venue, symbol: 'BTC/USDT', qty: 0.03, avgCost: 42_000, realised: 0, lastPrice: 42_000 }], fillIds: [['x:done', T - 60_000] as [string, number]] };
    await riskStore.saveBook(cfg.risk.account, { ...stored, book }, 0);
    const engine = await start(cfg, { bus, features: createMemoryFeatureStore({ historyCap: 2 }), timeseries: createMemoryTimeseriesStore(), registry, riskStore, audit: createMemoryAuditStore() });
    try {
      // Its own order in flight is working; the other strategy's is not.
      expect(engine.decisions?.execution.asset(cfg.venue, 'BTC/USDT')).toEqual({ position: 0.03, working: 0.01, parent: null });
      const done: Fill = { type: 'exec.fill', v: 1, id: 'x:done', ts: T - 60_000, orderId: 'o:before', strategy: cfg.strategy.name, venue: cfg.venue, symbol: 'BTC/USDT', side: 'buy', qty: 0.01, price: 42_000, fee: 0.42, liquidity: 'taker', slippageBps: 1, final: true };
      // The consumer publishes `x:done` again (it never saw its ack), then the fill of the order in flight.
      await bus.publish(subjects.fill(cfg.venue, 'BTC/USDT'), encode(done), { msgId: 'again:x:done' });
      const next: Fill = { ...done, id: 'x:next', ts: T, orderId: 'o:mine' };
      await bus.publish(subjects.fill(cfg.venue, 'BTC/USDT'), encode(next), { msgId: next.id });
      await expect.poll(() => engine.decisions?.risk.status().positions.find((p) => p.symbol === 'BTC/USDT')?.qty, { timeout: 10_000 }).toBeCloseTo(0.04, 12);
      const view = engine.decisions?.execution.asset(cfg.venue, 'BTC/USDT');
      expect(view?.position).toBeCloseTo(0.04, 12);
      expect(view?.working).toBe(0);
      expect(engine.decisions?.path.stats().fills).toBe(1);
    } finally {
      await engine.stop();
      await bus.close();
    }
  });
});
