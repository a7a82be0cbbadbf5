import net from 'node:net';
import type { AddressInfo } from 'node:net';

export type CutProxy = Readonly<{
  /** `nats://127.0.0.1:<port>` of the proxy: connect a client here to be able to cut it off. */
  url: string;
  /**
   * Ends every connection through it now and refuses new ones (accepted, then closed at once) until
   * `restore()`: NATS down for its clients, the shared server untouched. The clients' sockets are
   * closed cleanly (as by a stopped server), or with `reset` reset (ECONNRESET: a dropped network path).
   */
  cut(o?: Readonly<{ reset?: boolean }>): void;
  /** Passes connections again: the clients' reconnects get through. */
  restore(): void;
  /** From now on the server's bytes are dropped (the clients' still reach it): a publish is stored and relayed, its acknowledgement never arrives. */
  holdReplies(): void;
  close(): Promise<void>;
}>;

/**
 * A TCP proxy in front of the real NATS at `url` (default 127.0.0.1:4222), for tests of an outage:
 * the shared server every test uses must never be stopped, so its clients are cut off here instead.
 */
export async function startNatsCutProxy(url = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222'): Promise<CutProxy> {
  const target = new URL(url);
  const upstreamPort = Number(target.port || 4222);
  let mode: 'pass' | 'cut' | 'hold-replies' = 'pass';
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  };
  const server = net.createServer((client) => {
    track(client);
    if (mode === 'cut') {
      client.destroy();
      return;
    }
    const upstream = net.connect(upstreamPort, target.hostname);
    track(upstream);
    client.on('data', (b) => void upstream.write(b));
    upstream.on('data', (b) => {
      if (mode !== 'hold-replies') client.write(b);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const destroyAll = (reset = false): void => {
    for (const s of sockets) {
      if (reset) s.resetAndDestroy();
      else s.destroy();
    }
  };
  return {
    url: `nats://127.0.0.1:${port}`,
    cut: (o) => {
      mode = 'cut';
      destroyAll(o?.reset === true);
    },
    restore: () => {
      mode = 'pass';
    },
    holdReplies: () => {
      mode = 'hold-replies';
    },
    close: async () => {
      mode = 'cut';
      destroyAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
