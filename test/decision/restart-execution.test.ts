import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../cli/engine.js';
import type { Config } from '../../config/schema.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import type { Bus } from '../../streams/bus.js';
import { decodeText, encode } from '../../streams/codec.js';
import type { Fill } from '../../streams/messages/fill.js';
import { FillSchema } from '../../streams/messages/fill.js';
import { OrderSchema } from '../../streams/messages/order.js';
import type { Order } from '../../streams/messages/order.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { bookWithOrders } from '../support/approved-orders.js';
import type { ApprovedOrder } from '../support/approved-orders.js';
import { readAllStored } from '../support/read-all-stored.js';
import { busFor, restartStores, runBetween, startLive } from './engine-restart.js';
import { isolatedConfig, trainedRegistry } from './engine-run.js';
import { feedLiveBars } from './live-bars-feed.js';

const SYMBOLS = ['BTC/USDT', 'ETH/USDT'];
const FROM = Date.UTC(2024, 0, 1);

const feed = (engine: Engine, bus: Bus, cfg: Config, from: number, to: number): Promise<void> => feedLiveBars(engine, bus, cfg, SYMBOLS, from, to);

const held = (e: Engine): Record<string, number> => Object.fromEntries((e.decisions?.risk.status().positions ?? []).filter((p) => p.qty !== 0).map((p) => [p.symbol, p.qty]));

/** Every order approved and every fill published so far, in stream order. */
async function outputs(bus: Bus, cfg: Config): Promise<{ orders: Order[]; fills: Fill[] }> {
  const subjects = subjectsFor(cfg.prefix);
  const read = async (subject: string): Promise<{ seq: number; v: unknown }[]> => (await readAllStored(bus, streamName(cfg, 'SIGNALS'), subject)).map((m) => ({ seq: m.streamSeq, v: JSON.parse(decodeText(m.data)) as unknown }));
  const orders = (await Promise.all(SYMBOLS.map((sym) => read(subjects.order(cfg.strategy.name, cfg.venue, sym))))).flat().sort((a, b) => a.seq - b.seq);
  const fills = await read(subjects.allFills());
  return { orders: orders.map((o) => OrderSchema.parse(o.v)), fills: fills.map((f) => FillSchema.parse(f.v)) };
}

