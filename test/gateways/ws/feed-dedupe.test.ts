import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../../gateways/ws/protocol.js';
import { createRecentIds } from '../../../gateways/ws/recent-ids.js';
import { parsePromText, sampleValue } from '../http/prom-text.js';
import { connectFeed, json, startTestGateway, VIEWER } from './gateway-harness.js';
import type { Gateway } from './gateway-harness.js';

type Delta = Extract<ServerMessage, { type: 'delta' }>;
const deltaIds = (ms: readonly ServerMessage[]): string[] => ms.filter((m): m is Delta => m.type === 'delta').map((m) => (m.data as { id: string }).id);

describe('websocket feed: messages a restarted engine republishes', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw.close();
  });

  it('relays each order, reject, fill and prediction id once, counting the drops in sextant_ws_duplicates_total (real NATS)', async () => {
    expect(sampleValue(parsePromText(await (await fetch(`${gw.server.url}/metrics`)).text()), 'sextant_ws_duplicates_total')).toBe(0);
    const s = gw.subjects;
    const c = await connectFeed(gw.wsUrl, { token: VIEWER });
    c.send({ op: 'subscribe', topic: 'orders' });
    c.send({ op: 'subscribe', topic: 'predictions' });
    await c.waitFor((m) => m.type === 'subscribed' && m.topic === 'predictions');
    const run = [
      [s.prediction('dirmlp', 'binance', 'BTC/USDT'), { type: 'prediction', id: 'p:1', symbol: 'BTC/USDT' }],
      [s.order('dirmlp', 'binance', 'BTC/USDT'), { type: 'exec.order', id: 'o:s1', symbol: 'BTC/USDT' }],
      [s.fill('binance', 'BTC/USDT'), { type: 'exec.fill', id: 'x:o:s1:0', symbol: 'BTC/USDT', qty: 1 }],
      [s.reject('dirmlp', 'binance', 'BTC/USDT'), { type: 'exec.reject', id: 'r:s2', symbol: 'BTC/USDT' }],
    ] as const;
    for (const [subject, data] of run) gw.bus.emit(subject, json(data));
    // The engine restarts and publishes the same outputs again (same deterministic ids), then goes on.
    for (const [subject, data] of run) gw.bus.emit(subject, json(data));
    gw.bus.emit(s.fill('binance', 'BTC/USDT'), json({ type: 'exec.fill', id: 'x:o:s1:1', symbol: 'BTC/USDT', qty: 2 }));
    // The same id under another kind is another message.
    gw.bus.emit(s.order('dirmlp', 'binance', 'BTC/USDT'), json({ type: 'exec.order', id: 'x:o:s1:1', symbol: 'BTC/USDT' }));
    await c.waitFor((m) => m.type === 'delta' && m.topic === 'orders' && (m.data as { type: string }).type === 'exec.order' && (m.data as { id: string }).id === 'x:o:s1:1');
    expect(deltaIds(c.messages)).toEqual(['p:1', 'o:s1', 'x:o:s1:0', 'r:s2', 'x:o:s1:1', 'x:o:s1:1']);
    expect(gw.hub.stats().duplicates).toBe(4);
    const scraped = parsePromText(await (await fetch(`${gw.server.url}/metrics`)).text());
    expect(sampleValue(scraped, 'sextant_ws_duplicates_total')).toBe(4);
    expect(gw.hub.stats().seq).toMatchObject({ orders: 5, predictions: 1 });
  });

  it('remembers a bounded window of ids per kind, the oldest forgotten first', () => {
    const r = createRecentIds(3);
    expect(['a', 'b', 'c'].map((id) => r.seen('fill', id))).toEqual([false, false, false]);
    expect(r.seen('fill', 'a')).toBe(true);
    expect(r.seen('order', 'a')).toBe(false); // kinds are apart
    expect(r.seen('fill', 'd')).toBe(false); // evicts a
    expect(r.size('fill')).toBe(3);
    expect(r.seen('fill', 'a')).toBe(false); // forgotten: relayed again (evicts b)
    expect(r.seen('fill', 'c')).toBe(true);
    expect(r.seen('fill', 'b')).toBe(false);
    expect(r.size('fill')).toBe(3);
    expect(() => createRecentIds(0)).toThrow(/positive integer/);
  });
});
