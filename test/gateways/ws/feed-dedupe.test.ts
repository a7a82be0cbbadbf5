import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayRuntime } from '../../../cli/gateway-runtime.js';
import { loadConfig } from '../../../config/load.js';
import { createEngineMetrics } from '../../../gateways/http/metrics.js';
import type { ServerMessage } from '../../../gateways/ws/protocol.js';
import { createRecentIds } from '../../../gateways/ws/recent-ids.js';
import { silentLogger } from '../../../state/logger.js';
import { createNatsBus } from '../../../streams/nats-bus.js';
import { subjectsFor } from '../../../streams/subjects.js';
import { parsePromText, sampleValue } from '../http/prom-text.js';
import { connectFeed, json, NATS_URL, startTestGateway, VIEWER } from './gateway-harness.js';
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

describe('websocket feed: the duplicate-id window from the config', () => {
  it('keeps gateway.recentIds ids per kind in the hub `sextant run` builds (real NATS)', async () => {
    const cfg = loadConfig({ env: {}, overrides: { prefix: `dd${randomBytes(5).toString('hex')}`, gateway: { enabled: true, port: 0, recentIds: 2 } } });
    const bus = await createNatsBus({ url: NATS_URL, name: 'feed-dedupe-window', connectTimeoutMs: 3000 });
    const runtime = await startGatewayRuntime(cfg, bus, {}, silentLogger, { env: { SEXTANT_VIEWER_TOKEN: VIEWER }, metrics: createEngineMetrics({ defaultMetrics: false }) });
    try {
      const c = await connectFeed(`${runtime.server.url.replace('http:', 'ws:')}/ws`, { token: VIEWER });
      c.send({ op: 'subscribe', topic: 'orders' });
      await c.waitFor((m) => m.type === 'subscribed');
      const subject = subjectsFor(cfg.prefix).order('dirmlp', 'binance', 'BTC/USDT');
      // With two ids kept, `a` is forgotten once `c` comes: its republish is relayed; `c`'s is not.
      for (const id of ['a', 'b', 'c', 'a', 'c', 'z']) bus.emit(subject, json({ type: 'exec.order', id, symbol: 'BTC/USDT' }));
      await c.waitFor((m) => m.type === 'delta' && (m.data as { id: string }).id === 'z');
      expect(deltaIds(c.messages)).toEqual(['a', 'b', 'c', 'a', 'z']);
      expect(runtime.hub.stats().duplicates).toBe(1);
      c.ws.close();
      await c.closed;
    } finally {
      await runtime.close();
      await bus.close();
    }
  });
});
