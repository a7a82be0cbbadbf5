import type { NatsConnection } from '@nats-io/nats-core';

type Disconnecting = { disconnected: (err?: Error) => Promise<void> };

const protocolOf = (nc: NatsConnection): Disconnecting | undefined => {
  const protocol: unknown = (nc as unknown as { protocol?: unknown }).protocol;
  return typeof protocol === 'object' && protocol !== null && 'disconnected' in protocol && typeof protocol.disconnected === 'function' ? (protocol as Disconnecting) : undefined;
};

/**
 * Why the link dropped, for the `disconnected` status: the client's `disconnect` status names only
 * the server. The client passes the socket's error (ECONNRESET, EPIPE, a stale connection) to its
 * protocol's `disconnected(err)` right before it dispatches that status, so wrapping it keeps the
 * error for the status loop to read (undefined: the peer closed the socket cleanly, as a server
 * that is stopped does).
 *
 * This reaches into the client (`NatsConnectionImpl.protocol.disconnected`, not public API, as
 * `nats-write-coalescing.ts` does; the lockfile pins the version and
 * `test/streams/nats-connection-watch.test.ts` checks the shape). Where the shape is not there it
 * changes nothing (`hooked` false), and `take()` says undefined.
 */
export function captureDisconnectCause(nc: NatsConnection): Readonly<{ hooked: boolean; take(): Error | undefined }> {
  const protocol = protocolOf(nc);
  let last: Error | undefined;
  if (protocol !== undefined) {
    const disconnected = protocol.disconnected.bind(protocol);
    protocol.disconnected = (err?: Error) => {
      last = err;
      return disconnected(err);
    };
  }
  return {
    hooked: protocol !== undefined,
    /** The error of the last disconnect, once. */
    take: () => {
      const e = last;
      last = undefined;
      return e;
    },
  };
}
