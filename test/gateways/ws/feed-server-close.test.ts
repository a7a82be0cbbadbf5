import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, VIEWER } from './gateway-harness.js';
import type { Gateway } from './gateway-harness.js';
import { connectRaw } from './raw-feed-client.js';

const until = async (cond: () => boolean, timeoutMs: number): Promise<void> => {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

/**
 * A client the server closes but that never answers the close frame (a peer gone quiet, a
 * half-open TCP link) must not hold the server for `ws`'s 30 s close timeout: not a shutdown, not
 * a maxClients slot.
 */
describe('websocket feed: server-initiated closes are bounded', () => {
  let gw: Gateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('shuts the gateway down promptly with a client that never completes the close handshake', async () => {
    const g = await startTestGateway();
    const mute = await connectRaw(g.wsUrl, VIEWER); // reads, never answers a close frame
    mute.send({ op: 'subscribe', topic: 'pnl' });
    await until(() => mute.messages.some((m) => (m as { type?: string }).type === 'subscribed'), 5000);
    const t0 = Date.now();
    await g.close();
    const took = Date.now() - t0;
    await mute.ended;
    expect(mute.closeCode()).toBe(1001); // told why before the socket was dropped
    expect(took).toBeLessThan(5000);
  });

  it('frees the slot of a client closed for flooding that never answers the close frame', async () => {
    gw = await startTestGateway({ config: { maxInboundPerSecond: 5 } });
    const g = gw;
    const flood = await connectRaw(g.wsUrl, VIEWER);
    await until(() => g.hub.clientCount() === 1, 5000);
    for (let i = 0; i < 20; i++) flood.send({ op: 'ping' });
    await until(() => flood.closeCode() !== undefined, 5000);
    expect(flood.closeCode()).toBe(1008);
    const t0 = Date.now();
    await flood.ended;
    await until(() => g.hub.clientCount() === 0, 5000);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
