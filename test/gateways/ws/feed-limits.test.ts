import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectFeed, startTestGateway, VIEWER } from './gateway-harness.js';
import { connectRaw } from './raw-feed-client.js';
import type { Gateway } from './gateway-harness.js';

const metricValue = async (gw: Gateway, name: string, labels: Record<string, string>): Promise<number | undefined> => {
  const m = (await gw.metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = (m?.values ?? []).find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value;
};

describe('websocket feed: inbound limits and validation', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startTestGateway({ config: { maxInboundBytes: 1024, maxInboundPerSecond: 10 } });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('closes a client that sends a message over maxInboundBytes with 1009', async () => {
    const c = await connectFeed(gw.wsUrl, { token: VIEWER });
    c.send({ op: 'subscribe', topic: 'md', symbols: ['X'.repeat(40)], pad: 'y'.repeat(2000) });
    const { code } = await c.closed;
    expect(code).toBe(1009);
    expect(c.messages.filter((m) => m.type === 'subscribed')).toEqual([]);
    await new Promise((r) => setTimeout(r, 50));
    expect(await metricValue(gw, 'sextant_ws_closes_total', { reason: 'too big' })).toBe(1);
  });

  it('closes a flooding client with 1008 "rate limit"', async () => {
    const c = await connectFeed(gw.wsUrl, { token: VIEWER });
    for (let i = 0; i < 50; i++) c.send({ op: 'ping' });
    const closed = await c.closed;
    expect(closed).toEqual({ code: 1008, reason: 'rate limit' });
    // The first ten were answered, nothing after the limit was.
    expect(c.messages.filter((m) => m.type === 'pong').length).toBe(10);
    await new Promise((r) => setTimeout(r, 50));
    expect(await metricValue(gw, 'sextant_ws_closes_total', { reason: 'rate limit' })).toBe(1);
  });

  it('keeps a client that stays under the rate, across windows', async () => {
    const c = await connectFeed(gw.wsUrl, { token: VIEWER });
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 8; i++) c.send({ op: 'ping' });
      await new Promise((r) => setTimeout(r, 1050));
    }
    expect(c.messages.filter((m) => m.type === 'pong').length).toBe(24);
    expect(c.ws.readyState).toBe(c.ws.OPEN);
    c.ws.close();
    await c.closed;
  });

  it('answers invalid messages with a bad_request error and stays open', async () => {
    const c = await connectFeed(gw.wsUrl, { token: VIEWER });
    c.send('not json');
    c.send({ op: 'subscribe', topic: 'weather' });
    c.send({ op: 'subscribe', topic: 'md', symbols: ['BTC/USDT!'] });
    c.send({ op: 'jump' });
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    c.send({ op: 'ping' });
    await c.waitFor((m) => m.type === 'pong');
    const errors = c.messages.filter((m) => m.type === 'error');
    expect(errors.map((e) => (e.type === 'error' ? e.code : ''))).toEqual(['bad_request', 'bad_request', 'bad_request', 'bad_request', 'bad_request']);
    const reasons = errors.map((e) => (e.type === 'error' ? e.reason : ''));
    expect(reasons[0]).toBe('not valid JSON');
    expect(reasons[1]).toMatch(/^topic: /);
    expect(reasons[2]).toContain('is not a symbol');
    expect(reasons[4]).toContain('binary frames');
    expect(c.ws.readyState).toBe(c.ws.OPEN);
    c.ws.close();
    await c.closed;
  });
});

describe('websocket feed: heartbeats', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startTestGateway({ config: { heartbeatMs: 100 } });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('sends heartbeats to a live client and drops one that stops answering pings', async () => {
    const live = await connectFeed(gw.wsUrl, { token: VIEWER }); // `ws` answers pings itself
    const mute = await connectRaw(gw.wsUrl, VIEWER); // reads, but never sends a pong
    await mute.ended; // terminated at the second heartbeat without a pong
    expect(mute.messages.filter((m) => (m as { type: string }).type === 'heartbeat').length).toBeGreaterThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 350));
    const beats = live.messages.filter((m) => m.type === 'heartbeat');
    expect(beats.length).toBeGreaterThanOrEqual(3);
    expect(live.ws.readyState).toBe(live.ws.OPEN);
    expect(gw.hub.clientCount()).toBe(1);
    const closes = (await gw.metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'sextant_ws_closes_total');
    expect(closes?.values.find((v) => v.labels['reason'] === 'dead')?.value).toBe(1);
    live.ws.close();
  });
});
