import { afterEach, describe, expect, it } from 'vitest';
import { backUpSocket, json, startTestGateway, until, VIEWER } from './gateway-harness.js';
import type { Gateway } from './gateway-harness.js';
import { connectRaw } from './raw-feed-client.js';
import type { RawFeedClient } from './raw-feed-client.js';

const H = 3_600_000;
const fill = (n: number) => ({
  type: 'exec.fill', v: 1, id: `x:o:1:${n}`, ts: 100 * H + n, orderId: 'o:1', strategy: 'dirmlp', venue: 'binance', symbol: 'BTC/USDT', side: 'buy', qty: 0.001, price: 62_700 + n, fee: 0.01,
  liquidity: 'taker', slippageBps: 1, final: false,
});
const order = (n: number) => ({
  type: 'exec.order', v: 1, id: `o:${n}`, ts: 100 * H + n, strategy: 'dirmlp', venue: 'binance', symbol: 'BTC/USDT', suggestionId: `s${n}`, side: 'buy', qty: 0.02,
  orderType: 'market', limitPrice: null, expiresAt: 101 * H, reducing: false,
});

type Frame = Readonly<{ type: string; topic?: string; seq?: number; conflated?: boolean; data?: { id?: string; i?: number } }>;
const frames = (c: RawFeedClient): Frame[] => c.messages as Frame[];

/** A client subscribed to `orders` and `pnl` whose socket is backed up (the server queues what it is sent). */
async function stalledClient(g: Gateway): Promise<RawFeedClient> {
  const slow = await connectRaw(g.wsUrl, VIEWER);
  slow.send({ op: 'subscribe', topic: 'orders' });
  slow.send({ op: 'subscribe', topic: 'pnl' });
  await until(() => frames(slow).filter((m) => m.type === 'subscribed').length === 2);
  slow.pause();
  await backUpSocket(g);
  return slow;
}

/**
 * A slow client's backlog kept the newest message per slot, and the `orders` topic's slots are
 * per venue and symbol: of the fills published while it was behind it was sent the last one only,
 * so a dashboard's fill list and position silently missed the others. Fills (and orders, rejects)
 * are events: each is now sent, or the client is closed with 4008.
 */
describe('websocket feed: a slow client is sent every order, reject and fill', () => {
  let gw: Gateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('sends each fill and order queued while it was behind, in order, none marked conflated; pnl still conflates (real NATS)', async () => {
    gw = await startTestGateway({ config: { maxBufferedBytes: 64 * 1024, slowCloseMs: 60_000 } });
    const g = gw;
    const slow = await stalledClient(g);
    const ids: string[] = [];
    const btcFill = g.subjects.fill('binance', 'BTC/USDT');
    const btcOrder = g.subjects.order('dirmlp', 'binance', 'BTC/USDT');
    for (let n = 0; n < 20; n++) {
      // Two orders of one strategy, venue and symbol, and 18 fills of one venue and symbol.
      if (n === 5 || n === 12) {
        g.bus.emit(btcOrder, json(order(n)));
        ids.push(`o:${n}`);
      } else {
        g.bus.emit(btcFill, json(fill(n)));
        ids.push(`x:o:1:${n}`);
      }
      g.hub.publishLocal('pnl', 'account', { i: 10_000 + n });
    }
    await until(() => g.hub.stats().seq.orders === ids.length);
    expect(g.hub.stats().slowClients).toBe(1);

    slow.resume();
    await until(() => g.hub.stats().slowClients === 0);
    await until(() => frames(slow).some((m) => m.topic === 'pnl' && m.data?.i === 10_019));
    await until(() => frames(slow).some((m) => m.topic === 'orders' && m.data?.id === ids.at(-1)));
    const orders = frames(slow).filter((m) => m.type === 'delta' && m.topic === 'orders');
    expect(orders.map((m) => m.data?.id)).toEqual(ids);
    expect(orders.map((m) => m.seq)).toEqual(ids.map((_, k) => k + 1));
    expect(orders.filter((m) => m.conflated === true)).toEqual([]);
    // The state topic is still conflated: far fewer pnl deltas than were published.
    const pnl = frames(slow).filter((m) => m.type === 'delta' && m.topic === 'pnl');
    expect(pnl.at(-1)).toMatchObject({ conflated: true, data: { i: 10_019 } });
    expect(pnl.filter((m) => (m.data?.i ?? 0) >= 10_000).length).toBe(1);
    expect(slow.closeCode()).toBeUndefined();
    slow.socket.destroy();
  });

  it('closes with 4008 "slow consumer" a client with more than maxPendingFrames fills queued, rather than dropping some silently', async () => {
    gw = await startTestGateway({ config: { maxBufferedBytes: 64 * 1024, slowCloseMs: 60_000, maxPendingFrames: 50 } });
    const g = gw;
    const slow = await stalledClient(g);
    const btcFill = g.subjects.fill('binance', 'BTC/USDT');
    for (let n = 0; n < 60; n++) g.bus.emit(btcFill, json(fill(n)));
    await until(() => g.hub.stats().seq.orders === 60);
    expect(g.hub.stats().slowClients).toBe(0);
    slow.resume();
    await slow.ended;
    expect(slow.closeCode()).toBe(4008);
    // Whatever fills it was sent before the close are a gapless run from the first.
    const got = frames(slow).filter((m) => m.type === 'delta' && m.topic === 'orders').map((m) => m.seq);
    expect(got).toEqual(got.map((_, k) => k + 1));
  });
});
