import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine, EngineAdapters } from '../../cli/engine.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import type { Bus } from '../../streams/bus.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { streamSpecs } from '../../streams/provision.js';
import { assetSnapshots, held, rewindAssets, storedRejects } from './crash-rewind.js';
import { startLive, storedOrders } from './engine-restart.js';
import { isolatedConfig, NATS_URL, trainedRegistry } from './engine-run.js';
import { feedLiveBars } from './live-bars-feed.js';

/**
 * An operator's command given just after a restart, while the engine is still deciding again the
 * events it decided (and published) before the crash: a `limits set` stored after the last
 * risk-book write is pending, then a symbol halt comes before any redelivered event is decided
 * (real NATS, in-process risk store; found by a kill -9 audit of `sextant run`). Putting the command
 * in force at once decided the rest of those events under it and the newer limits: the first run's
 * published orders got rejects too, and the restored book lost them. The command now waits for the
 * recovery (cli/decisions.ts, the decision path's `recovered`).
 */
const SYMBOLS = ['BTC/USDT', 'ETH/USDT'];
const FROM = Date.UTC(2024, 0, 1);
/** The first run ends here (its book is written at its stop): the row the crash leaves. */
const T1 = Date.UTC(2024, 0, 10);
/** Decided after that row; then the operator's command, then the crash. */
const T2 = Date.UTC(2024, 0, 11);

/** The trading state and the limits in force. */
const operatorState = (engine: Engine): unknown => {
  const st = engine.decisions?.risk.status();
  return { state: st?.state, halted: st?.scopedHalts.map((h) => h.value), maxOrderNotional: st?.limits.maxOrderNotional };
};

describe('an operator command arriving while the events decided before the crash are decided again (real NATS)', () => {
  let registry: ModelRegistry;
  beforeAll(async () => {
    registry = await trainedRegistry(SYMBOLS, FROM);
  }, 120_000);
  const buses: Bus[] = [];
  afterAll(async () => {
    for (const b of buses) await b.close();
  });

  it('a symbol halt given just after the restart does not turn the first run\'s published orders into rejects', async () => {
    const cfg = isolatedConfig(SYMBOLS, (c) => ({
      ...c,
      strategy: { ...c.strategy, minConfidence: 0, maxIntervalWidth: 10 },
      execution: { ...c.execution, policy: 'immediate' },
      risk: { ...c.risk, limits: { ...c.risk.limits, maxOrdersPerWindow: 1_000_000 } },
      decision: { ...c.decision, riskCheckpointMs: 60_000 },
    }));
    const bus = await createNatsBus({ url: NATS_URL, name: 'command-during-redecision', connectTimeoutMs: 3000 });
    buses.push(bus);
    await bus.ensureStreams(streamSpecs(cfg));
    const riskStore = createMemoryRiskStore();
    const features = createMemoryFeatureStore({ historyCap: 10 });
    const stores: EngineAdapters = { bus, features, timeseries: createMemoryTimeseriesStore(), registry, riskStore, audit: createMemoryAuditStore() };
    try {
      let engine = await startLive(cfg, stores);
      try {
        await feedLiveBars(engine, bus, cfg, SYMBOLS, FROM, T1);
      } finally {
        await engine.stop();
      }
      const snaps = await assetSnapshots(cfg, features);
      engine = await startLive(cfg, stores);
      let row: Awaited<ReturnType<typeof riskStore.load>>;
      try {
        await feedLiveBars(engine, bus, cfg, SYMBOLS, T1, T2);
        // A change stored after the book (pending at the restart).
        await engine.decisions?.risk.setLimits({ maxOrderNotional: 6 });
        row = await riskStore.load(cfg.risk.account);
      } finally {
        await engine.stop();
      }
      const heldAtCrash = held(engine);
      const asOfAtCrash = engine.decisions?.risk.status().asOf;
      await riskStore.clear(cfg.risk.account);
      await riskStore.saveLimits(cfg.risk.account, row.limits, 0);
      await riskStore.saveTrading(cfg.risk.account, row.trading, 0);
      await riskStore.saveBook(cfg.risk.account, row.book, 0);
      await rewindAssets(bus, cfg, features, snaps);
      const orders = await storedOrders(bus, cfg, SYMBOLS);
      expect(orders.filter((o) => o.ts >= T1 && o.symbol === 'ETH/USDT').length).toBeGreaterThan(0);

      const restarted = await startLive(cfg, stores);
      let heldAfter: unknown;
      try {
        // The operator halts ETH at once, before the redelivered events are decided again.
        await restarted.decisions?.risk.halt({ scope: 'symbol', value: 'ETH/USDT', reason: 'operator just after the restart' });
        await expect.poll(() => restarted.decisions?.risk.status().asOf, { timeout: 30_000 }).toBe(asOfAtCrash);
        heldAfter = held(restarted);
        // Both in force once the recovery is over: the limits stored before the crash, the halt given after it.
        expect(operatorState(restarted)).toEqual({ state: 'ACTIVE', halted: ['ETH/USDT'], maxOrderNotional: 6 });
      } finally {
        await restarted.stop();
      }
      const rejected = new Set((await storedRejects(bus, cfg, SYMBOLS)).map((r) => r.suggestionId));
      // The first run's orders are published (at the venue maybe): none of their suggestions gets a reject too.
      expect(orders.filter((o) => rejected.has(o.suggestionId)).map((o) => o.id)).toEqual([]);
      // And the restored book still holds what they did.
      expect(heldAfter).toEqual(heldAtCrash);
    } finally {
      await bus.deleteStreams(streamSpecs(cfg).map((s) => s.name));
    }
  }, 180_000);
});
