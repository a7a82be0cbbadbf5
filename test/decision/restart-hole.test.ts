import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../cli/engine.js';
import type { Config } from '../../config/schema.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import type { Bus } from '../../streams/bus.js';
import { decodeText } from '../../streams/codec.js';
import type { Bar } from '../../streams/messages/bar.js';
import { OrderSchema } from '../../streams/messages/order.js';
import type { Order } from '../../streams/messages/order.js';
import type { MemoryBus } from '../../streams/memory-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { assetSnapshots, rewindAssets } from './crash-rewind.js';
import { busFor, restartStores, runBetween, startLive, storedOrders } from './engine-restart.js';
import type { RestartStores } from './engine-restart.js';
import { isolatedConfig, trainedRegistry } from './engine-run.js';
import { feedLiveBars } from './live-bars-feed.js';

/**
 * A crash around a hole in one asset's data, with the shipped TWAP: when BTC's data resumes, its
 * parent's children that fell due in the hole are re-planned on the resuming bar (470caf6). The
 * decision path does not decide again an event at or below its asset's restored mark (85af864):
 * such an event goes through execution's `onMarket` only, never `onTime`, so a re-plan it would
 * have caused must already be in the restored execution state. Both are stored in the same risk
 * row at the same moment (cli/risk-persist.ts), so the orders after a restart are those of an
 * uninterrupted run whether the crash left the row before the resuming bar (it is decided again,
 * from the state before it) or after it (it is skipped, its re-plan restored).
 */
const SYMBOLS = ['BTC/USDT', 'ETH/USDT'];
const FROM = Date.UTC(2024, 0, 1);
const H = 3_600_000;
const T1 = Date.UTC(2024, 0, 19);
/** BTC's bars of [HOLE_FROM, HOLE_TO) never come (an outage); ETH's go on. */
const HOLE_FROM = Date.UTC(2024, 0, 19, 19);
const HOLE_TO = Date.UTC(2024, 0, 19, 21);
const T3 = Date.UTC(2024, 0, 20, 12);
const keep = (b: Bar): boolean => !(b.symbol === 'BTC/USDT' && b.ts >= HOLE_FROM && b.ts < HOLE_TO);

/** An engine started, fed SYMBOLS' bars in [from, to) but BTC's in the hole, and stopped. */
const runSpan = (cfg: Config, stores: RestartStores, from: number, to: number): Promise<Engine> => runBetween(cfg, stores, SYMBOLS, from, to, keep);

/** Every order approved so far, in stream order. */
const orders = (bus: Bus, cfg: Config): Promise<Order[]> => storedOrders(bus, cfg, SYMBOLS);

/** `bus`, keeping every order published through it (stored or a duplicate the stream drops). */
function orderCapturingBus(bus: MemoryBus, cfg: Config, out: Order[]): MemoryBus {
  const isOrder = (subject: string): boolean => SYMBOLS.some((sym) => subject === subjectsFor(cfg.prefix).order(cfg.strategy.name, cfg.venue, sym));
  return {
    ...bus,
    publish: (subject, data, opts) => {
      if (isOrder(subject)) out.push(OrderSchema.parse(JSON.parse(decodeText(data))));
      return bus.publish(subject, data, opts);
    },
    publishValueNow: (subject, value, msgId) => {
      if (isOrder(subject)) out.push(OrderSchema.parse(value));
      return bus.publishValueNow(subject, value, msgId);
    },
  };
}

const view = (o: Order): unknown[] => [o.id, o.ts, o.side, o.qty, o.limitPrice, o.expiresAt, o.decidedAt];

