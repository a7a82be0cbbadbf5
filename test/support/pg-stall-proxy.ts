import { startTcpProxy } from './tcp-proxy.js';

export type StallProxy = Readonly<{
  /** `url` with its host and port replaced by the proxy's. */
  url: string;
  /** From now on nothing more is passed either way, on open connections and new ones: a server that accepts and never answers. */
  stall(): void;
  /**
   * From now on a connection completes its startup (up to the server's first ReadyForQuery) and
   * then nothing more is passed either way: a server that accepts sessions and answers no query.
   */
  stallQueries(): void;
  /**
   * From now on a connection stalls (nothing more passed either way) from the first bytes its client
   * sends that contain `marker`, swallowed too: a server that stops answering in the middle of a
   * session's work, at a chosen statement.
   */
  stallWhenSent(marker: string): void;
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
  let mode: 'pass' | 'stall' | 'stall-queries' | 'stall-when-sent' = 'pass';
  let marker = '';
  /** ReadyForQuery while idle ('Z', length 5, 'I'): the end of a session's startup. */
  const READY = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]);
  const proxy = await startTcpProxy({
    host: target.hostname,
    port: Number(target.port || 5432),
    wire: (client, upstream) => {
      let started = false; // the server's first ReadyForQuery went through
      let marked = false; // the client sent the marker
      const stalled = (): boolean => mode === 'stall' || (mode === 'stall-queries' && started) || (mode === 'stall-when-sent' && marked);
      client.on('data', (b) => {
        if (mode === 'stall-when-sent' && b.includes(marker)) marked = true;
        if (!stalled()) upstream.write(b);
      });
      upstream.on('data', (b) => {
        if (stalled()) return;
        client.write(b);
        if (!started && b.includes(READY)) started = true;
      });
      client.on('end', () => upstream.end());
      upstream.on('end', () => client.end());
    },
  });
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  return {
    url: proxied.toString(),
    stall: () => {
      mode = 'stall';
    },
    stallQueries: () => {
      mode = 'stall-queries';
    },
    stallWhenSent: (m) => {
      mode = 'stall-when-sent';
      marker = m;
    },
    resume: () => {
      mode = 'pass';
    },
    drop: () => proxy.destroyAll(),
    close: () => proxy.close(),
  };
}
