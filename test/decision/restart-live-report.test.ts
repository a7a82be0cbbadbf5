import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillsDurable } from '../../cli/external-durables.js';
import type { Engine } from '../../cli/engine.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import type { Bus } from '../../streams/bus.js';
import { encode } from '../../streams/codec.js';
import type { Fill } from '../../streams/messages/fill.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { streamName, streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { assetSnapshots, held, restoreRow, rewindAssets, storedRejects } from './crash-rewind.js';
import { restartStores, runBetween, startLive, storedOrders } from './engine-restart.js';
import { isolatedConfig, NATS_URL, trainedRegistry } from './engine-run.js';
import { feedLiveBars } from './live-bars-feed.js';

/**
 * A live desk's fill (the paper venue off) applied after the last risk-book write, then a crash
 * before the write covering it landed (real NATS, in-process risk store; the spaced book writes are
 * a minute apart, so the book the crash leaves is the first run's, taken before the bars the second
 * decided). JetStream redelivers the unacknowledged bars and the unacknowledged fill. The first run
 * applied the fill after those bars; the restart applied it as soon as it came, before them: a
 * fee-breaching fill put the account in REDUCING hours of event time early, and the redelivered
 * bars were decided under it (flatten orders, rejects the first run never made).
 */
const SYMBOLS = ['BTC/USDT', 'ETH/USDT'];
const FROM = Date.UTC(2024, 0, 1);
/** The first run ends here (its book is written at its stop): the row the crash leaves. */
const T1 = Date.UTC(2024, 0, 10);
/** Decided after that row; then the desk's fill, then the crash. */
const T2 = Date.UTC(2024, 0, 10, 12);
const HOUR = 3_600_000;

const state = (e: Engine): unknown => e.decisions?.risk.status().state;

describe('a live fill applied after the last risk-book write, then a crash (real NATS, in-process risk store)', () => {
  let registry: ModelRegistry;
  beforeAll(async () => {
    registry = await trainedRegistry(SYMBOLS, FROM);
  }, 120_000);
  const buses: Bus[] = [];
  afterAll(async () => {
    for (const b of buses) await b.close();
  });

  it('is applied again where the first run applied it: after the redelivered bars it came after', async () => {
    // Every prediction carries an intent and the immediate policy sends it at once: many orders.
    const cfg = isolatedConfig(SYMBOLS, (c) => ({
      ...c,
      paperVenue: { ...c.paperVenue, enabled: false },
      strategy: { ...c.strategy, minConfidence: 0, maxIntervalWidth: 10 },
      execution: { ...c.execution, policy: 'immediate' },
      risk: { ...c.risk, limits: { ...c.risk.limits, maxOrdersPerWindow: 1_000_000 } },
      decision: { ...c.decision, riskCheckpointMs: 60_000 },
    }));
    const subjects = subjectsFor(cfg.prefix);
    const bus = await createNatsBus({ url: NATS_URL, name: 'restart-live-report', connectTimeoutMs: 3000 });
    buses.push(bus);
    await bus.ensureStreams(streamSpecs(cfg));
    const riskStore = createMemoryRiskStore();
    const stores = restartStores(bus, registry, riskStore);
    const { features } = stores;
    try {
      await runBetween(cfg, stores, SYMBOLS, FROM, T1);
      const snaps = await assetSnapshots(cfg, features);
      // The last order approved before the row: the restored book knows it as the second run's does.
      const before = (await storedOrders(bus, cfg, SYMBOLS)).filter((o) => o.ts < T1).at(-1);
      if (before === undefined) throw new Error('no order before T1');
      const engine = await startLive(cfg, stores);
      let row: Awaited<ReturnType<typeof riskStore.load>>;
      let redelivered: number;
      try {
        await feedLiveBars(engine, bus, cfg, SYMBOLS, T1, T2);
        // Every bar decided (each asset's newest once the idle flush lets it go): the risk book's
        // newest mark is the close of the last bar.
        await expect.poll(() => engine.decisions?.risk.status().asOf, { timeout: 30_000 }).toBe(T2);
        expect(state(engine)).toBe('ACTIVE');
        row = await riskStore.load(cfg.risk.account);
        redelivered = engine.counters.messagesIn;
        // The desk reports the order filled with a fee over the daily loss limit: a breach (flatten).
        const fill: Fill = {
          type: 'exec.fill',
          v: 1,
          id: `x:${before.id}:0`,
          ts: T2 - HOUR,
          orderId: before.id,
          strategy: before.strategy,
          venue: before.venue,
          symbol: before.symbol,
          side: before.side,
          qty: before.qty,
          price: before.limitPrice ?? 40_000,
          fee: 2 * cfg.risk.limits.maxDailyLoss,
          liquidity: 'taker',
          slippageBps: 0,
          final: true,
        };
        await bus.publish(subjects.fill(fill.venue, fill.symbol), encode(fill), { msgId: fill.id });
        await expect.poll(() => engine.decisions?.path.stats().fills, { timeout: 10_000 }).toBe(1);
        expect(state(engine)).toBe('REDUCING');
      } finally {
        await engine.stop();
      }
      const heldAtCrash = held(engine);
      const asOfAtCrash = engine.decisions?.risk.status().asOf;
      const ordersAtCrash = (await storedOrders(bus, cfg, SYMBOLS)).map((o) => o.id);
      expect(ordersAtCrash.length).toBeGreaterThan(0);
      // The crash: the row as before the fill (its write never landed), the bars and the fill unacknowledged.
      await restoreRow(riskStore, cfg.risk.account, row);
      await rewindAssets(bus, cfg, features, snaps);
      await expect.poll(async () => {
        await bus.deleteConsumer(streamName(cfg, 'SIGNALS'), fillsDurable(cfg));
        return bus.consumerInfo(streamName(cfg, 'SIGNALS'), fillsDurable(cfg));
      }).toBeUndefined();

      const restarted = await startLive(cfg, stores);
      let heldAfter: unknown;
      try {
        await expect.poll(() => restarted.counters.messagesIn, { timeout: 30_000 }).toBe(redelivered);
        await expect.poll(() => restarted.decisions?.path.stats().fills, { timeout: 30_000 }).toBe(1);
        await expect.poll(() => restarted.decisions?.risk.status().asOf, { timeout: 30_000 }).toBe(asOfAtCrash);
        expect(state(restarted)).toBe('REDUCING');
        heldAfter = held(restarted);
      } finally {
        await restarted.stop();
      }
      // The redelivered bars were decided as the first run decided them: no order it never made,
      // no reject of a suggestion it approved.
      expect((await storedOrders(bus, cfg, SYMBOLS)).map((o) => o.id)).toEqual(ordersAtCrash);
      const rejected = new Set((await storedRejects(bus, cfg, SYMBOLS)).map((r) => r.suggestionId));
      expect((await storedOrders(bus, cfg, SYMBOLS)).filter((o) => rejected.has(o.suggestionId)).map((o) => o.id)).toEqual([]);
      expect(heldAfter).toEqual(heldAtCrash);
    } finally {
      await bus.deleteStreams(streamSpecs(cfg).map((s) => s.name));
    }
  }, 180_000);
});
