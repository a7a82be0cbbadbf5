import { afterEach, describe, expect, it } from 'vitest';
import { learnStoredOrders } from '../../../gateways/ws/orders-seed.js';
import { silentLogger } from '../../../state/logger.js';
import { createNatsBus } from '../../../streams/nats-bus.js';
import { subjectsFor } from '../../../streams/subjects.js';
import { parsePromText, sampleValue } from '../http/prom-text.js';
import { json, NATS_URL, startTestGateway, testPrefix, until, VIEWER } from './gateway-harness.js';
import type { Gateway } from './gateway-harness.js';
import { connectRaw } from './raw-feed-client.js';
import type { RawFeedClient } from './raw-feed-client.js';

// Event time far behind the wall clock, as in the demo's replay of old data.
const H = 3_600_000;
const T0 = 100 * H;
const order = (id: string, o: Readonly<{ ts?: number; qty?: number; expiresAt?: number }> = {}) => ({
  type: 'exec.order', v: 1, id, ts: o.ts ?? T0, strategy: 'dirmlp', venue: 'binance', symbol: 'BTC/USDT', suggestionId: `s${id}`, side: 'buy', qty: o.qty ?? 1,
  orderType: 'limit', limitPrice: 62_000, expiresAt: o.expiresAt ?? T0 + H, reducing: false,
});
const fill = (orderId: string, n: number, qty: number, final = false) => ({
  type: 'exec.fill', v: 1, id: `x:${orderId}:${n}`, ts: T0 + 1000 + n, orderId, strategy: 'dirmlp', venue: 'binance', symbol: 'BTC/USDT', side: 'buy', qty, price: 62_000, fee: 0.01,
  liquidity: 'maker', slippageBps: 0, final,
});

type Frame = Readonly<{ type: string; topic?: string; seq?: number; snapshot?: number; data?: { id?: string } }>;
const frames = (c: RawFeedClient): Frame[] => c.messages as Frame[];

/** What a client that subscribes to `orders` now is sent as the snapshot: the ids, in order. */
async function snapshotIds(g: Gateway): Promise<(string | undefined)[]> {
  const c = await connectRaw(g.wsUrl, VIEWER);
  c.send({ op: 'subscribe', topic: 'orders' });
  await until(() => frames(c).some((m) => m.type === 'subscribed' && m.topic === 'orders'));
  const announced = frames(c).find((m) => m.type === 'subscribed')?.snapshot ?? -1;
  const snap = (): Frame[] => frames(c).filter((m) => m.type === 'snapshot' && m.topic === 'orders');
  await until(() => snap().length === announced);
  c.socket.destroy();
  return snap().map((m) => m.data?.id);
}

/**
 * The `orders` snapshot kept the last `ordersSnapshotDepth` messages of each slot: an approved
 * order still working was pushed out of it by newer orders of its strategy, venue and symbol, and a
 * dashboard that reconnected never learnt the order existed (its fills then named an order it did
 * not list). An order the venue may still work is now held in the snapshot until it is filled or
 * event time reaches its expiresAt.
 */
