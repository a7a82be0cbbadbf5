import { afterEach, describe, expect, it } from 'vitest';
import { backUpSocket, json, startTestGateway, VIEWER } from './gateway-harness.js';
import type { Gateway } from './gateway-harness.js';
import { connectRaw } from './raw-feed-client.js';
import type { RawFeedClient } from './raw-feed-client.js';

const until = async (cond: () => boolean, timeoutMs = 20_000): Promise<void> => {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

const fill = (n: number) => ({
  type: 'exec.fill', v: 1, id: `x:o:1:${n}`, ts: 1_700_000_000_000 + n, orderId: 'o:1', strategy: 'dirmlp', venue: 'binance', symbol: 'BTC/USDT', side: 'buy', qty: 0.001, price: 62_700,
  fee: 0.01, liquidity: 'taker', slippageBps: 1, final: false, pad: 'f'.repeat(16 * 1024),
});

type Frame = Readonly<{ type: string; topic?: string; snapshot?: number }>;
const frames = (c: RawFeedClient): Frame[] => c.messages as Frame[];

/**
 * A slow link: the client reads what arrives, then stops reading for as long as `bytesPerSecond`
 * allows for it. Returns a stop that leaves the socket reading freely.
 */
function trickle(c: RawFeedClient, bytesPerSecond: number): () => void {
  let timer: NodeJS.Timeout | undefined;
  const onData = (d: Buffer): void => {
    c.pause();
    clearTimeout(timer);
    timer = setTimeout(() => c.resume(), (d.length / bytesPerSecond) * 1000);
  };
  c.socket.on('data', onData);
  c.resume();
  return () => {
    c.socket.off('data', onData);
    clearTimeout(timer);
    c.resume();
  };
}

/**
 * A client behind was closed with 4008 once it had been over maxBufferedBytes for slowCloseMs,
 * counted from when it fell behind until its backlog was empty: a dashboard that reconnected over
 * a slow link, its `orders` snapshot taking longer than slowCloseMs to drain, was closed while it
 * was reading, and again on each reconnect. Only slowCloseMs without progress closes it now.
 */
describe('websocket feed: a slow link that keeps reading is not a slow consumer', () => {
  let gw: Gateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('sends a backed-up client, reading slowly, a snapshot that takes several slowCloseMs to drain; one that stops reading is still closed', async () => {
    gw = await startTestGateway({ config: { maxBufferedBytes: 64 * 1024, slowCloseMs: 800, ordersSnapshotDepth: 800 } });
    const g = gw;
    for (let n = 0; n < 800; n++) g.bus.emit(g.subjects.fill('binance', 'BTC/USDT'), json(fill(n)));
    await until(() => g.hub.stats().seq.orders === 800);

    // The link is slow from the start, as a dashboard's over a poor network: the snapshot backs
    // its socket up. (A socket paused first, as backUpSocket does, grows the kernel's send buffer to
    // megabytes on loopback, and nothing the client reads shows in ws' buffer until half of that
    // has gone: see slowCloseMs in config/default.yaml.)
    const c = await connectRaw(g.wsUrl, VIEWER);
    const started = Date.now();
    const stop = trickle(c, 4 * 1024 * 1024); // 4 MB/s for ~13 MB of snapshot
    c.send({ op: 'subscribe', topic: 'orders' });
    await until(() => g.hub.stats().slowClients === 1 || c.closeCode() !== undefined);
    await until(() => frames(c).filter((m) => m.type === 'snapshot' && m.topic === 'orders').length === 800 || c.closeCode() !== undefined);
    const took = Date.now() - started;
    stop();
    expect(c.closeCode()).toBeUndefined();
    expect(frames(c).find((m) => m.type === 'subscribed' && m.topic === 'orders')?.snapshot).toBe(800);
    // The drain took longer than slowCloseMs, or this test proves nothing.
    expect(took).toBeGreaterThan(2 * 800);
    await until(() => g.hub.stats().slowClients === 0);

    // A client that reads nothing at all is still closed (4008 "slow consumer") after slowCloseMs.
    c.send({ op: 'subscribe', topic: 'pnl' });
    await until(() => frames(c).some((m) => m.type === 'subscribed' && m.topic === 'pnl'));
    c.pause();
    const stalled = Date.now();
    await backUpSocket(g);
    // It never reads the close frame: the server drops the socket 1 s after sending it.
    await until(() => g.hub.clientCount() === 0, 10_000);
    expect(Date.now() - stalled).toBeGreaterThanOrEqual(800);
    const closes = (await g.metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'sextant_ws_closes_total');
    expect(closes?.values.find((v) => v.labels['reason'] === 'slow consumer')?.value).toBe(1);
  });
});
