import { startTcpProxy } from './tcp-proxy.js';

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
  let mode: 'pass' | 'cut' | 'hold-replies' = 'pass';
  const proxy = await startTcpProxy({
    host: target.hostname,
    port: Number(target.port || 4222),
    refuse: () => mode === 'cut',
    wire: (client, upstream) => {
      client.on('data', (b) => void upstream.write(b));
      upstream.on('data', (b) => {
        if (mode !== 'hold-replies') client.write(b);
      });
    },
  });
  return {
    url: `nats://127.0.0.1:${proxy.port}`,
    cut: (o) => {
      mode = 'cut';
      proxy.destroyAll(o?.reset === true);
    },
    restore: () => {
      mode = 'pass';
    },
    holdReplies: () => {
      mode = 'hold-replies';
    },
    close: async () => {
      mode = 'cut';
      await proxy.close();
    },
  };
}
