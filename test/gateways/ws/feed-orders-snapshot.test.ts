import { afterEach, describe, expect, it } from 'vitest';
import { backUpSocket, json, startTestGateway, until, VIEWER } from './gateway-harness.js';
import type { Gateway } from './gateway-harness.js';
import { connectRaw } from './raw-feed-client.js';
import type { RawFeedClient } from './raw-feed-client.js';

const H = 3_600_000;
const fill = (n: number, symbol = 'BTC/USDT') => ({
  type: 'exec.fill', v: 1, id: `x:o:1:${symbol}:${n}`, ts: 100 * H + n, orderId: 'o:1', strategy: 'dirmlp', venue: 'binance', symbol, side: 'buy', qty: 0.001, price: 62_700 + n, fee: 0.01,
  liquidity: 'taker', slippageBps: 1, final: false,
});
const order = (n: number) => ({
  type: 'exec.order', v: 1, id: `o:${n}`, ts: 100 * H + n, strategy: 'dirmlp', venue: 'binance', symbol: 'BTC/USDT', suggestionId: `s${n}`, side: 'buy', qty: 0.02,
  orderType: 'market', limitPrice: null, expiresAt: 101 * H, reducing: false,
});

type Frame = Readonly<{ type: string; topic?: string; seq?: number; snapshot?: number; data?: { id?: string } }>;
const frames = (c: RawFeedClient): Frame[] => c.messages as Frame[];
const ordersOf = (c: RawFeedClient, type: 'snapshot' | 'delta'): Frame[] => frames(c).filter((m) => m.type === type && m.topic === 'orders');

/** Subscribes to `orders` and waits for the snapshot `subscribed` announces. */
async function resubscribe(g: Gateway): Promise<RawFeedClient> {
  const c = await connectRaw(g.wsUrl, VIEWER);
  c.send({ op: 'subscribe', topic: 'orders' });
  await until(() => frames(c).some((m) => m.type === 'subscribed' && m.topic === 'orders'));
  const announced = frames(c).find((m) => m.type === 'subscribed')?.snapshot ?? -1;
  await until(() => ordersOf(c, 'snapshot').length === announced);
  return c;
}

/**
 * The `orders` snapshot held only the newest fill per venue and symbol (and order, reject per
 * strategy, venue and symbol): a dashboard that reconnected after a 4008 or a dropped link was sent
 * the last fill only, and its fill list missed the others until the next fills. It now holds the
 * last `ordersSnapshotDepth` of each, in seq order.
 */
