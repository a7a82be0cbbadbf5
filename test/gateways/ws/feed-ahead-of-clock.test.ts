import { afterEach, describe, expect, it } from 'vitest';
import { json, startTestGateway, until, VIEWER } from './gateway-harness.js';
import type { Gateway } from './gateway-harness.js';
import { connectRaw } from './raw-feed-client.js';

// Event time far behind the wall clock, as in the demo's replay of old data.
const H = 3_600_000;
const T0 = 100 * H;
const YEAR = 365 * 24 * H;
const order = (id: string) => ({
  type: 'exec.order', v: 1, id, ts: T0, strategy: 'dirmlp', venue: 'binance', symbol: 'BTC/USDT', suggestionId: `s${id}`, side: 'buy', qty: 1,
  orderType: 'limit', limitPrice: 62_000, expiresAt: T0 + H, reducing: false,
});
const trade = (ts: number) => ({ type: 'md.trade', v: 1, id: `t:${ts}`, venue: 'binance', symbol: 'ETH/USDT', price: 3000, qty: 1, side: 'buy', ts, recvTs: ts });
const fill = (orderId: string, n: number, ts: number) => ({
  type: 'exec.fill', v: 1, id: `x:${orderId}:${n}`, ts, orderId, strategy: 'dirmlp', venue: 'binance', symbol: 'BTC/USDT', side: 'buy', qty: 0.1, price: 62_000, fee: 0.01,
  liquidity: 'maker', slippageBps: 0, final: false,
});
const marketData = { maxPayloadBytes: 8192, isKnown: (venue: string) => venue === 'binance', maxAheadMs: 60_000 };

type Frame = Readonly<{ type: string; topic?: string; snapshot?: number; data?: { id?: string } }>;

async function snapshotIds(g: Gateway): Promise<(string | undefined)[]> {
  const c = await connectRaw(g.wsUrl, VIEWER);
  const frames = (): Frame[] => c.messages as Frame[];
  c.send({ op: 'subscribe', topic: 'orders' });
  await until(() => frames().some((m) => m.type === 'subscribed' && m.topic === 'orders'));
  const announced = frames().find((m) => m.type === 'subscribed')?.snapshot ?? -1;
  const snap = (): Frame[] => frames().filter((m) => m.type === 'snapshot' && m.topic === 'orders');
  await until(() => snap().length === announced);
  c.socket.destroy();
  return snap().map((m) => m.data?.id);
}

/**
 * The hub's event time (what expires the working orders its `orders` snapshot holds) is the newest
 * `ts` of the market data and orders it relays. A message stamped far in the future (a venue's clock
 * error, a year mistyped), which the engine refuses as more than validation.maxAheadMs ahead of its
 * clock, was relayed and moved that event time to its date: every held order expired at once, and a
 * reconnecting dashboard no longer listed the orders the venue still worked. It is refused by the
 * feed too, against the gateway's clock.
 */
describe('websocket feed: a message stamped far ahead of the clock does not move event time', () => {
  let gw: Gateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('drops market data more than maxAheadMs ahead of the gateway clock, counted in refusedMarketData; held orders stay (real NATS)', async () => {
    gw = await startTestGateway({ config: { ordersSnapshotDepth: 1 }, marketData });
    const g = gw;
    const subject = g.subjects.order('dirmlp', 'binance', 'BTC/USDT');
    g.bus.emit(subject, json(order('o:a')));
    g.bus.emit(subject, json(order('o:b'))); // o:a pushed out of its slot: held while it works
    g.bus.emit(g.subjects.trade('binance', 'ETH/USDT'), json(trade(Date.now() + YEAR)));
    g.bus.emit(g.subjects.trade('binance', 'ETH/USDT'), json(trade(T0 + 1)));
    await until(() => g.hub.stats().seq.md + g.hub.stats().refusedMarketData === 2);
    expect(g.hub.stats()).toMatchObject({ refusedMarketData: 1, workingOrdersHeld: 1 });
    expect(await snapshotIds(g)).toEqual(['o:a', 'o:b']);
  });

  it('drops a fill more than maxAheadMs ahead of the gateway clock (the engine does not book it), and its republish within the duplicate window (real NATS)', async () => {
    gw = await startTestGateway({ config: { ordersSnapshotDepth: 1 }, marketData, bookedFills: true });
    const g = gw;
    const subject = g.subjects.order('dirmlp', 'binance', 'BTC/USDT');
    g.bus.emit(subject, json(order('o:a')));
    g.bus.emit(subject, json(order('o:b')));
    const fills = g.subjects.fill('binance', 'BTC/USDT');
    g.bus.emit(fills, json(fill('o:b', 0, Date.now() + YEAR)));
    // Corrected under the same id: JetStream drops it within SIGNALS' duplicate window, the engine never sees it.
    g.bus.emit(fills, json(fill('o:b', 0, T0 + 1)));
    g.bus.emit(fills, json(fill('o:b', 1, T0 + 2)));
    await until(() => g.hub.stats().seq.orders + g.hub.stats().refusedFills + g.hub.stats().duplicates === 5);
    expect(g.hub.stats()).toMatchObject({ refusedFills: 1, duplicates: 1, workingOrdersHeld: 1 });
    expect(await snapshotIds(g)).toEqual(['o:a', 'o:b', 'x:o:b:1']);
  });
});