describe('execution after an engine restart (memory bus and stores, the risk book restored)', () => {
  let registry: ModelRegistry;
  beforeAll(async () => {
    registry = await trainedRegistry(SYMBOLS, FROM);
  }, 60_000);

  it('closes on an operator reduce --flatten what was held before the restart', async () => {
    const cfg = isolatedConfig(SYMBOLS);
    const bus = await busFor(cfg);
    const stores = restartStores(bus, registry, createMemoryRiskStore());
    const first = await runBetween(cfg, stores, SYMBOLS, FROM, Date.UTC(2024, 0, 20));
    // The strategy holds BTC when this engine stops (the model and the bars are fixed).
    const before = held(first);
    expect(Object.keys(before)).toEqual(['BTC/USDT']);

    const second = await startLive(cfg, stores);
    expect(held(second)).toEqual(before);
    // Execution starts from the restored book, not from flat: its position, the child in flight at
    // the stop, and the parent it was working (stored with the book).
    const inFlight = (second.decisions?.risk.status().inFlight ?? []).reduce((w, o) => w + (o.side === 'buy' ? 1 : -1) * o.remaining, 0);
    expect(inFlight).not.toBe(0);
    const parent = first.decisions?.execution.asset(cfg.venue, 'BTC/USDT').parent;
    expect(parent).not.toBeNull();
    expect(second.decisions?.execution.asset(cfg.venue, 'BTC/USDT')).toEqual({ position: before['BTC/USDT'], working: inFlight, parent });
    await second.decisions?.risk.reduce({ reason: 'test: flatten after restart', flatten: true });
    await feed(second, bus, cfg, Date.UTC(2024, 0, 20), Date.UTC(2024, 0, 23));
    await second.stop();
    // Closed, and halted once flat (it stayed REDUCING, holding, for ever).
    expect(held(second)).toEqual({});
    expect(second.decisions?.risk.status().state).toBe('HALTED');
    expect(second.decisions?.path.stats().flattens).toBeGreaterThan(0);
    await bus.close();
  }, 120_000);

  it('goes on with a TWAP parent that was half-way through its schedule at the stop: the orders and fills after the restart are those of an uninterrupted run', async () => {
    const T2 = Date.UTC(2024, 0, 20);
    const T3 = Date.UTC(2024, 0, 23);
    // Each intent is worked by the shipped TWAP: 4 children over the prediction's horizon.
    const run = async (cuts: readonly number[]): Promise<{ cfg: Config; bus: Bus; engines: Engine[] }> => {
      const cfg = isolatedConfig(SYMBOLS);
      expect(cfg.execution.policy).toBe('twap');
      const bus = await busFor(cfg);
      const stores = restartStores(bus, registry, createMemoryRiskStore());
      const engines: Engine[] = [];
      const bounds = [FROM, ...cuts, T3];
      for (let i = 0; i + 1 < bounds.length; i++) engines.push(await runBetween(cfg, stores, SYMBOLS, bounds[i] as number, bounds[i + 1] as number));
      return { cfg, bus, engines };
    };
    const ref = await run([]);
    const cut = await run([T2]);
    try {
      // At the stop a parent was under way, with children still to send (the model and bars are fixed).
      const [first, second] = cut.engines as [Engine, Engine];
      const open = SYMBOLS.map((sym) => first.decisions?.execution.asset(cut.cfg.venue, sym).parent).filter((p) => p !== null && p !== undefined);
      expect(open.length).toBeGreaterThan(0);
      for (const p of open) expect(p.sent).toBeLessThan(p.children);
      const a = await outputs(ref.bus, ref.cfg);
      const b = await outputs(cut.bus, cut.cfg);
      // Children of that parent were sent after the restart.
      const after = b.orders.filter((o) => o.ts >= T2);
      expect(after.some((o) => open.some((p) => o.suggestionId.startsWith(`s:${p.id}:`)))).toBe(true);
      // The same orders (ids, sizes, prices, times) and fills as without the restart.
      const order = (o: Order): unknown[] => [o.id, o.ts, o.side, o.qty, o.limitPrice, o.expiresAt];
      const fill = (f: Fill): unknown[] => [f.id, f.ts, f.qty, f.price];
      expect(b.orders.map(order)).toEqual(a.orders.map(order));
      expect(b.fills.map(fill)).toEqual(a.fills.map(fill));
      expect(held(second)).toEqual(held(ref.engines[0] as Engine));
    } finally {
      await ref.bus.close();
      await cut.bus.close();
    }
  }, 180_000);

  it('counts the children in flight at the restart as working, and a fill applied before it not again', async () => {
    const cfg = isolatedConfig(['BTC/USDT'], (c) => ({ ...c, paperVenue: { ...c.paperVenue, enabled: false } }));
    const subjects = subjectsFor(cfg.prefix);
    const bus = await busFor(cfg);
    const riskStore = createMemoryRiskStore();
    const T = Date.UTC(2024, 0, 2);
    const order = (id: string, strategy: string): ApprovedOrder => ({ id, venue: cfg.venue, symbol: 'BTC/USDT', side: 'buy', qty: 0.01, strategy, expiresAt: T + 3_600_000 });
    const stored = bookWithOrders([order('o:mine', cfg.strategy.name), order('o:theirs', 'other-strategy')]);
    // Held before the stop: 0.03 BTC, from fills the book applied, the last `x:done`.
    const book = { ...stored.book, positions: [{ venue: cfg.venue, symbol: 'BTC/USDT', qty: 0.03, avgCost: 42_000, realised: 0, lastPrice: 42_000 }], fillIds: [['x:done', T - 60_000] as [string, number]] };
    await riskStore.saveBook(cfg.risk.account, { ...stored, book }, 0);
    const engine = await startLive(cfg, restartStores(bus, registry, riskStore, createMemoryFeatureStore({ historyCap: 2 })));
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