describe('a crash around the end of a hole in an asset\'s data (memory bus and stores, the risk row restored)', () => {
  let registry: ModelRegistry;
  let ref: { cfg: Config; bus: MemoryBus; orders: Order[] };
  beforeAll(async () => {
    registry = await trainedRegistry(SYMBOLS, FROM);
    const cfg = isolatedConfig(SYMBOLS);
    expect(cfg.execution.policy).toBe('twap');
    const bus = await busFor(cfg);
    const engine = await runSpan(cfg, restartStores(bus, registry, createMemoryRiskStore()), FROM, T3);
    // BTC's parent opened on its bar of 18:00 had children due in the hole: re-planned on the
    // resuming bar (the model and bars are fixed).
    expect(engine.decisions?.execution.stats().replanned).toBeGreaterThan(0);
    ref = { cfg, bus, orders: await orders(bus, cfg) };
  }, 120_000);
  afterAll(async () => {
    await ref?.bus.close();
  });

  it.each([
    // The last risk write before the crash was taken before BTC's resuming bar (decided since, its
    // orders published): that bar is redelivered above the marks and decided again from the stored
    // state, which holds BTC's parent as it was in the hole.
    ['before the resuming bar (it is decided again)', HOLE_TO, HOLE_TO + 2 * H],
    // Taken in the hole, BTC's children held on ETH's bars.
    ['in the hole (it is decided again)', HOLE_TO - H, HOLE_TO + 2 * H],
    // The last risk write was taken after it: the resuming bar is at or below BTC's mark, skipped
    // (execution's onMarket only), its re-plan in the restored state.
    ['after the resuming bar (it is skipped, below the mark)', HOLE_TO + 2 * H, HOLE_TO + 2 * H],
  ])('sends the children an uninterrupted run sends, the row written %s', async (_, rowAt, crashAt) => {
    const cfg = isolatedConfig(SYMBOLS);
    const bus = await busFor(cfg);
    const riskStore = createMemoryRiskStore();
    const features = createMemoryFeatureStore({ historyCap: 10 });
    const stores = restartStores(bus, registry, riskStore, features);
    try {
      await runSpan(cfg, stores, FROM, T1);
      const snaps = await assetSnapshots(cfg, features);
      let redelivered = (await runSpan(cfg, stores, T1, rowAt)).counters.messagesIn;
      const row = await riskStore.load(cfg.risk.account);
      if (crashAt > rowAt) {
        // Decided on after that write (the resuming bar among them), its publications stored, then the crash: the row stays as the write left it.
        redelivered += (await runSpan(cfg, stores, rowAt, crashAt)).counters.messagesIn;
        await riskStore.saveBook(cfg.risk.account, row.book, 0);
      }
      await rewindAssets(bus, cfg, features, snaps);
      const published: Order[] = [];
      const restarted = await startLive(cfg, { ...stores, bus: orderCapturingBus(bus, cfg, published) });
      try {
        await expect.poll(() => restarted.counters.messagesIn, { timeout: 30_000 }).toBe(redelivered);
        await feedLiveBars(restarted, bus, cfg, SYMBOLS, crashAt, T3, keep);
      } finally {
        await restarted.stop();
      }
      // The row's newest decided bar (ETH's, the last before rowAt): what came after is decided again.
      const lastBar = rowAt - H;
      const stored = await orders(bus, cfg);
      const refAfter = ref.orders.filter((o) => o.ts > lastBar);
      // BTC's children after the hole, the re-planned ones among them, are in what is compared.
      expect(refAfter.some((o) => o.symbol === 'BTC/USDT' && o.ts >= HOLE_TO && o.ts < HOLE_TO + 4 * H)).toBe(true);
      // What the restarted engine published (duplicates the stream dropped included) is the uninterrupted run's, order for order.
      expect(published.map(view)).toEqual(refAfter.map(view));
      expect(stored.map(view)).toEqual(ref.orders.map(view));
      if (crashAt > rowAt) expect(restarted.decisions?.execution.stats().replanned).toBeGreaterThan(0);
      else expect(restarted.decisions?.execution.stats().replanned).toBe(0);
    } finally {
      await bus.close();
    }
  }, 180_000);
});
