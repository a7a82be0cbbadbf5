import { afterEach, describe, expect, it } from 'vitest';
import { connectFeed, json, startTestGateway, until, VIEWER } from './gateway-harness.js';
import type { Gateway } from './gateway-harness.js';
import { connectRaw } from './raw-feed-client.js';

type Frame = Readonly<{ type: string; topic?: string; key?: string; seq?: number; snapshot?: number; conflated?: boolean; data?: unknown }>;

/** The frames of `topic` from its `subscribed` on: the announced count and what followed. */
const afterSubscribed = (frames: readonly unknown[], topic: string): { announced: number | undefined; rest: Frame[] } => {
  const fs = frames as Frame[];
  const at = fs.findIndex((f) => f.type === 'subscribed' && f.topic === topic);
  return { announced: fs[at]?.snapshot, rest: fs.slice(at + 1).filter((f) => f.topic === topic) };
};

describe('websocket feed: where a snapshot ends (`subscribed.snapshot`)', () => {
  let gw: Gateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('announces how many snapshot frames follow: 0 for an empty topic, the frames sent for a symbol filter', async () => {
    gw = await startTestGateway();
    const g = gw;
    const c = await connectFeed(g.wsUrl, { token: VIEWER });
    // Nothing relayed yet: the snapshot is empty and says so (before, nothing at all was sent).
    c.send({ op: 'subscribe', topic: 'actors' });
    expect(await c.waitFor((m) => m.type === 'subscribed' && m.topic === 'actors')).toEqual({ type: 'subscribed', topic: 'actors', symbols: null, snapshot: 0 });

    g.bus.emit(g.subjects.trade('binance', 'BTC/USDT'), json({ symbol: 'BTC/USDT', price: 100 }));
    g.bus.emit(g.subjects.trade('binance', 'ETH/USDT'), json({ symbol: 'ETH/USDT', price: 10 }));
    g.bus.emit(g.subjects.trade('kraken', 'ETH/USDT'), json({ symbol: 'ETH/USDT', price: 11 }));
    await until(() => g.hub.stats().seq.md === 3);

    const f = await connectFeed(g.wsUrl, { token: VIEWER });
    f.send({ op: 'subscribe', topic: 'md', symbols: ['ETH/USDT'] });
    f.send({ op: 'subscribe', topic: 'md' });
    f.send({ op: 'ping' });
    await f.waitFor((m) => m.type === 'pong');
    const replies = f.messages.filter((m) => m.type === 'subscribed' || m.type === 'snapshot').map((m) => (m.type === 'subscribed' ? `subscribed ${m.snapshot}` : `snapshot ${m.key}`));
    expect(replies).toEqual(['subscribed 2', 'snapshot ETH/USDT', 'snapshot ETH/USDT', 'subscribed 3', 'snapshot BTC/USDT', 'snapshot ETH/USDT', 'snapshot ETH/USDT']);
    c.ws.close();
    f.ws.close();
  });

  it("keeps a slow client's queued snapshot frames snapshot frames when newer updates replace them, so the count holds", async () => {
    gw = await startTestGateway({ config: { maxBufferedBytes: 64 * 1024, slowCloseMs: 60_000 } });
    const g = gw;
    for (let a = 0; a < 5; a++) g.hub.publishLocal('actors', `a${a}`, { v: 0 });
    const slow = await connectRaw(g.wsUrl, VIEWER);
    slow.send({ op: 'subscribe', topic: 'pnl' });
    await until(() => slow.messages.some((m) => (m as Frame).type === 'subscribed'));
    slow.pause();
    let i = 0;
    while (g.hub.stats().slowClients === 0 && i < 2000) {
      g.hub.publishLocal('pnl', `k${i % 4}`, { i, pad: 'x'.repeat(32 * 1024) });
      i++;
      await new Promise((r) => setImmediate(r));
    }
    expect(g.hub.stats().slowClients).toBe(1);

    // Subscribed while backed up: the snapshot queues; then two of its actors change.
    slow.send({ op: 'subscribe', topic: 'actors' });
    await until(() => g.hub.stats().slowClients === 1 && g.hub.stats().seq.actors === 5);
    await new Promise((r) => setTimeout(r, 50)); // the subscribe is read and its frames queued
    g.hub.publishLocal('actors', 'a1', { v: 1 });
    g.hub.publishLocal('actors', 'a3', { v: 1 });
    g.hub.publishLocal('actors', 'a3', { v: 2 });

    slow.resume();
    await until(() => g.hub.stats().slowClients === 0);
    await until(() => afterSubscribed(slow.messages, 'actors').rest.length >= 5);
    const { announced, rest } = afterSubscribed(slow.messages, 'actors');
    expect(announced).toBe(5);
    // Five snapshot frames, the changed actors with their newest value (in seq order, after the others).
    expect(rest.map((m) => [m.type, m.key, m.data])).toEqual([
      ['snapshot', 'a0', { v: 0 }],
      ['snapshot', 'a2', { v: 0 }],
      ['snapshot', 'a4', { v: 0 }],
      ['snapshot', 'a1', { v: 1 }],
      ['snapshot', 'a3', { v: 2 }],
    ]);
    expect(rest.map((m) => m.seq)).toEqual([1, 3, 5, 6, 8]);
    slow.socket.destroy();
  });
});
