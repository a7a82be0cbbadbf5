import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../../gateways/ws/protocol.js';
import type { Bus } from '../../../streams/bus.js';
import { createNatsBus } from '../../../streams/nats-bus.js';
import { freePort, startNatsServer, stopNatsServer } from '../../support/nats-server.js';
import { parsePromText, sampleValue } from '../http/prom-text.js';
import { VIEWER, connectFeed, json, startTestGateway } from './gateway-harness.js';
import type { FeedClient, Gateway } from './gateway-harness.js';

type Status = Extract<ServerMessage, { type: 'status' }>;
const statuses = (c: FeedClient): Status[] => c.messages.filter((m): m is Status => m.type === 'status');

/** `sextant_ws_upstream_up` as a Prometheus scrape of the gateway reads it. */
const upstreamUp = async (gw: Gateway): Promise<number | undefined> =>
  sampleValue(parsePromText(await (await fetch(`${gw.server.url}/metrics`)).text()), 'sextant_ws_upstream_up');

const fill = (id: string, qty: number) => ({ type: 'exec.fill', id, symbol: 'BTC/USDT', qty });

/** Publishes on a core subject until the gateway relays it (the link may still be coming back). */
async function emitUntilRelayed(bus: Bus, subject: string, data: unknown, client: FeedClient, pred: (m: ServerMessage) => boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!client.messages.some(pred)) {
    if (Date.now() > deadline) throw new Error(`not relayed: ${JSON.stringify(client.messages.slice(-5))}`);
    bus.emit(subject, json(data));
    await bus.flush().catch(() => {});
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('websocket feed: the NATS link going down and coming back', () => {
  let server: ChildProcess | undefined;
  let gw: Gateway | undefined;
  let gatewayBus: Bus | undefined;
  let publisher: Bus | undefined;
  afterAll(async () => {
    await gw?.close();
    await gatewayBus?.close().catch(() => {});
    await publisher?.close().catch(() => {});
    if (server !== undefined) await stopNatsServer(server);
  });

  it('tells clients the feed is stale while NATS is down, and that messages may be missing once it is back', async () => {
    const port = await freePort();
    server = await startNatsServer(port, []);
    const url = `nats://127.0.0.1:${port}`;
    gatewayBus = await createNatsBus({ url, name: 'feed-upstream-gateway', connectTimeoutMs: 2000 });
    publisher = await createNatsBus({ url, name: 'feed-upstream-publisher', connectTimeoutMs: 2000 });
    gw = await startTestGateway({ bus: gatewayBus });
    const subject = gw.subjects.fill('binance', 'BTC/USDT');

    const early = await connectFeed(gw.wsUrl, { token: VIEWER });
    early.send({ op: 'subscribe', topic: 'orders' });
    // The first frame of a connection is the upstream status.
    const first = await early.waitFor(() => true);
    expect(first).toMatchObject({ type: 'status', upstream: 'up' });
    expect(first).not.toHaveProperty('gap');
    await early.waitFor((m) => m.type === 'subscribed');
    await emitUntilRelayed(publisher, subject, fill('f1', 1), early, (m) => m.type === 'delta');
    expect(gw.hub.stats().upstream.upstream).toBe('up');
    expect(await upstreamUp(gw)).toBe(1);

    const beforeStop = Date.now();
    await stopNatsServer(server);
    const down = await early.waitFor((m) => m.type === 'status' && m.upstream === 'down');
    expect((down as Status).since).toBeGreaterThanOrEqual(beforeStop);
    expect(await upstreamUp(gw)).toBe(0);
    // A client that connects during the outage is told at once: its snapshot is stale.
    const late = await connectFeed(gw.wsUrl, { token: VIEWER });
    late.send({ op: 'subscribe', topic: 'orders' });
    await late.waitFor((m) => m.type === 'snapshot');
    expect(late.messages[0]).toEqual({ type: 'status', upstream: 'down', since: (down as Status).since });

    server = await startNatsServer(port, []);
    const back = (await early.waitFor((m) => m.type === 'status' && m.upstream === 'up' && m.gap === true, 15_000)) as Status;
    expect(back.since).toBeGreaterThan((down as Status).since);
    expect(await upstreamUp(gw)).toBe(1);
    await late.waitFor((m) => m.type === 'status' && m.upstream === 'up' && m.gap === true);
    // Data flows again after the reconnect.
    await emitUntilRelayed(publisher, subject, fill('f2', 2), early, (m) => m.type === 'delta' && (m.data as { id: string }).id === 'f2');
    expect(statuses(early).map((s) => [s.upstream, s.gap ?? false])).toEqual([
      ['up', false],
      ['down', false],
      ['up', true],
    ]);
    expect(gw.hub.stats().upstream).toMatchObject({ upstream: 'up', gap: true, since: back.since });
  }, 60_000);
});