describe('websocket feed: the orders snapshot keeps the orders still working', () => {
  let gw: Gateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('sends a reconnecting client a working order that newer orders pushed out of its slot, in seq order (real NATS)', async () => {
    gw = await startTestGateway({ config: { ordersSnapshotDepth: 3 } });
    const g = gw;
    const subject = g.subjects.order('dirmlp', 'binance', 'BTC/USDT');
    // o:long works for a day; the others expire within a minute of being approved.
    g.bus.emit(subject, json(order('o:long', { expiresAt: T0 + 24 * H })));
    for (let n = 1; n <= 5; n++) g.bus.emit(subject, json(order(`o:${n}`, { ts: T0 + n * 60_000, expiresAt: T0 + n * 60_000 + 59_000 })));
    await until(() => g.hub.stats().seq.orders === 6);
    // Event time is T0 + 5 min: o:1 and o:2 expired when they left the slot, o:long works.
    expect(await snapshotIds(g)).toEqual(['o:long', 'o:3', 'o:4', 'o:5']);
    expect(g.hub.stats().workingOrdersHeld).toBe(1);
  });

  it('lets an order go once its fills complete it (a final fill, or fills that add up to its qty), held or not yet pushed out', async () => {
    gw = await startTestGateway({ config: { ordersSnapshotDepth: 2 } });
    const g = gw;
    const subject = g.subjects.order('dirmlp', 'binance', 'BTC/USDT');
    const fills = g.subjects.fill('binance', 'BTC/USDT');
    g.bus.emit(subject, json(order('o:a', { qty: 1 })));
    g.bus.emit(subject, json(order('o:b', { qty: 1 })));
    g.bus.emit(subject, json(order('o:c', { qty: 0.3 }))); // pushes o:a out: held
    g.bus.emit(fills, json(fill('o:a', 0, 0.4)));
    g.bus.emit(fills, json(fill('o:b', 0, 0.5, true))); // partly filled, then expired: nothing left
    g.bus.emit(fills, json(fill('o:c', 0, 0.1)));
    g.bus.emit(fills, json(fill('o:c', 1, 0.2))); // 0.1 + 0.2 of 0.3: filled
    g.bus.emit(subject, json(order('o:d')));
    g.bus.emit(subject, json(order('o:e'))); // o:b and o:c pushed out, done: not held
    await until(() => g.hub.stats().seq.orders === 9);
    expect(await snapshotIds(g)).toEqual(['o:a', 'x:o:c:0', 'x:o:c:1', 'o:d', 'o:e']);
    g.bus.emit(fills, json(fill('o:a', 1, 0.6))); // 0.4 + 0.6: o:a filled while held
    await until(() => g.hub.stats().seq.orders === 10);
    expect(await snapshotIds(g)).toEqual(['x:o:c:1', 'o:d', 'o:e', 'x:o:a:1']);
    expect(g.hub.stats().workingOrdersHeld).toBe(0);
  });

  it('lets a held order go, and relays it on orders, when an expiry (exec.expired) says the venue stopped working it early', async () => {
    gw = await startTestGateway({ config: { ordersSnapshotDepth: 1 } });
    const g = gw;
    const subject = g.subjects.order('dirmlp', 'binance', 'BTC/USDT');
    g.bus.emit(subject, json(order('o:a', { expiresAt: T0 + 24 * H })));
    g.bus.emit(subject, json(order('o:b', { expiresAt: T0 + 24 * H }))); // pushes o:a out: held
    await until(() => g.hub.stats().seq.orders === 2);
    expect(await snapshotIds(g)).toEqual(['o:a', 'o:b']);
    const expiry = { type: 'exec.expired', v: 1, id: 'e:o:a', ts: T0 + 60_000, orderId: 'o:a', strategy: 'dirmlp', venue: 'binance', symbol: 'BTC/USDT', filledQty: 0, remainingQty: 1, reason: 'venue' };
    g.bus.emit(g.subjects.expired('binance', 'BTC/USDT'), json(expiry));
    await until(() => g.hub.stats().seq.orders === 3);
    // Long before its expiresAt: let go, and the expiry itself is in the snapshot (its own slot).
    expect(await snapshotIds(g)).toEqual(['o:b', 'e:o:a']);
    expect(g.hub.stats().workingOrdersHeld).toBe(0);
  });

  it('lets a held order go when event time (market data, not the wall clock) reaches its expiresAt', async () => {
    gw = await startTestGateway({ config: { ordersSnapshotDepth: 1 } });
    const g = gw;
    const subject = g.subjects.order('dirmlp', 'binance', 'BTC/USDT');
    g.bus.emit(subject, json(order('o:a', { expiresAt: T0 + 10 * 60_000 })));
    g.bus.emit(subject, json(order('o:b', { expiresAt: T0 + 10 * 60_000 })));
    const trade = (ts: number) => ({ type: 'md.trade', v: 1, id: `t:${ts}`, venue: 'binance', symbol: 'ETH/USDT', price: 3000, qty: 1, side: 'buy', ts, recvTs: ts });
    g.bus.emit(g.subjects.trade('binance', 'ETH/USDT'), json(trade(T0 + 10 * 60_000 - 1)));
    await until(() => g.hub.stats().seq.md === 1);
    expect(await snapshotIds(g)).toEqual(['o:a', 'o:b']);
    g.bus.emit(g.subjects.trade('binance', 'ETH/USDT'), json(trade(T0 + 10 * 60_000)));
    await until(() => g.hub.stats().seq.md === 2);
    expect(await snapshotIds(g)).toEqual(['o:b']);
  });

  it('holds at most ordersSnapshotDepth working orders per slot: the oldest is let go, counted in sextant_ws_orders_snapshot_dropped_total', async () => {
    gw = await startTestGateway({ config: { ordersSnapshotDepth: 2 } });
    const g = gw;
    const subject = g.subjects.order('dirmlp', 'binance', 'BTC/USDT');
    for (let n = 1; n <= 6; n++) g.bus.emit(subject, json(order(`o:${n}`)));
    await until(() => g.hub.stats().seq.orders === 6);
    // o:5, o:6 in the slot; o:3, o:4 held; o:1 and o:2 let go past the bound.
    expect(await snapshotIds(g)).toEqual(['o:3', 'o:4', 'o:5', 'o:6']);
    expect(g.hub.stats()).toMatchObject({ workingOrdersHeld: 2, workingOrdersDropped: 2 });
    const scraped = parsePromText(await (await fetch(`${g.server.url}/metrics`)).text());
    expect(sampleValue(scraped, 'sextant_ws_orders_snapshot_dropped_total')).toBe(2);
  });

  it('holds, from the start, the orders approved before it that still work (stored in SIGNALS), with the fills already applied; event time at start is the newest ts read (real NATS)', async () => {
    const prefix = testPrefix();
    const subjects = subjectsFor(prefix);
    const stream = `${prefix.toUpperCase()}_SIGNALS`;
    const bus = await createNatsBus({ url: NATS_URL, name: 'gateway-test-stored', connectTimeoutMs: 3000 });
    try {
      await bus.ensureStreams([{ name: stream, subjects: subjects.streamSubjects.SIGNALS, maxAgeMs: 0, duplicateWindowMs: 1000, storage: 'memory' }]);
      const subject = subjects.order('dirmlp', 'binance', 'BTC/USDT');
      const fills = subjects.fill('binance', 'BTC/USDT');
      // Before the gateway starts (a restart): what SIGNALS holds.
      await bus.publish(subject, json(order('o:done')));
      await bus.publish(fills, json(fill('o:done', 0, 0.2, true))); // expired partly filled: done
      await bus.publish(subject, json(order('o:part')));
      await bus.publish(fills, json(fill('o:part', 0, 0.4))); // 0.6 left
      await bus.publish(subject, json(order('o:old', { expiresAt: T0 + 10 * 60_000 })));
      await bus.publish(subject, json(order('o:long', { expiresAt: T0 + 24 * H })));
      await bus.publish(subject, json(order('o:late', { ts: T0 + 20 * 60_000, expiresAt: T0 + 20 * 60_000 + H }))); // event time: o:old expired
      gw = await startTestGateway({ bus, prefix, config: { ordersSnapshotDepth: 2 }, bookedFills: true });
      const g = gw;
      expect(await learnStoredOrders({ bus, hub: g.hub, stream, subjects, log: silentLogger })).toBe(5);
      // o:part pushed out of its slot by o:long and o:late: held while it works.
      expect(await snapshotIds(g)).toEqual(['o:part', 'o:long', 'o:late']);
      expect(g.hub.stats().workingOrdersHeld).toBe(1);
      // 0.4 stored + 0.6 now: o:part is filled and let go.
      g.bus.emit(fills, json(fill('o:part', 1, 0.6)));
      await until(() => g.hub.stats().seq.orders + g.hub.stats().refusedFills === 4);
      expect(await snapshotIds(g)).toEqual(['o:long', 'o:late', 'x:o:part:1']);
      expect(g.hub.stats().workingOrdersHeld).toBe(0);
    } finally {
      await gw?.close();
      gw = undefined;
      await bus.deleteStreams([stream]).catch(() => undefined);
      await bus.close();
    }
  });
});
