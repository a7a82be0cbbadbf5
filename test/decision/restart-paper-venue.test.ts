import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetActorKey } from '../../actors/asset-actor.js';
import { durableFor } from '../../cli/engine.js';
import type { Engine } from '../../cli/engine.js';
import type { Config } from '../../config/schema.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import type { CoreBookSnapshot } from '../../models/risk/risk-core.js';
import { silentLogger } from '../../state/logger.js';
import type { Logger } from '../../state/logger.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createPgRiskStore } from '../../state/pg-risk-store.js';
import type { RiskStore } from '../../state/risk-store.js';
import type { Bus } from '../../streams/bus.js';
import { decodeText } from '../../streams/codec.js';
import { FillSchema } from '../../streams/messages/fill.js';
import type { Fill } from '../../streams/messages/fill.js';
import type { Order } from '../../streams/messages/order.js';
import type { MemoryBus } from '../../streams/memory-bus.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { dropSchema } from '../support/pg.js';
import { readAllStored } from '../support/read-all-stored.js';
import { assetSnapshots, rewindAssets } from './crash-rewind.js';
import { busFor, restartStores, runBetween, startLive, storedOrders } from './engine-restart.js';
import type { RestartStores } from './engine-restart.js';
import { isolatedConfig, trainedRegistry } from './engine-run.js';
import { feedLiveBars } from './live-bars-feed.js';

// Real PostgreSQL for the risk state (fails, never skips, when it is not reachable); a schema of this file only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sx_pvr_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
afterAll(async () => {
  await dropSchema(url, schema);
});

const SYMBOLS = ['BTC/USDT', 'ETH/USDT'];
const FROM = Date.UTC(2024, 0, 1);

const feed = (engine: Engine, bus: Bus, cfg: Config, from: number, to: number): Promise<void> => feedLiveBars(engine, bus, cfg, SYMBOLS, from, to);
/** An engine started, fed SYMBOLS' bars in [from, to) and stopped. */
const runSpan = (cfg: Config, stores: RestartStores, from: number, to: number): Promise<Engine> => runBetween(cfg, stores, SYMBOLS, from, to);

/** The risk row as stored: the core's book and seen suggestions, and the venue's part and the decided marks beside them. */
type StoredRow = CoreBookSnapshot & { paperVenue?: unknown; decided?: [string, number, number][] };
const storedRow = async (store: RiskStore, cfg: Config): Promise<StoredRow> => (await store.load(cfg.risk.account)).book as StoredRow;
/**
 * The row as `engine` stopped: `Engine.stop` resolves once the last risk write landed, so the row
 * read right after it holds the book the engine stopped with.
 */
async function rowAtStop(store: RiskStore, cfg: Config, engine: Engine): Promise<StoredRow> {
  const row = await storedRow(store, cfg);
  expect({ book: row.book, seen: row.seen }).toEqual(JSON.parse(JSON.stringify(engine.decisions?.risk.core.bookSnapshot())));
  return row;
}


/** Every fill the paper venue published so far. */
async function fills(bus: Bus, cfg: Config): Promise<Fill[]> {
  const stored = await readAllStored(bus, streamName(cfg, 'SIGNALS'), subjectsFor(cfg.prefix).allFills());
  return stored.map((m) => FillSchema.parse(JSON.parse(decodeText(m.data))));
}

/** Every order the risk actor approved so far, in stream order. */
const orders = (bus: Bus, cfg: Config): Promise<Order[]> => storedOrders(bus, cfg, SYMBOLS);

/** `bus`, noting the message id of every publication (stored or a duplicate the stream drops). */
function notingBus(bus: MemoryBus, ids: Set<string>): MemoryBus {
  return {
    ...bus,
    publish: (subject, data, opts) => {
      if (opts?.msgId !== undefined) ids.add(opts.msgId);
      return bus.publish(subject, data, opts);
    },
    publishValueNow: (subject, value, msgId) => {
      if (msgId !== undefined) ids.add(msgId);
      return bus.publishValueNow(subject, value, msgId);
    },
  };
}

