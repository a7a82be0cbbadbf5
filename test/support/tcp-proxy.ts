import net from 'node:net';
import type { AddressInfo } from 'node:net';

export type TcpProxy = Readonly<{
  /** The proxy's port on 127.0.0.1. */
  port: number;
  /** Ends every connection open through it now, each socket destroyed (or with `reset`, reset: ECONNRESET). */
  destroyAll(reset?: boolean): void;
  /** Ends every connection and stops listening. */
  close(): Promise<void>;
}>;

/**
 * A TCP proxy on 127.0.0.1 (a free port) in front of `host:port`, the accept loop of the tests'
 * fault proxies (nats-cut-proxy.ts, pg-stall-proxy.ts): each connection accepted is closed at once
 * while `refuse()` says so; otherwise it is dialled through to the server, `wire` passes the bytes
 * between the two (dropping what it wants), and either side closing destroys the other.
 */
export async function startTcpProxy(o: Readonly<{
  host: string;
  port: number;
  refuse?: () => boolean;
  wire: (client: net.Socket, upstream: net.Socket) => void;
}>): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  };
  const server = net.createServer((client) => {
    track(client);
    if (o.refuse?.() === true) {
      client.destroy();
      return;
    }
    const upstream = net.connect(o.port, o.host);
    track(upstream);
    o.wire(client, upstream);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const destroyAll = (reset = false): void => {
    for (const s of sockets) {
      if (reset) s.resetAndDestroy();
      else s.destroy();
    }
  };
  return {
    port: (server.address() as AddressInfo).port,
    destroyAll,
    close: async () => {
      destroyAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
