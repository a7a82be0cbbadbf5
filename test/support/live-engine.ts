import { startEngine } from '../../cli/engine.js';
import type { Engine } from '../../cli/engine.js';
import type { Config } from '../../config/schema.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import type { RiskStore } from '../../state/risk-store.js';
import type { Bus } from '../../streams/bus.js';
import type { Fill } from '../../streams/messages/fill.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { streamSpecs } from '../../streams/provision.js';
import type { ApprovedOrder } from './approved-orders.js';

/**
 * The world of the tests of an engine trading live (paper venue off): its fills and expiries come
 * from outside, of orders its risk actor approved before a restart (test/support/approved-orders.ts).
 */

const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';

/** Where a test queues what its afterAll/afterEach undoes (run in reverse). */
export type Cleanup = { push(...c: Array<() => Promise<void>>): unknown };

/** A client of the real NATS named `name`, with `cfg`'s streams; `cleanup` deletes them and closes it. */
export async function natsWithStreams(cfg: Config, name: string, cleanup: Cleanup): Promise<Bus> {
  const bus = await createNatsBus({ url: NATS_URL, name, connectTimeoutMs: 3000 });
  cleanup.push(async () => {
    await bus.deleteStreams(streamSpecs(cfg).map((s) => s.name));
    await bus.close();
  });
  await bus.ensureStreams(streamSpecs(cfg));
  return bus;
}

/** `cfg.venue` BTC/USDT buys of `cfg`'s strategy, approved by risk. */
export function approvedBtcBuys(cfg: Config, orders: readonly Readonly<{ id: string; qty: number; expiresAt: number }>[]): ApprovedOrder[] {
  return orders.map((o) => ({ id: o.id, venue: cfg.venue, symbol: 'BTC/USDT', side: 'buy' as const, qty: o.qty, strategy: cfg.strategy.name, expiresAt: o.expiresAt }));
}

/**
 * The engine on `bus` with `registry` and `riskStore`, in-memory features (two bars kept),
 * timeseries and audit, on the wall clock; with `cleanup`, stopped by it.
 */
export async function startLiveEngine(cfg: Config, o: Readonly<{ bus: Bus; registry: ModelRegistry; riskStore: RiskStore }>, cleanup?: Cleanup): Promise<Engine> {
  const engine = await startEngine(
    cfg,
    { bus: o.bus, features: createMemoryFeatureStore({ historyCap: 2 }), timeseries: createMemoryTimeseriesStore(), registry: o.registry, riskStore: o.riskStore, audit: createMemoryAuditStore() },
    createLiveClock(),
    silentLogger,
  );
  cleanup?.push(() => engine.stop());
  return engine;
}

/** A consumer's final fill of approved order `o:live` at `ts`: 0.01 BTC/USDT bought at 42,000 (taker, fee 0.42). */
export function liveFill(cfg: Config, ts: number): Fill {
  return { type: 'exec.fill', v: 1, id: 'x:live:1', ts, orderId: 'o:live', strategy: cfg.strategy.name, venue: cfg.venue, symbol: 'BTC/USDT', side: 'buy', qty: 0.01, price: 42_000, fee: 0.42, liquidity: 'taker', slippageBps: 1, final: true };
}