describe('the paper venue across an engine restart (risk state in PostgreSQL)', () => {
  let registry: ModelRegistry;
  beforeAll(async () => {
    registry = await trainedRegistry(SYMBOLS, FROM);
  }, 60_000);

  it('works on the orders that were working at the stop: they fill (or expire) at the venue after the restart, as at a real venue', async () => {
    const cfg = isolatedConfig(SYMBOLS);
    const bus = await busFor(cfg);
    const riskStore = await createPgRiskStore({ url, schema });
    const stores = restartStores(bus, registry, riskStore);
    try {
      const first = await runSpan(cfg, stores, FROM, Date.UTC(2024, 0, 20));
      // The child the strategy sent on the last bar before the stop is still working (the model and bars are fixed).
      const working = first.decisions?.risk.status().inFlight ?? [];
      expect(working.length).toBeGreaterThan(0);
      const before = await fills(bus, cfg);

      const second = await runSpan(cfg, stores, Date.UTC(2024, 0, 20), Date.UTC(2024, 0, 21));
      const after = (await fills(bus, cfg)).slice(before.length);
      for (const o of working) {
        const own = after.filter((f) => f.orderId === o.orderId);
        // Worked by the venue after the restart: it filled what it had left (the next bar is marketable for it).
        expect(own.length, `fills of ${o.orderId} after the restart`).toBeGreaterThan(0);
        expect(own.reduce((q, f) => q + f.qty, 0)).toBeCloseTo(o.remaining, 12);
        // Its fills go on from those before the stop (ids are new), and the book applied each of them.
        expect(new Set(own.map((f) => f.id)).size).toBe(own.length);
        for (const f of own) expect(before.some((b) => b.id === f.id)).toBe(false);
      }
      const status = second.decisions?.risk.status();
      expect(status?.inFlight.filter((o) => working.some((w) => w.orderId === o.orderId))).toEqual([]);
      for (const sym of SYMBOLS) expect(second.decisions?.execution.asset(cfg.venue, sym).working).toBe(0);
    } finally {
      await riskStore.close();
      await bus.close();
    }
  }, 120_000);

  it('has stored, when the stop resolves, what the engine stopped with: the final risk book, each asset\'s snapshot and acknowledgement of its last bar', async () => {
    // Spaced risk writes (2 s): the book the engine stops with is written by the stop itself.
    const cfg = isolatedConfig(SYMBOLS, (c) => ({ ...c, decision: { ...c.decision, riskCheckpointMs: 2_000 } }));
    const bus = await busFor(cfg);
    const pgStore = await createPgRiskStore({ url, schema });
    // A store a little slower than this machine's (a remote PostgreSQL): 50 ms a book.
    const riskStore: RiskStore = { ...pgStore, saveBook: async (...args) => (await new Promise((r) => setTimeout(r, 50)), pgStore.saveBook(...args)) };
    const features = createMemoryFeatureStore({ historyCap: 10 });
    try {
      for (const [from, to] of [[FROM, Date.UTC(2024, 0, 10)], [Date.UTC(2024, 0, 10), Date.UTC(2024, 0, 12)], [Date.UTC(2024, 0, 12), Date.UTC(2024, 0, 13)]] as const) {
        const engine = await runSpan(cfg, restartStores(bus, registry, riskStore, features), from, to);
        // Read at once (no wait): a process ending here (`sextant run` on SIGTERM) leaves this.
        await rowAtStop(pgStore, cfg, engine);
        for (const a of cfg.assets) {
          const last = await bus.lastMessage(streamName(cfg, 'MD'), subjectsFor(cfg.prefix).bar(a.venue, a.symbol, '1h'));
          expect(last).toBeDefined();
          expect((await features.loadSnapshot(assetActorKey(a)))?.streamSeq, a.symbol).toBe(last?.streamSeq);
          expect((await bus.consumerInfo(streamName(cfg, 'MD'), durableFor(a)))?.ackFloor, a.symbol).toBe(last?.streamSeq);
        }
      }
    } finally {
      await pgStore.close();
      await bus.close();
    }
  }, 120_000);

  it('stops after stopWaitMs, saying so, when the last risk write does not land', async () => {
    const cfg = isolatedConfig(SYMBOLS);
    const bus = await busFor(cfg);
    const inner = await createPgRiskStore({ url, schema });
    let stopping = false;
    let hung = 0;
    // Once the stop began, a write of the book never answers (a store that hangs).
    const riskStore: RiskStore = { ...inner, saveBook: (...args) => (stopping ? (hung++, new Promise<void>(() => {})) : inner.saveBook(...args)) };
    const errors: string[] = [];
    const log: Logger = { ...silentLogger, error: (f, m) => void errors.push(`${m} ${JSON.stringify(f)}`), child: () => log };
    try {
      const engine = await startLive(cfg, restartStores(bus, registry, riskStore), log, { stopWaitMs: 300 });
      await feed(engine, bus, cfg, FROM, Date.UTC(2024, 0, 5));
      stopping = true;
      const began = performance.now();
      await engine.stop();
      expect(hung).toBeGreaterThan(0);
      expect(performance.now() - began).toBeLessThan(10_000);
      const said = errors.filter((e) => e.startsWith('the last risk state write was not stored within 300 ms of the stop: the engine stops without it'));
      expect(said).toHaveLength(1);
      expect(said[0]).toContain(cfg.risk.account);
      // Given up: the asset actors acknowledged nothing the write would have covered.
      expect(engine.failure()?.message).toContain('the last risk state write was not stored');
    } finally {
      await inner.close();
      await bus.close();
    }
  }, 60_000);

  it('reads the risk state once at start-up: the risk book and the venue\'s orders come from the same read', async () => {
    const cfg = isolatedConfig(SYMBOLS);
    const bus = await busFor(cfg);
    const inner = await createPgRiskStore({ url, schema });
    const loads: string[] = [];
    const riskStore: RiskStore = {
      ...inner,
      load: (account) => {
        loads.push(account);
        return inner.load(account);
      },
    };
    try {
      const engine = await startLive(cfg, restartStores(bus, registry, riskStore));
      await engine.stop();
      expect(engine.decisions).toBeDefined();
      expect(loads).toEqual([cfg.risk.account]);
    } finally {
      await inner.close();
      await bus.close();
    }
  }, 60_000);

  it("gives the engine's risk actor no push-in suggestion or fill (they would store the book without the venue's orders), and its operator side works", async () => {
    const cfg = isolatedConfig(SYMBOLS);
    const bus = await busFor(cfg);
    const riskStore = await createPgRiskStore({ url, schema });
    try {
      const engine = await startLive(cfg, restartStores(bus, registry, riskStore));
      try {
        const risk = engine.decisions?.risk;
        expect(risk).toBeDefined();
        // @ts-expect-error -- not on the engine's risk handle (cli/decisions.ts EngineRisk), at run time either
        expect(risk?.fill).toBeUndefined();
        // @ts-expect-error -- as above
        expect(risk?.suggestion).toBeUndefined();
        await risk?.halt({ scope: 'all', reason: 'desk says stop' });
        expect(risk?.status().state).toBe('HALTED');
        expect((await riskStore.load(cfg.risk.account)).trading).toMatchObject({ state: 'HALTED' });
      } finally {
        await engine.stop();
      }
    } finally {
      await riskStore.close();
      await bus.close();
    }
  }, 60_000);

  it('does not work again an order that finished before the stop when its suggestion is decided again after the restart (its bars redelivered)', async () => {
    const cfg = isolatedConfig(SYMBOLS);
    const bus = await busFor(cfg);
    const riskStore = await createPgRiskStore({ url, schema });
    const features = createMemoryFeatureStore({ historyCap: 10 });
    const stores = restartStores(bus, registry, riskStore, features);
    const T1 = Date.UTC(2024, 0, 19, 12);
    const T2 = Date.UTC(2024, 0, 20);
    try {
      // Up to T1: the asset actors' checkpoints and the risk row there.
      const first = await runSpan(cfg, stores, FROM, T1);
      const atT1 = await rowAtStop(riskStore, cfg, first);
      const snaps = await assetSnapshots(cfg, features);
      // From T1 to T2: the orders approved there that filled whole before T2 (the model and bars are fixed).
      const second = await runSpan(cfg, stores, T1, T2);
      const redelivered = second.counters.messagesIn;
      const atT2 = await rowAtStop(riskStore, cfg, second);
      const before = new Set(atT1.seen.map(([id]) => id));
      const decided = atT2.seen.filter(([id, , , d]) => !before.has(id) && d.kind === 'order');
      const finished = (atT2.book.retired ?? []).filter((o) => o.remaining === 0 && decided.some(([, , , d]) => d.kind === 'order' && d.order.id === o.orderId));
      expect(finished.length).toBeGreaterThan(0);
      // The row a stop leaves when those orders were decided and filled after T1, and a later fill
      // brought the positions back to T1's, before the asset actors' next checkpoint: the same
      // suggestions are decided again on the redelivered bars, and risk answers them with their
      // orders as decided then (a replay). The venue's part is T1's: none of them is working.
      const row: StoredRow = {
        ...atT1,
        book: { ...atT1.book, retired: [...(atT1.book.retired ?? []), ...finished] },
        seen: [...atT1.seen, ...decided.filter(([, , , d]) => d.kind === 'order' && finished.some((o) => o.orderId === d.order.id))],
      };
      await riskStore.saveBook(cfg.risk.account, row, 0);
      await rewindAssets(bus, cfg, features, snaps);

      const fills: Fill[] = [];
      const third = await startLive(cfg, stores, silentLogger, { observer: { fill: (f) => void fills.push(f) } });
      try {
        await expect.poll(() => third.counters.messagesIn, { timeout: 30_000 }).toBe(redelivered);
      } finally {
        await third.stop();
      }
      // Not worked a second time: no fill of them after the restart.
      expect(fills.filter((f) => finished.some((o) => o.orderId === f.orderId))).toEqual([]);
      // Execution, which counted each working again when it was suggested again, let it go.
      const inFlight = third.decisions?.risk.status().inFlight ?? [];
      for (const sym of SYMBOLS) {
        const working = inFlight.filter((o) => o.key === `${cfg.venue}|${sym}`).reduce((w, o) => w + (o.side === 'buy' ? 1 : -1) * o.remaining, 0);
        expect(third.decisions?.execution.asset(cfg.venue, sym).working, sym).toBeCloseTo(working, 12);
      }
    } finally {
      await riskStore.close();
      await bus.close();
    }
  }, 120_000);

  it('decides nothing again after a crash: the bars redelivered up to the last risk write publish no order or fill, and what follows is what an uninterrupted run decides', async () => {
    // The shipped TWAP: a parent under way at the risk write goes on from it (execution's part of
    // the row), its children on the redelivered bars already sent are not sent again.
    const shipped = (c: Config): Config => c;
    const T1 = Date.UTC(2024, 0, 19, 12);
    const T2 = Date.UTC(2024, 0, 20);
    const T3 = Date.UTC(2024, 0, 22);
    const riskStore = await createPgRiskStore({ url, schema });
    const buses: Bus[] = [];
    try {
      // The uninterrupted run.
      const refCfg = isolatedConfig(SYMBOLS, shipped);
      const refBus = await busFor(refCfg);
      buses.push(refBus);
      await runSpan(refCfg, restartStores(refBus, registry, riskStore), FROM, T3);

      const cfg = isolatedConfig(SYMBOLS, shipped);
      const bus = await busFor(cfg);
      buses.push(bus);
      const features = createMemoryFeatureStore({ historyCap: 10 });
      const stores = restartStores(bus, registry, riskStore, features);
      await runSpan(cfg, stores, FROM, T1);
      const snaps = await assetSnapshots(cfg, features);
      const second = await runSpan(cfg, stores, T1, T2);
      const redelivered = second.counters.messagesIn;
      // The crash: after the last risk write (the row is kept as that write left it), before the
      // asset actors' checkpoints since T1 (their snapshots go back there): the bars from T1 on are
      // redelivered to an engine that restores the book, the venue and execution's orders at T2.
      const row = await rowAtStop(riskStore, cfg, second);
      const lastBar = T2 - 3_600_000;
      const marks = new Map((row.decided ?? []).map(([asset, seq, ts]) => [asset, { seq, ts }]));
      for (const a of cfg.assets) {
        const last = await bus.lastMessage(streamName(cfg, 'MD'), subjectsFor(cfg.prefix).bar(a.venue, a.symbol, '1h'));
        expect(marks.get(assetActorKey(a)), a.symbol).toEqual({ seq: last?.streamSeq, ts: lastBar });
      }
      const decidedBefore = new Set(row.seen.map(([id]) => id));
      expect(decidedBefore.size).toBeGreaterThan(0);
      await rewindAssets(bus, cfg, features, snaps);

      const published = new Set<string>();
      const third = await startLive(cfg, { ...stores, bus: notingBus(bus, published) });
      try {
        await expect.poll(() => third.counters.messagesIn, { timeout: 30_000 }).toBe(redelivered);
        await feed(third, bus, cfg, T2, T3);
      } finally {
        await third.stop();
      }
      const allOrders = await orders(bus, cfg);
      const allFills = await fills(bus, cfg);
      // Nothing decided before the crash was decided again: no order of a suggestion risk had seen,
      // and no fill made on the redelivered bars (the venue's effects of them are in its snapshot).
      expect(allOrders.filter((o) => published.has(o.id) && decidedBefore.has(o.suggestionId)).map((o) => o.id)).toEqual([]);
      expect(allFills.filter((f) => published.has(f.id) && f.ts <= lastBar).map((f) => f.id)).toEqual([]);
      expect(third.decisions?.path.stats().orders).toBe(allOrders.filter((o) => o.ts > lastBar).length);
      // After the marks: the orders and fills of the uninterrupted run, to the id.
      const refOrders = (await orders(refBus, refCfg)).filter((o) => o.ts > lastBar);
      const refFills = (await fills(refBus, refCfg)).filter((f) => f.ts > lastBar);
      expect(refOrders.length).toBeGreaterThan(0);
      expect(refFills.length).toBeGreaterThan(0);
      expect(allOrders.filter((o) => o.ts > lastBar).map((o) => o.id)).toEqual(refOrders.map((o) => o.id));
      expect(allFills.filter((f) => f.ts > lastBar).map((f) => f.id)).toEqual(refFills.map((f) => f.id));
    } finally {
      await riskStore.close();
      for (const b of buses) await b.close();
    }
  }, 180_000);

  it.each([
    ['stored before the venue\'s orders were (no venue part: an upgrade)', (row: StoredRow): StoredRow => ({ book: row.book, seen: row.seen })],
    ['stored with a venue part that is not valid', (row: StoredRow): StoredRow => ({ ...row, paperVenue: { v: 3, working: 'lost' } })],
  ])('releases at start-up the orders in flight that no venue works after a restart, from a book %s', async (_, damage) => {
    const cfg = isolatedConfig(SYMBOLS);
    const bus = await busFor(cfg);
    const riskStore = await createPgRiskStore({ url, schema });
    const stores = restartStores(bus, registry, riskStore);
    try {
      const first = await runSpan(cfg, stores, FROM, Date.UTC(2024, 0, 20));
      const working = first.decisions?.risk.status().inFlight ?? [];
      expect(working.length).toBeGreaterThan(0);
      const row = await rowAtStop(riskStore, cfg, first);
      await riskStore.saveBook(cfg.risk.account, damage(row), 0);
      const newestMark = Math.max(...row.book.marks.map(([, m]) => m.ts));

      const warnings: string[] = [];
      const log: Logger = { ...silentLogger, warn: (f, m) => void warnings.push(`${m} ${JSON.stringify(f)}`), child: () => log };
      const second = await startLive(cfg, stores, log);
      try {
        // Nothing in flight that nothing would fill, in risk or in execution.
        expect(second.decisions?.risk.status().inFlight).toEqual([]);
        for (const sym of SYMBOLS) expect(second.decisions?.execution.asset(cfg.venue, sym).working).toBe(0);
        // One warning names them and why.
        const said = warnings.filter((w) => w.includes('released at start-up'));
        expect(said).toHaveLength(1);
        for (const o of working) expect(said[0]).toContain(o.orderId);
        // Released at the book's newest mark (event time) and stored at once, with the venue's part.
        const after = await storedRow(riskStore, cfg);
        expect(after.book.inFlight).toEqual([]);
        for (const o of working) expect(after.book.retired?.find((r) => r.orderId === o.orderId)?.retiredAt).toBe(newestMark);
        expect(after.paperVenue).toMatchObject({ v: 3, working: [] });
      } finally {
        await second.stop();
      }
    } finally {
      await riskStore.close();
      await bus.close();
    }
  }, 120_000);
});
