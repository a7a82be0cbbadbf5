import net from 'node:net';
import type { AddressInfo } from 'node:net';

export type StallProxy = Readonly<{
  /** `url` with its host and port replaced by the proxy's. */
  url: string;
  /** From now on nothing more is passed either way, on open connections and new ones: a server that accepts and never answers. */
  stall(): void;
  /** Passes bytes again (those sent while stalled stay lost); for new connections, and open ones that still have a use. */
  resume(): void;
  /** Ends every connection open through it now (a client waiting on one gets an error instead of nothing). */
  drop(): void;
  close(): Promise<void>;
}>;

/**
 * A TCP proxy in front of the real PostgreSQL at `url`: connections complete their startup through
 * it, and once `stall()` is called it swallows every byte, so a query already sent, or sent later,
 * never gets an answer and no socket closes (a hung server, a network path that drops packets).
 */
export async function startStallProxy(url: string): Promise<StallProxy> {
  const target = new URL(url);
  const upstreamPort = Number(target.port || 5432);
  let stalled = false;
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(upstreamPort, target.hostname);
    track(client);
    track(upstream);
    client.on('data', (b) => void (stalled || upstream.write(b)));
    upstream.on('data', (b) => void (stalled || client.write(b)));
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(port);
  return {
    url: proxied.toString(),
    stall: () => {
      stalled = true;
    },
    resume: () => {
      stalled = false;
    },
    drop: () => {
      for (const s of sockets) s.destroy();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