describe('websocket feed: the orders snapshot brings back what a reconnecting client missed', () => {
  let gw: Gateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('a client that dropped its link and resubscribes is sent every fill and order published meanwhile, in seq order (real NATS)', async () => {
    gw = await startTestGateway();
    const g = gw;
    const btcFill = g.subjects.fill('binance', 'BTC/USDT');
    const first = await resubscribe(g);
    for (let n = 0; n < 3; n++) g.bus.emit(btcFill, json(fill(n)));
    await until(() => ordersOf(first, 'delta').length === 3);
    first.socket.destroy(); // a network blip: the dashboard reconnects

    const missed: string[] = [];
    for (let n = 3; n < 15; n++) {
      if (n === 7) {
        g.bus.emit(g.subjects.order('dirmlp', 'binance', 'BTC/USDT'), json(order(n)));
        missed.push(`o:${n}`);
      }
      g.bus.emit(btcFill, json(fill(n)));
      missed.push(`x:o:1:BTC/USDT:${n}`);
    }
    g.bus.emit(g.subjects.fill('binance', 'ETH/USDT'), json(fill(0, 'ETH/USDT')));
    await until(() => g.hub.stats().seq.orders === 3 + missed.length + 1);

    const again = await resubscribe(g);
    const snap = ordersOf(again, 'snapshot');
    const ids = snap.map((m) => m.data?.id);
    expect(ids).toEqual([...[0, 1, 2].map((n) => `x:o:1:BTC/USDT:${n}`), ...missed, 'x:o:1:ETH/USDT:0']);
    expect(snap.map((m) => m.seq)).toEqual(snap.map((_, k) => k + 1));
    again.socket.destroy();
  });

  it('after a 4008 "slow consumer" close, the resubscribe is sent the fills the client was never sent', async () => {
    gw = await startTestGateway({ config: { maxBufferedBytes: 64 * 1024, slowCloseMs: 60_000, maxPendingFrames: 50 } });
    const g = gw;
    const slow = await resubscribe(g);
    slow.send({ op: 'subscribe', topic: 'pnl' });
    await until(() => frames(slow).filter((m) => m.type === 'subscribed').length === 2);
    slow.pause();
    await backUpSocket(g);
    const btcFill = g.subjects.fill('binance', 'BTC/USDT');
    for (let n = 0; n < 60; n++) g.bus.emit(btcFill, json(fill(n)));
    await until(() => g.hub.stats().seq.orders === 60);
    slow.resume();
    await slow.ended;
    expect(slow.closeCode()).toBe(4008);
    const got = new Set(ordersOf(slow, 'delta').map((m) => m.data?.id));
    expect(got.size).toBeLessThan(60);

    const again = await resubscribe(g);
    const ids = ordersOf(again, 'snapshot').map((m) => m.data?.id);
    expect(ids).toEqual(Array.from({ length: 60 }, (_, n) => `x:o:1:BTC/USDT:${n}`));
    again.socket.destroy();
  });

  it('keeps the last ordersSnapshotDepth fills per venue and symbol, and orders per strategy, venue and symbol, no more once they are not worked', async () => {
    gw = await startTestGateway({ config: { ordersSnapshotDepth: 4 } });
    const g = gw;
    for (let n = 0; n < 10; n++) g.bus.emit(g.subjects.fill('binance', 'BTC/USDT'), json(fill(n)));
    for (let n = 0; n < 6; n++) g.bus.emit(g.subjects.order('dirmlp', 'binance', 'BTC/USDT'), json(order(n)));
    // Event time reaches the orders' expiresAt: none is worked any more, so none is held past the
    // depth (feed-working-orders.test.ts has the ones still working).
    g.bus.emit(g.subjects.trade('binance', 'BTC/USDT'), json({ type: 'md.trade', v: 1, id: 't:1', venue: 'binance', symbol: 'BTC/USDT', price: 62_700, qty: 1, side: 'buy', ts: 101 * H, recvTs: 101 * H }));
    await until(() => g.hub.stats().seq.orders === 16 && g.hub.stats().seq.md === 1);
    const c = await resubscribe(g);
    expect(ordersOf(c, 'snapshot').map((m) => m.data?.id)).toEqual([6, 7, 8, 9].map((n) => `x:o:1:BTC/USDT:${n}`).concat([2, 3, 4, 5].map((n) => `o:${n}`)));
    c.socket.destroy();
  });

  it('a client backed up when it subscribes is not closed for a snapshot longer than maxPendingFrames: it is sent all of it', async () => {
    // 3 fill slots x depth 20 = 60 snapshot frames, over maxPendingFrames (30): on an engine with ~34
    // venue/symbol pairs at the defaults (100 x orders, rejects, fills), every dashboard that
    // subscribed while backed up was closed with 4008 at once, and again on each reconnect.
    gw = await startTestGateway({ config: { maxBufferedBytes: 64 * 1024, slowCloseMs: 60_000, maxPendingFrames: 30, ordersSnapshotDepth: 20 } });
    const g = gw;
    const symbols = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'];
    for (let n = 0; n < 25; n++) for (const s of symbols) g.bus.emit(g.subjects.fill('binance', s), json(fill(n, s)));
    await until(() => g.hub.stats().seq.orders === 75);
    const slow = await connectRaw(g.wsUrl, VIEWER);
    slow.send({ op: 'subscribe', topic: 'pnl' });
    await until(() => frames(slow).some((m) => m.type === 'subscribed'));
    slow.pause();
    await backUpSocket(g);
    slow.send({ op: 'subscribe', topic: 'orders' });
    await new Promise((r) => setTimeout(r, 100));
    slow.resume();
    await until(() => frames(slow).some((m) => m.type === 'subscribed' && m.topic === 'orders') || slow.closeCode() !== undefined);
    expect(slow.closeCode()).toBeUndefined();
    expect(frames(slow).find((m) => m.type === 'subscribed' && m.topic === 'orders')?.snapshot).toBe(60);
    await until(() => ordersOf(slow, 'snapshot').length >= 60 || slow.closeCode() !== undefined);
    expect(slow.closeCode()).toBeUndefined();
    const want = Array.from({ length: 20 }, (_, k) => k + 5).flatMap((n) => symbols.map((s) => `x:o:1:${s}:${n}`));
    expect(ordersOf(slow, 'snapshot').map((m) => m.data?.id)).toEqual(want);
    await until(() => g.hub.stats().slowClients === 0);
    // The deltas that follow are still bounded: 40 fills queued behind a backed-up socket close it.
    slow.pause();
    await backUpSocket(g);
    for (let n = 100; n < 140; n++) g.bus.emit(g.subjects.fill('binance', 'BTC/USDT'), json(fill(n)));
    await until(() => g.hub.stats().seq.orders === 115);
    slow.resume();
    await slow.ended;
    expect(slow.closeCode()).toBe(4008);
  });

  it('sends a client whose socket is backed up when it subscribes every snapshot frame it announced, not the newest per slot', async () => {
    gw = await startTestGateway({ config: { maxBufferedBytes: 64 * 1024, slowCloseMs: 60_000 } });
    const g = gw;
    for (let n = 0; n < 20; n++) g.bus.emit(g.subjects.fill('binance', 'BTC/USDT'), json(fill(n)));
    await until(() => g.hub.stats().seq.orders === 20);
    const slow = await connectRaw(g.wsUrl, VIEWER);
    slow.send({ op: 'subscribe', topic: 'pnl' });
    await until(() => frames(slow).some((m) => m.type === 'subscribed'));
    slow.pause();
    await backUpSocket(g);
    slow.send({ op: 'subscribe', topic: 'orders' });
    await new Promise((r) => setTimeout(r, 100));
    slow.resume();
    await until(() => frames(slow).some((m) => m.type === 'subscribed' && m.topic === 'orders'));
    expect(frames(slow).find((m) => m.type === 'subscribed' && m.topic === 'orders')?.snapshot).toBe(20);
    await until(() => g.hub.stats().slowClients === 0);
    await until(() => ordersOf(slow, 'snapshot').length >= 20);
    expect(ordersOf(slow, 'snapshot').map((m) => m.data?.id)).toEqual(Array.from({ length: 20 }, (_, n) => `x:o:1:BTC/USDT:${n}`));
    slow.socket.destroy();
  });
});
