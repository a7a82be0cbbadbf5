import { afterEach, describe, expect, it } from 'vitest';
import { connectFeed, startTestGateway, until, VIEWER } from './gateway-harness.js';
import type { Gateway } from './gateway-harness.js';
import { connectRaw } from './raw-feed-client.js';

const big = (i: number, kb: number): { i: number; pad: string } => ({ i, pad: 'x'.repeat(kb * 1024) });

describe('websocket feed: slow consumers', () => {
  let gw: Gateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('conflates a stalled client to the newest update per key and catches it up when it reads again', async () => {
    gw = await startTestGateway({ config: { maxBufferedBytes: 64 * 1024, slowCloseMs: 60_000 } });
    const g = gw;
    const slow = await connectRaw(g.wsUrl, VIEWER);
    const fast = await connectFeed(g.wsUrl, { token: VIEWER });
    slow.send({ op: 'subscribe', topic: 'pnl' });
    fast.send({ op: 'subscribe', topic: 'pnl' });
    await fast.waitFor((m) => m.type === 'subscribed');
    await until(() => slow.messages.some((m) => (m as { type?: string }).type === 'subscribed'));
    slow.pause();
    // Until the stalled socket is over the limit: its kernel buffers fill first.
    let i = 0;
    while (g.hub.stats().slowClients === 0 && i < 2000) {
      g.hub.publishLocal('pnl', `k${i % 4}`, big(i, 32));
      i++;
      await new Promise((r) => setImmediate(r));
    }
    expect(g.hub.stats().slowClients).toBe(1);
    // Small updates now: the stalled client's backlog takes them, the reading one keeps up.
    for (let j = 0; j < 400; j++, i++) g.hub.publishLocal('pnl', `k${i % 4}`, big(i, 0));
    await until(() => fast.messages.filter((m) => m.type === 'delta').length === i);
    expect(fast.messages.filter((m) => m.type === 'delta' && m.conflated === true)).toEqual([]);
    expect(g.hub.stats().slowClients).toBe(1);

    slow.resume();
    await until(() => g.hub.stats().slowClients === 0);
    await until(() => slow.messages.some((m) => (m as { seq?: number }).seq === i));
    const deltas = slow.messages.filter((m): m is { type: 'delta'; key: string; seq: number; conflated?: boolean; data: { i: number } } => (m as { type: string }).type === 'delta');
    // Far fewer than were published, in seq order, the newest of each key last, marked conflated.
    expect(deltas.length).toBeLessThan(i / 2);
    expect(deltas.map((d) => d.seq)).toEqual([...deltas.map((d) => d.seq)].sort((a, b) => a - b));
    expect(deltas.slice(-4).map((d) => [d.key, d.data.i])).toEqual([0, 1, 2, 3].map((k) => [`k${(i - 4 + k) % 4}`, i - 4 + k]));
    expect(deltas.slice(-4).every((d) => d.conflated === true)).toBe(true);
    expect(slow.closeCode()).toBeUndefined();
    fast.ws.close();
    slow.socket.destroy();
  });

  it('closes a client that stays over the limit for slowCloseMs with 4008 "slow consumer"; others keep their feed', async () => {
    gw = await startTestGateway({ config: { maxBufferedBytes: 64 * 1024, slowCloseMs: 300 } });
    const g = gw;
    const slow = await connectRaw(g.wsUrl, VIEWER);
    const fast = await connectFeed(g.wsUrl, { token: VIEWER });
    slow.send({ op: 'subscribe', topic: 'pnl' });
    fast.send({ op: 'subscribe', topic: 'pnl' });
    await fast.waitFor((m) => m.type === 'subscribed');
    await until(() => slow.messages.some((m) => (m as { type?: string }).type === 'subscribed'));
    slow.pause();
    let i = 0;
    let wasSlow = false;
    const t0 = Date.now();
    // Paced updates until the server gives up on the stalled client (its backlog is dropped).
    while (!(wasSlow && g.hub.stats().slowClients === 0) && Date.now() - t0 < 15_000) {
      g.hub.publishLocal('pnl', `k${i % 4}`, big(i, 32));
      i++;
      await new Promise((r) => setTimeout(r, 5));
      wasSlow ||= g.hub.stats().slowClients === 1;
    }
    const slowFor = Date.now() - t0;
    slow.resume(); // reads what was queued, then the close frame
    await slow.ended;
    expect(slow.closeCode()).toBe(4008);
    expect(slowFor).toBeGreaterThanOrEqual(300);
    await until(() => g.hub.clientCount() === 1);
    const closes = (await g.metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'sextant_ws_closes_total');
    expect(closes?.values.find((v) => v.labels['reason'] === 'slow consumer')?.value).toBe(1);
    // The reading client got every update, the last one included.
    await fast.waitFor((m) => m.type === 'delta' && m.seq === i);
    expect(fast.ws.readyState).toBe(fast.ws.OPEN);
    fast.ws.close();
  });

  it('closes with 4008 a client whose backlog holds more than maxPendingFrames frames (one per slot of a state)', async () => {
    gw = await startTestGateway({ config: { maxBufferedBytes: 16 * 1024, slowCloseMs: 60_000, maxPendingFrames: 50 } });
    const g = gw;
    const slow = await connectRaw(g.wsUrl, VIEWER);
    slow.send({ op: 'subscribe', topic: 'actors' });
    await until(() => slow.messages.some((m) => (m as { type?: string }).type === 'subscribed'));
    slow.pause();
    let i = 0;
    while (g.hub.stats().slowClients === 0 && i < 5000) {
      g.hub.publishLocal('actors', `actor-${i}`, big(i, 8));
      i++;
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(g.hub.stats().slowClients).toBe(1);
    // 60 more actors than the backlog may hold: closed at the 51st, at once.
    for (let j = 0; j < 60; j++, i++) g.hub.publishLocal('actors', `actor-${i}`, big(i, 0));
    expect(g.hub.stats().slowClients).toBe(0);
    slow.resume();
    await slow.ended;
    expect(slow.closeCode()).toBe(4008);
  });
});
