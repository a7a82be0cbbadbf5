import { afterEach, describe, expect, it } from 'vitest';
import { json, startTestGateway, until, VIEWER } from './gateway-harness.js';
import type { Gateway } from './gateway-harness.js';
import { connectRaw } from './raw-feed-client.js';

type Frame = Readonly<{ type: string; topic?: string; key?: string; seq?: number; symbols?: string[] | null }>;

describe('websocket feed: unsubscribing while behind', () => {
  let gw: Gateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('sends a slow client nothing more of a topic or symbol after its `unsubscribed`, though it was queued', async () => {
    gw = await startTestGateway({ config: { maxBufferedBytes: 64 * 1024, slowCloseMs: 60_000 } });
    const g = gw;
    const slow = await connectRaw(g.wsUrl, VIEWER);
    slow.send({ op: 'subscribe', topic: 'pnl' });
    slow.send({ op: 'subscribe', topic: 'actors' });
    slow.send({ op: 'subscribe', topic: 'md', symbols: ['BTC/USDT', 'ETH/USDT'] });
    await until(() => slow.messages.filter((m) => (m as Frame).type === 'subscribed').length === 3);
    slow.pause();
    let i = 0;
    while (g.hub.stats().slowClients === 0 && i < 2000) {
      g.hub.publishLocal('pnl', `k${i % 4}`, { i, pad: 'x'.repeat(32 * 1024) });
      i++;
      await new Promise((r) => setImmediate(r));
    }
    expect(g.hub.stats().slowClients).toBe(1);
    // Queued behind the backlog: updates of actors, BTC and ETH.
    for (let a = 0; a < 3; a++) g.hub.publishLocal('actors', `a${a}`, { a });
    g.bus.emit(g.subjects.trade('binance', 'BTC/USDT'), json({ symbol: 'BTC/USDT', price: 100 }));
    g.bus.emit(g.subjects.trade('binance', 'ETH/USDT'), json({ symbol: 'ETH/USDT', price: 10 }));
    await until(() => g.hub.stats().seq.md === 2);
    slow.send({ op: 'unsubscribe', topic: 'actors' });
    slow.send({ op: 'unsubscribe', topic: 'md', symbols: ['ETH/USDT'] });
    await new Promise((r) => setTimeout(r, 100)); // both read by the server

    slow.resume();
    await until(() => g.hub.stats().slowClients === 0);
    await until(() => slow.messages.filter((m) => (m as Frame).type === 'unsubscribed').length === 2);
    await new Promise((r) => setTimeout(r, 50));
    const frames = slow.messages as Frame[];
    expect(frames.filter((m) => m.type === 'unsubscribed')).toEqual([
      { type: 'unsubscribed', topic: 'actors', symbols: null },
      { type: 'unsubscribed', topic: 'md', symbols: ['ETH/USDT'] },
    ]);
    // The feed data received: no actor, no ETH; BTC (still followed) arrives.
    const data = frames.filter((m) => (m.type === 'delta' || m.type === 'snapshot') && m.topic !== 'pnl').map((m) => `${m.topic} ${m.key}`);
    expect(data).toEqual(['md BTC/USDT']);
    slow.socket.destroy();
  });
});
